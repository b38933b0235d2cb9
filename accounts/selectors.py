"""Reads about who may see what."""

from accounts.models import Organization, OrganizationMember


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
    if id_or_slug.isdigit() and int(id_or_slug) < 2**63:
        return Organization.objects.get(pk=int(id_or_slug))
    return Organization.objects.get(slug=id_or_slug)
