"""The routes of an issue's tags, notes, activity and hashes that /api/0/schema/ documents,
and the components their operations name (issues.openapi adds both to the schema; the
operations are described in issues.subresources.openapi)."""

from issues.schemas import ACTIVITY, DATETIME, INTEGER, STRING, nullable, obj

_FORMS = (
    "/api/0/issues/{issue_id}",
    "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}",
)
_TAILS = (
    "tags/",
    "tags/{key}/",
    "tags/{key}/values/",
    "comments/",
    "comments/{note_id}/",
    "activities/",
    "hashes/",
)
# The legacy and the organization's form of each; /groups/ and /notes/ answer too, as in
# Sentry, without being documented.
ROUTES = tuple(f"{form}/{tail}" for form in _FORMS for tail in _TAILS)

PATH_PARAMETER_DESCRIPTIONS = {
    "key": 'A tag key, e.g. "environment"; "release" and "user" name Sentry\'s own.',
    "note_id": "The id of a note (comment) of the issue.",
}

TAG_VALUE = obj(
    {
        "key": STRING,
        "name": STRING,
        "value": STRING,
        "count": INTEGER,
        "lastSeen": nullable(DATETIME),
        "firstSeen": nullable(DATETIME),
        "query": {**STRING, "description": "For user values: the search for their events."},
    },
    optional=("query",),
    description="A tag value of an issue (Sentry's TagValueSerializer).",
)
TAG_KEY = obj(
    {
        "key": STRING,
        "name": STRING,
        "uniqueValues": {**INTEGER, "description": "How many distinct values the key has."},
        "totalValues": {**INTEGER, "description": "How many events carry the key."},
        "topValues": {"type": "array", "items": {"$ref": "#/components/schemas/TagValue"}},
    },
    description="A tag key of an issue with its top values (Sentry's TagKeySerializer).",
)
NOTE = obj(
    {
        "text": {"type": "string", "minLength": 1, "pattern": "^[^\\u0000]*\\S[^\\u0000]*$"},
        "mentions": {
            "type": "array",
            "maxItems": 100,
            "items": {
                "anyOf": [
                    {"type": "string", "pattern": "^[^\\u0000]*$"},
                    {"type": "integer"},
                ]
            },
            "description": (
                'Users and teams the note mentions: 12, "user:12", "team:3", a username or '
                "an email; each a member of one of the project's teams, or one of its teams."
            ),
        },
    },
    optional=("mentions",),
    description="A note's body (Sentry's NoteSerializer); unknown keys are ignored.",
)
HASH = obj(
    {
        "id": STRING,
        "latestEvent": nullable(
            {"type": "object", "additionalProperties": {}, "description": "A short event."}
        ),
    },
    description="A hash that groups events into the issue, with the issue's latest event.",
)

COMPONENTS = {
    "TagKey": TAG_KEY,
    "TagValue": TAG_VALUE,
    "Activity": ACTIVITY,
    "Note": NOTE,
    "IssueHash": HASH,
}
