from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts.models import Project, ProjectKey
        from accounts.selectors import forget_project_keys
        from accounts.services import project_created

        # Every project has a client key from the moment it exists, whoever creates it: the
        # admin, seed_example, the factories, bench data, a future project API, or any other
        # Project.objects.create. A receiver on post_save is the one place all of them pass
        # (as Sentry's create_keys_for_project does), where a service that callers must
        # remember would miss the next one. It is an invariant of the row, not a business
        # rule with choices: it writes one key row and nothing else. raw saves (loaddata)
        # are left alone, since fixtures bring their keys with them.
        post_save.connect(
            project_created, sender=Project, dispatch_uid="accounts.project_created", weak=False
        )
        # The ingest endpoints keep the keys they read for a few seconds
        # (project_key_by_public_key): a change made here is seen by this process at once.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_project_keys,
                sender=ProjectKey,
                dispatch_uid=f"accounts.forget_project_keys.{signal is post_save}",
                weak=False,
            )
