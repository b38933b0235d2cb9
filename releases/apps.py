from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Releases"

    def ready(self):
        from accounts import project_facts
        from releases.project_facts import latest_release_versions

        project_facts.provide("latestRelease", latest_release_versions)
