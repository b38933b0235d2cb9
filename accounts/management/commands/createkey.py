from django.core.management.base import BaseCommand, CommandError

from accounts.dsn import dsn
from accounts.models import Organization, Project
from accounts.services import project_key_create
from issues_api.api.prefix import url_prefix


class Command(BaseCommand):
    help = (
        "Create a client key for a project and print its DSN (under ISSUES_API_URL_PREFIX, "
        "else the address `make run` serves)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="the organization's slug")
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument("--label", default="", help="the key's name (shown in the API)")

    def handle(self, *args, organization, project, label, **options):
        if len(label) > 64:
            raise CommandError("A label has at most 64 characters.")
        owner = Organization.objects.filter(slug=organization).first()
        if owner is None:
            raise CommandError(f"No organization with the slug {organization!r}.")
        found = Project.objects.filter(organization=owner, slug=project).first()
        if found is None:
            raise CommandError(f"No project with the slug {project!r} in {owner.slug}.")
        key = project_key_create(project=found, label=label)
        self.stdout.write(dsn(key, prefix=url_prefix()))
