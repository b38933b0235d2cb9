"""The contract's facts, kept in the repository as data (contract/, described in
docs/behaviour.md): Sentry's reference issue document and headers, and its OpenAPI."""

import json
from pathlib import Path

CONTRACT_DIR = Path(__file__).resolve().parents[1] / "contract"
EXAMPLE = json.loads((CONTRACT_DIR / "retrieve-issue.example.json").read_text())
EXAMPLE_HEADERS = (CONTRACT_DIR / "retrieve-issue.example.headers.txt").read_text()
OPENAPI = json.loads((CONTRACT_DIR / "sentry-issue-openapi.json").read_text())
# docs/behaviour.md, Decision 1: the keys current Sentry requires beyond the example.
NEWER_KEYS = frozenset(
    {
        "substatus",
        "priority",
        "priorityLockedAt",
        "issueType",
        "issueCategory",
        "isUnhandled",
        "seerFixabilityScore",
        "seerAutofixLastTriggered",
        "seerExplorerAutofixLastTriggered",
    }
)
# Sentry's current OpenAPI (a release of getsentry/sentry-api-schema), cut to the routes the
# service serves; tests/test_sentry_current_schema.py validates every answer against it.
CURRENT_OPENAPI = json.loads((CONTRACT_DIR / "sentry-openapi-current-routes.json").read_text())


def current_response_schema(path: str, method: str = "get", status: str = "200") -> dict:
    """The JSON schema of a response in Sentry's current OpenAPI (dereferenced already)."""
    operation = CURRENT_OPENAPI["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]
