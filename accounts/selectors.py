"""Reads about who may see what."""

from accounts.models import Organization, OrganizationMember
from issues_api.api.numbers import as_bigint, is_ascii_number


def user_can_access_organization(user, *, organization_id: int) -> bool:
    """Active superusers see everything; others must be members of the organization."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser and user.is_active:
        return True
    return OrganizationMember.objects.filter(
        organization_id=organization_id, user_id=user.pk
    ).exists()


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
