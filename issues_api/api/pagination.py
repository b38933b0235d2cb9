"""Sentry's cursor pagination: `?cursor=<value>:<offset>:<is_prev>` and a Link header.

Offset-based, as Sentry's GenericOffsetPaginator (the one its event lists use): the cursor's
value is 0 and its offset counts rows. Every response names a previous and a next cursor; a
client walks the pages by following `rel="next"` while it says `results="true"`.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from rest_framework.exceptions import ParseError

from issues_api.api.numbers import MAX_BIGINT
from issues_api.api.prefix import url_prefix

# value:offset:is_prev. Lengths are bounded before int() (which refuses > 4300 digits).
CURSOR = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?:([0-9]{1,19}):([01])")
PAGE_SIZE = re.compile(r"[0-9]{1,18}")
# Offsets beyond this are refused rather than sent to the database (OFFSET is a bigint).
MAX_OFFSET = MAX_BIGINT // 2


@dataclass(frozen=True)
class Cursor:
    value: int
    offset: int
    is_prev: bool
    has_results: bool = False

    def __str__(self) -> str:
        return f"{self.value}:{self.offset}:{int(self.is_prev)}"


def parse_cursor(text: str) -> Cursor:
    """A cursor from its string form; raises ParseError (400) for anything else.

    Offset cursors carry no sort value: the value is read as 0, as this module writes it.
    """
    match = CURSOR.fullmatch(text)
    if match is None or int(match.group(1)) > MAX_OFFSET:
        raise ParseError("Invalid cursor parameter.")
    offset, is_prev = match.groups()
    return Cursor(value=0, offset=int(offset), is_prev=is_prev == "1")


def page_size(request, *, default_limit: int, max_limit: int) -> int:
    """`per_page` (Sentry's name) or `limit`, between 1 and max_limit; 400 otherwise."""
    raw = request.query_params.get("per_page")
    if raw is None:
        raw = request.query_params.get("limit")
    if raw is None:
        return default_limit
    if not PAGE_SIZE.fullmatch(raw.strip()) or int(raw) < 1:
        raise ParseError("Invalid per_page parameter.")
    size = int(raw)
    if size > max_limit:
        raise ParseError(f"Invalid per_page value. Cannot exceed {max_limit}.")
    return size


def _link(base_url: str, rel: str, cursor: Cursor) -> str:
    results = "true" if cursor.has_results else "false"
    return f'<{base_url}&cursor={cursor}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'


def link_header(request, *, previous: Cursor, following: Cursor) -> str:
    """Sentry's Link header: the request's URL and query without its cursor, then `&cursor=`
    (so `?&cursor=` when there is no other parameter, as Sentry writes it)."""
    query = request.GET.copy()
    query.pop("cursor", None)
    base_url = f"{url_prefix(request)}{quote(request.path)}?{query.urlencode()}"
    return ", ".join([_link(base_url, "previous", previous), _link(base_url, "next", following)])


def paginate(request, queryset, *, default_limit: int = 100, max_limit: int = 100):
    """One page of an ordered queryset (or any sliceable sequence) and its Link header.

    Reads `cursor` and `per_page`/`limit` from the request; runs a single query, fetching one
    row more than the page to know whether a next page exists. Returns (items, link_header).
    """
    limit = page_size(request, default_limit=default_limit, max_limit=max_limit)
    raw_cursor = request.query_params.get("cursor")
    offset = parse_cursor(raw_cursor).offset if raw_cursor else 0
    rows = list(queryset[offset : offset + limit + 1])
    items = rows[:limit]
    previous = Cursor(0, max(0, offset - limit), True, has_results=offset > 0)
    following = Cursor(0, offset + limit, False, has_results=len(rows) > limit)
    return items, link_header(request, previous=previous, following=following)
