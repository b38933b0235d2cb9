"""How a URL names an issue (by id, or on the organization route by qualified short id) and
the SQL condition issues.gather reads it with."""

from dataclasses import dataclass

from issues.short_ids import parse_qualified_short_id
from issues_api.api.numbers import MAX_BIGINT, as_bigint, is_ascii_number
from issues_api.jsonrows import Dialect


@dataclass(frozen=True)
class IssueLookup:
    """How a URL names an issue: by id, or on the organization route by qualified short id,
    within an organization given by id or slug."""

    issue_id: int | None = None
    project_slug: str | None = None
    short_id: int | None = None
    organization_id: int | None = None
    organization_slug: str | None = None


def issue_lookup(issue_id: str, organization_id_or_slug: str | None) -> IssueLookup | None:
    """The lookup a URL asks for; None when it cannot name an issue.

    On the legacy routes only numeric ids exist. On the organization route the id may also be
    a qualified short id ("PUMP-STATION-1"), and the issue must belong to that organization.
    """
    organization = {}
    if organization_id_or_slug is not None:
        if is_ascii_number(organization_id_or_slug):
            number = as_bigint(organization_id_or_slug)
            if number is None:
                return None
            organization = {"organization_id": number}
        else:
            organization = {"organization_slug": organization_id_or_slug}
    if is_ascii_number(issue_id):
        number = as_bigint(issue_id)
        return None if number is None else IssueLookup(issue_id=number, **organization)
    if organization_id_or_slug is None:
        return None
    parsed = parse_qualified_short_id(issue_id)
    if parsed is None or parsed[1] > MAX_BIGINT:
        return None
    slug, short_id = parsed
    return IssueLookup(project_slug=slug, short_id=short_id, **organization)


def lookup_sql(d: Dialect, lookup: IssueLookup | None, number_of_ids: int) -> str:
    if lookup is None:
        return d.any('i."id"', "ids", number_of_ids)
    if lookup.issue_id is not None:
        conditions = ['i."id" = %(issue_id)s']
    else:
        conditions = ['p."slug" = %(project_slug)s AND i."short_id" = %(short_id)s']
    if lookup.organization_id is not None:
        conditions.append('p."organization_id" = %(organization_id)s')
    if lookup.organization_slug is not None:
        conditions.append(
            'p."organization_id" = (SELECT o."id" FROM "accounts_organization" o'
            ' WHERE o."slug" = %(organization_slug)s)'
        )
    return " AND ".join(conditions)


def lookup_key(lookup: IssueLookup | None) -> tuple:
    if lookup is None:
        return ()
    return tuple(value is not None for value in vars(lookup).values())
