"""Reads about who may see what."""

from dataclasses import dataclass

from accounts.models import Organization, OrganizationMember
from accounts.roles import GLOBAL_ROLES, ROLE_SCOPES
from issues_api.api.numbers import as_bigint, is_ascii_number


@dataclass(frozen=True)
class Access:
    """What a request may do in one project: the token's scopes cut down to the role's."""

    scopes: frozenset[str]


def project_access(user, *, token_scopes: frozenset[str], project) -> Access | None:
    """Sentry's determine_access for one project; None when the user may not see it at all.

    Active superusers keep their token's scopes. A member needs access to the project: every
    member has it with open membership (the default); with closed membership only managers,
    owners and members of one of the project's teams do.
    """
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser and user.is_active:
        return Access(scopes=frozenset(token_scopes))
    member = (
        OrganizationMember.objects.filter(organization_id=project.organization_id, user_id=user.pk)
        .only("pk", "role")
        .first()
    )
    if member is None:
        return None
    global_access = project.organization.allow_joinleave or member.role in GLOBAL_ROLES
    if not global_access and not member.teams.filter(projects=project).exists():
        return None
    return Access(scopes=frozenset(token_scopes) & ROLE_SCOPES.get(member.role, frozenset()))


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


def accessible_projects(user, *, organization):
    """The organization's projects a user reaches (superusers: all): with open membership
    every member's, with closed membership those of the member's teams, unless the role is
    global. An empty queryset for non-members."""
    from accounts.models import Project

    projects = Project.objects.filter(organization=organization)
    if user.is_superuser and user.is_active:
        return projects
    member = OrganizationMember.objects.filter(organization=organization, user_id=user.pk).first()
    if member is None:
        return projects.none()
    if organization.allow_joinleave or member.role in GLOBAL_ROLES:
        return projects
    return projects.filter(teams__members=member).distinct()
