"""Writes of the accounts app."""

import secrets

from accounts.models import Project, ProjectKey

# The label Sentry gives the key every new project gets.
DEFAULT_KEY_LABEL = "Default"


def new_key_value() -> str:
    """32 lowercase hex characters (128 random bits), as Sentry's uuid4().hex keys look."""
    return secrets.token_hex(16)


def project_key_create(*, project: Project, label: str = "") -> ProjectKey:
    """A new active client key of the project, with fresh public and secret keys.

    One INSERT: at 128 random bits a collision with an existing key is not a case to handle
    (the unique constraints would refuse it rather than hand out a shared key).
    """
    return ProjectKey.objects.create(
        project=project,
        label=label,
        public_key=new_key_value(),
        secret_key=new_key_value(),
    )


def project_created(sender, instance: Project, created: bool, raw: bool = False, **kwargs):
    """post_save of Project: a new project gets its default key (see accounts.apps)."""
    if created and not raw:
        project_key_create(project=instance, label=DEFAULT_KEY_LABEL)
