"""A stricter JSON parser: bad input is a clear 400 (or 413), never a 500 later on."""

import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def _reject_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_nul(value):
    """PostgreSQL text cannot hold NUL characters; refuse them at the door."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item)


class StrictJSONParser(JSONParser):
    """JSON objects with unique keys, no NUL characters, bounded size and nesting."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ISSUES_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), object_pairs_hook=_reject_duplicate_keys)
            _reject_nul(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
        except LookupError:
            # A charset Python knows but that is not a text encoding (bz2_codec, base64...).
            raise ParseError(f"Unsupported charset: {encoding!r}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        return data
