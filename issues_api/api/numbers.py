"""Ids in URLs and bodies: only ASCII digits are numbers ("²".isdigit() is True in Python)."""

import re

ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_BIGINT = 2**63 - 1


def is_ascii_number(text: str) -> bool:
    return ASCII_DIGITS.fullmatch(text) is not None


def as_bigint(text: str) -> int | None:
    """The number a string of ASCII digits names, if it fits a bigint id; else None."""
    # int() refuses strings of more than 4300 digits; no id has more than 19 anyway.
    if not is_ascii_number(text) or len(text.lstrip("0")) > len(str(MAX_BIGINT)):
        return None
    number = int(text)
    return number if number <= MAX_BIGINT else None
