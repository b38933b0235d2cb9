"""A stricter JSON parser: bad input is a clear 400 (or 413), never a 500 later on."""

import json
import re

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


# NUL and lone UTF-16 surrogates: the JSON text "\ud800" is valid (json.loads pairs the halves
# of a character when it can), but PostgreSQL text holds neither and UTF-8 cannot encode one.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _reject_unstorable_text(value):
    """Refuse at the door text that would fail later, in the database driver, as a 500."""
    if isinstance(value, str):
        found = UNSTORABLE.search(value)
        if found is None:
            return
        if found.group() == "\x00":
            raise ValueError("NUL characters are not allowed")
        raise ValueError("unpaired surrogate characters are not allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_unstorable_text(key)
            _reject_unstorable_text(item)
    elif isinstance(value, list):
        for item in value:
            _reject_unstorable_text(item)


class StrictJSONParser(JSONParser):
    """JSON objects with unique keys, no NUL or lone surrogate characters, bounded size and
    nesting."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ISSUES_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), object_pairs_hook=_reject_duplicate_keys)
            _reject_unstorable_text(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
        except LookupError:
            # A charset Python knows but that is not a text encoding (bz2_codec, base64...).
            raise ParseError(f"Unsupported charset: {encoding!r}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        return data
