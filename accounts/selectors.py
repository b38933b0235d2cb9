"""Reads about who may see what."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import ApiToken, Organization, OrganizationMember, Project, ProjectKey
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


@dataclass(frozen=True)
class ProjectMembership:
    """The requester's membership of a project's organization, as project_access reads it:
    its role, and whether one of its teams has the project."""

    role: str
    in_project_team: bool


def project_for_request(user, organization_id_or_slug: str, project_id_or_slug: str):
    """The project a URL names (the organization by id, or by slug when not a number; the
    project by slug, else by id), with its organization and the requester's membership left
    on it as `requester_membership` (None for none), in one query; None when there is none.
    Whether the requester may see it is the permission's question (accounts.permissions)."""
    if is_ascii_number(organization_id_or_slug):
        number = as_bigint(organization_id_or_slug)
        if number is None:
            return None
        in_organization = Q(organization_id=number)
    else:
        in_organization = Q(organization__slug=organization_id_or_slug)
    named = Q(slug=project_id_or_slug)
    if is_ascii_number(project_id_or_slug) and as_bigint(project_id_or_slug) is not None:
        named |= Q(pk=as_bigint(project_id_or_slug))
    member = OrganizationMember.objects.filter(
        organization_id=OuterRef("organization_id"), user_id=user.pk
    )
    in_team = OrganizationMember.teams.through.objects.filter(
        organizationmember__organization_id=OuterRef("organization_id"),
        organizationmember__user_id=user.pk,
        team__projects=OuterRef("pk"),
    )
    found = list(
        Project.objects.filter(in_organization, named)
        .select_related("organization")
        .annotate(
            requester_role=Subquery(member.values("role")[:1]),
            requester_in_team=Exists(in_team),
        )[:2]
    )
    if not found:
        return None
    # The slug names the project before the id does.
    project = next((p for p in found if p.slug == project_id_or_slug), found[0])
    project.requester_membership = (
        None
        if project.requester_role is None
        else ProjectMembership(
            role=project.requester_role, in_project_team=project.requester_in_team
        )
    )
    return project


def project_keys(*, project, status: str | None, internal: bool = False) -> QuerySet:
    """The client keys of a project, newest first, as Sentry lists them: `status` "active"
    or "inactive" keeps those, any other value none. Keys of Sentry's internal use cases
    are listed only when `internal` (to active superusers)."""
    keys = ProjectKey.objects.filter(project=project).order_by("-id")
    if not internal:
        keys = keys.filter(use_case=ProjectKey.UseCase.USER)
    if status == "active":
        return keys.filter(is_active=True)
    if status == "inactive":
        return keys.filter(is_active=False)
    if status:
        return keys.none()
    return keys


def project_default_key(project) -> ProjectKey | None:
    """The key to show for a project where one DSN is wanted (seed_example): its oldest
    active key, as Sentry's ProjectKey.get_default picks."""
    return (
        ProjectKey.objects.filter(project=project, is_active=True, use_case=ProjectKey.UseCase.USER)
        .order_by("id")
        .first()
    )


# Client keys as the ingest endpoints last read them, by public key: (read until, key or
# None). Per process, like Relay's project configs: an SDK posting thousands of envelopes a
# second is not a SELECT each. Changes made in this process (admin, createkey, tests) are seen
# at once (forget_project_keys, on ProjectKey's save and delete); made in another process,
# after ISSUES_API_INGEST_KEY_CACHE_SECONDS at most.
_project_keys: dict[str, tuple[float, ProjectKey | None]] = {}
_PROJECT_KEYS_KEPT = 10_000


NOT_KEPT = object()


def kept_project_key(public_key: str):
    """What project_key_by_public_key answers for this key while it keeps the answer, without
    a query; NOT_KEPT when it would read it (the ASGI ingest front reads it in a thread)."""
    kept = _project_keys.get(public_key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    return NOT_KEPT


def project_key_by_public_key(public_key: str) -> ProjectKey | None:
    """The client key an SDK names (by its public key), active or not, or None."""
    kept = kept_project_key(public_key)
    if kept is not NOT_KEPT:
        return kept
    seconds = settings.ISSUES_API_INGEST_KEY_CACHE_SECONDS
    now = time.monotonic()
    key = (
        ProjectKey.objects.filter(public_key=public_key)
        .only("pk", "project_id", "is_active", "rate_limit_count", "rate_limit_window")
        .first()
    )
    if seconds > 0:
        if len(_project_keys) >= _PROJECT_KEYS_KEPT:
            _project_keys.clear()  # unknown keys sent by the thousand cannot grow it
        _project_keys[public_key] = (now + seconds, key)
    return key


def forget_project_keys(**_) -> None:
    """Drop the keys read so far (a key was saved or deleted in this process)."""
    _project_keys.clear()
