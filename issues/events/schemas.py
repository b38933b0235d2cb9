"""The routes of an issue's events that /api/0/schema/ documents, and the components of their
documents, built from the declarations in issues.events.documents (issues.openapi adds both
to the schema; the operations are described in issues.events.openapi)."""

from issues.events.documents import EVENT, EVENT_DETAIL, EVENT_SUMMARY
from issues.schemas import obj

_FORMS = (
    "/api/0/issues/{issue_id}",
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}",
)
# The legacy and the organization's form of each; /groups/ answers too, undocumented.
ROUTES = tuple(f"{form}/{tail}" for form in _FORMS for tail in ("events/", "events/{event_id}/"))

PATH_PARAMETER_DESCRIPTIONS = {
    "event_id": (
        'An event id of the issue (32 hex digits, dashes and case ignored), or "latest", '
        '"oldest" or "recommended" (here the latest).'
    ),
}

COMPONENTS = {
    "EventSummary": obj(
        {key.name: key.schema for key in EVENT_SUMMARY},
        description="An event as the list shows it (Sentry's SimpleEventSerializer).",
    ),
    "Event": obj(
        {key.name: key.schema for key in EVENT},
        description="A full event, as the list shows it with ?full=true (EventSerializer).",
    ),
    # ?collapse=stacktraceOnly leaves the detail's own keys out: they are not required.
    "EventDetail": obj(
        {key.name: key.schema for key in EVENT_DETAIL},
        optional=tuple(key.name for key in EVENT_DETAIL if key.collapse),
        description=(
            "An event of an issue with its release, user report and neighbours (Sentry's "
            "IssueEventSerializer); every property is there unless ?collapse=stacktraceOnly."
        ),
    ),
}
