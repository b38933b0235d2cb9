"""Parameterisation: the values in a message or exception value that differ from one event of
the same error to the next (ids, numbers, addresses, times) replaced by placeholders, so that
"Order 4711 not found" and "Order 4712 not found" group together.

In the spirit of Sentry's parameterisation (src/sentry/grouping/parameterization.py), with its
placeholder names; written for this service, and part of the newstyle:2026-11 grouping version:
changing a pattern here changes that version's hashes, so a change is a new version
(docs/grouping.md).
"""

import re

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
HEX4 = r"[0-9a-fA-F]{1,4}"
EMAIL_CHAR = r"[\w.!#$%&'*+/=?^`{|}~-]"
IPV6_GROUPS = rf"{HEX4}(?::{HEX4}){{0,6}}"

# One alternation, tried left to right at each position: the earlier, more specific kinds win
# (a UUID is not read as numbers, an address not as floats, a date not as integers).
PATTERNS = (
    # Starting only where a run of address characters starts: tried at every character of a
    # long run, the pattern would cost its square.
    ("email", rf"(?<!{EMAIL_CHAR}){EMAIL_CHAR}+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+"),
    ("url", r"\b(?:https?|wss?|ftp)://[^\s/$.?#][^\s]*"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    (
        "ip",
        # IPv4; IPv6 in full (eight groups) or compressed (with "::"), not inside a word or
        # a longer run of colons (so Class::method stays).
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
        rf"|(?<![\w:])(?:{HEX4}(?::{HEX4}){{7}}|{IPV6_GROUPS}::(?:{IPV6_GROUPS})?|::{IPV6_GROUPS})"
        r"(?![\w:])",
    ),
    (
        "date",
        # ISO 8601 date-times and dates, RFC 2822 dates ("Mon, 02 Jan 2006 15:04:05 GMT"),
        # "Jan 2 15:04:05 2006", and times of day.
        r"\b\d{4}-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
        r"(?:Z|[+-][0-2]\d:?[0-5]\d)?)?"
        rf"|\b(?:{WEEKDAY},?\s+)?[0-3]?\d\s+{MONTH}\s+\d{{4}}"
        r"(?:\s+[0-2]\d:[0-5]\d(?::[0-5]\d)?)?(?:\s+(?:GMT|UTC|UT|[+-]\d{4}))?"
        rf"|\b(?:{WEEKDAY},?\s+)?{MONTH}\s+[0-3]?\d,?\s+(?:[0-2]\d:[0-5]\d:[0-5]\d\s+)?\d{{4}}\b"
        r"|(?<![\d:])[0-2]?\d:[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:\s?[AaPp][Mm])?(?![\d:])",
    ),
    (
        "hex",
        # 0x-prefixed, or a run of 8+ hex digits with a digit in it, all in one case (a
        # digest, an address, a request id), as Sentry reads them.
        r"\b0[xX][0-9a-fA-F]+\b|\b(?=[a-f]*\d)[0-9a-f]{8,}\b|\b(?=[A-F]*\d)[0-9A-F]{8,}\b",
    ),
    # Numbers standing alone: not a word's digits (abc123) nor a part of a dotted version
    # (1.2.3), which is more often what a message means than what varies.
    ("duration", r"(?<![\w.])\d+(?:\.\d+)?(?:ms|s)\b"),
    ("float", r"(?<![\w.])-?\d+\.\d+\b(?!\.\d)"),
    ("int", r"(?<![\w.])-?\d+\b(?!\.\d)"),
    # The value of a key='value' or key="value" pair, not every quoted word.
    ("quoted_str", r"(?<==)(?:'[^']*'|\"[^\"]*\")"),
)
PARAMETERS = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in PATTERNS))
MAX_LINES = 2
# Relay trims a message to 8192 characters before Sentry groups it; a value as long costs the
# patterns milliseconds, one of a megabyte a second.
MAX_CHARACTERS = 8192


def parameterize(text: str) -> str:
    """The text's first two non-blank lines ("..." when there were more), at most 8192
    characters, each value of a known kind replaced by its placeholder: <email>, <url>,
    <uuid>, <ip>, <date>, <hex>, <duration>, <float>, <int>, <quoted_str>."""
    lines = [line for line in text.splitlines() if line.strip()]
    trimmed = "\n".join(lines[:MAX_LINES])[:MAX_CHARACTERS]
    trimmed += "..." if len(lines) > MAX_LINES else ""
    return PARAMETERS.sub(lambda match: f"<{match.lastgroup}>", trimmed)
