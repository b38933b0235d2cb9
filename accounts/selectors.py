"""Reads about who may see what."""

from dataclasses import dataclass

from accounts.models import ApiToken, Organization, OrganizationMember
from accounts.roles import ROLE_SCOPES, reaches_every_project
from issues_api.api.numbers import as_bigint, is_ascii_number
from issues_api.jsonrows import Shape, select

_TOKEN = Shape(related={"user": Shape()})


def token_by_digest(digest: str) -> ApiToken | None:
    """The API token with this digest and its user, or None: one prepared statement, as
    every authenticated request runs it."""
    rows = select(ApiToken, _TOKEN, 'a."token_digest" = %(digest)s', {"digest": digest})
    return rows[0] if rows else None


@dataclass(frozen=True)
class Access:
    """What a request may do in one project: the token's scopes cut down to the role's."""

    scopes: frozenset[str]


_READ = object()


def project_access(
    user, *, token_scopes: frozenset[str], project, membership=_READ
) -> Access | None:
    """Sentry's determine_access for one project; None when the user may not see it at all.

    Active superusers keep their token's scopes. A member needs access to the project: every
    member has it with open membership (the default); with closed membership only managers,
    owners and members of one of the project's teams do. `membership` is the user's role
    and whether one of its teams has the project (anything with `role` and
    `in_project_team`, None for no membership) when the caller read it already.
    """
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser and user.is_active:
        return Access(scopes=frozenset(token_scopes))
    if membership is _READ:
        member = (
            OrganizationMember.objects.filter(
                organization_id=project.organization_id, user_id=user.pk
            )
            .only("pk", "role")
            .first()
        )
        if member is None:
            return None
        role = member.role
        in_project_team = lambda: member.teams.filter(projects=project).exists()  # noqa: E731
    elif membership is None:
        return None
    else:
        role = membership.role
        in_project_team = lambda: membership.in_project_team  # noqa: E731
    if not reaches_every_project(project.organization, role) and not in_project_team():
        return None
    return Access(scopes=frozenset(token_scopes) & ROLE_SCOPES.get(role, frozenset()))


def organization_by_id_or_slug(id_or_slug: str) -> Organization:
    """Raises Organization.DoesNotExist."""
    if is_ascii_number(id_or_slug):
        number = as_bigint(id_or_slug)
        if number is None:
            raise Organization.DoesNotExist
        return Organization.objects.get(pk=number)
    return Organization.objects.get(slug=id_or_slug)


def project_member_user_ids(project, *, user_ids=None) -> set[int]:
    """Active users who are members of one of the project's teams (Sentry's
    project.member_set), optionally only among user_ids."""
    members = OrganizationMember.objects.filter(
        organization_id=project.organization_id,
        teams__projects=project,
        user__is_active=True,
    )
    if user_ids is not None:
        members = members.filter(user_id__in=user_ids)
    return set(members.values_list("user_id", flat=True))


@dataclass(frozen=True)
class OrganizationAccess:
    """What a request may do in an organization: the token's scopes cut down to the role's.
    `member` is None for an active superuser who is not a member."""

    scopes: frozenset[str]
    member: OrganizationMember | None
    has_global_access: bool


def organization_access(
    user, *, token_scopes: frozenset[str], organization, member=_READ
) -> OrganizationAccess | None:
    """Sentry's determine_access for an organization; None when the user may not see it.

    Active superusers keep their token's scopes and reach every team and project. A member
    reaches every team and project with open membership or a global role, else those of
    their teams. `member` is the user's membership (anything with `role`, None for none) when
    the caller read it already (accounts.gather, an issue list's scope).
    """
    if user is None or not user.is_authenticated:
        return None
    if member is _READ:
        member = (
            OrganizationMember.objects.filter(organization_id=organization.pk, user_id=user.pk)
            .only("pk", "role")
            .first()
        )
    if user.is_superuser and user.is_active:
        return OrganizationAccess(
            scopes=frozenset(token_scopes), member=member, has_global_access=True
        )
    if member is None:
        return None
    return OrganizationAccess(
        scopes=frozenset(token_scopes) & ROLE_SCOPES.get(member.role, frozenset()),
        member=member,
        has_global_access=reaches_every_project(organization, member.role),
    )


def organizations_of_user(user):
    """The organizations a user is a member of, newest first (Sentry's default order).
    Superusers too see only their own memberships."""
    return Organization.objects.filter(members__user_id=user.pk).order_by("-date_created", "-id")
