"""Sentry's short ids: PROJECT-SLUG-<base32 counter>, Crockford's alphabet, no padding."""

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: index for index, char in enumerate(ALPHABET)}
# Crockford's aliases for characters that are easy to misread.
_DECODE.update({"O": 0, "I": 1, "L": 1})

QUALIFIED_SHORT_ID = re.compile(r"^(.*?)(?:[\s_-])([A-Za-z0-9]+)$")


def base32_encode(number: int) -> str:
    if number < 0:
        raise ValueError("Short ids are not negative.")
    encoded = ""
    while True:
        number, remainder = divmod(number, 32)
        encoded = ALPHABET[remainder] + encoded
        if number == 0:
            return encoded


def base32_decode(text: str) -> int:
    number = 0
    for char in text.upper():
        number = number * 32 + _DECODE[char]
    return number


def parse_qualified_short_id(value: str) -> tuple[str, int] | None:
    """Split "PUMP-STATION-1" into ("pump-station", 1); None when it is not a short id."""
    match = QUALIFIED_SHORT_ID.match(value.strip())
    if not match:
        return None
    slug, suffix = match.groups()
    try:
        return slug.lower(), base32_decode(suffix)
    except KeyError:
        return None
