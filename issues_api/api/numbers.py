"""Ids in URLs and bodies: only ASCII digits are numbers ("²".isdigit() is True in Python)."""

import re

ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_BIGINT = 2**63 - 1


def is_ascii_number(text: str) -> bool:
    return ASCII_DIGITS.fullmatch(text) is not None


def as_bigint(text: str) -> int | None:
    """The number a string of ASCII digits names, if it fits a bigint id; else None."""
    if not is_ascii_number(text):
        return None
    number = int(text)
    return number if number <= MAX_BIGINT else None
