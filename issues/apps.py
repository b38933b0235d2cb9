from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "Issues"

    def ready(self):
        from accounts import project_facts
        from issues.project_facts import first_events

        project_facts.provide("firstEvent", first_events)
