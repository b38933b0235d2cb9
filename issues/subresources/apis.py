"""Thin endpoints for an issue's tags, notes, activity and hashes: parse, call a selector or
service, serialize. Each loads its issue as the issue's own endpoint does (IssueEndpoint:
lookup 404, access 403, hidden 404) with Sentry's GroupPermission scopes."""

import re

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from issues.apis import IssueEndpoint
from issues.gather import build_issues, gather_issues
from issues.lookups import IssueLookup
from issues.permissions import IssuePermission
from issues.serializers import DocumentUsers, activity
from issues.services.notes import DuplicateNote, note_create, note_delete, note_update
from issues.subresources import openapi
from issues.subresources.selectors import (
    emails_of,
    is_own_note,
    issue_has_tag_key,
    issue_hashes,
    issue_notes,
    issue_tag_keys,
    issue_tag_values,
    latest_event,
    stored_tag_key,
)
from issues.subresources.serializers import (
    NoteValidator,
    serialize_activity,
    serialize_hash,
    serialize_tag_key,
    serialize_tag_value,
)
from issues_api.api.exceptions import ResourceDoesNotExist
from issues_api.api.numbers import as_bigint
from issues_api.api.pagination import paginate

# Sentry's tags list: 10 top values a key, 9 when keys are named (the distribution bars).
DEFAULT_VALUE_LIMIT = 10
KEYED_VALUE_LIMIT = 9
# The tag details' top values (Sentry's TOP_VALUES_DEFAULT_LIMIT).
DETAIL_VALUE_LIMIT = 9
MAX_VALUE_LIMIT = 100
VALUE_LIMIT = re.compile(r"[0-9]{1,3}")


class NotePermission(IssuePermission):
    """Sentry's GroupPermission, POST included: a note needs event:write or event:admin."""

    scope_map = {**IssuePermission.scope_map, "POST": ("event:write", "event:admin")}


def _value_limit(request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not VALUE_LIMIT.fullmatch(raw) or int(raw) > MAX_VALUE_LIMIT:
        raise ParseError(f"Invalid limit parameter: 0 to {MAX_VALUE_LIMIT}.")
    return int(raw)


def _note_id(note_id: str) -> int:
    # Sentry's to_valid_int_id(raise_404=True): what names no note is a 404.
    number = as_bigint(note_id)
    if number is None:
        raise ResourceDoesNotExist
    return number


@extend_schema_view(get=openapi.list_tags)
class IssueTagListApi(IssueEndpoint):
    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        environments = self.get_environments(request, issue)
        keys = [stored_tag_key(key) for key in request.query_params.getlist("key") if key]
        limit = _value_limit(request, KEYED_VALUE_LIMIT if keys else DEFAULT_VALUE_LIMIT)
        rows = issue_tag_keys(
            issue,
            environment_ids=[environment.pk for environment in environments],
            keys=keys or None,
            value_limit=limit,
        )
        return Response([serialize_tag_key(row) for row in rows])


@extend_schema_view(get=openapi.retrieve_tag)
class IssueTagDetailApi(IssueEndpoint):
    def get(self, request, issue_id, key, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        # An unknown environment: the tag cannot exist there, a 404 (as in Sentry).
        environments = self.get_environments(request, issue)
        rows = issue_tag_keys(
            issue,
            environment_ids=[environment.pk for environment in environments],
            keys=[stored_tag_key(key)],
            value_limit=DETAIL_VALUE_LIMIT,
        )
        if not rows:
            raise ResourceDoesNotExist
        return Response(serialize_tag_key(rows[0]))


@extend_schema_view(get=openapi.list_tag_values)
class IssueTagValueListApi(IssueEndpoint):
    def get(self, request, issue_id, key, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        environments = self.get_environments(request, issue)
        stored = stored_tag_key(key)
        # Sentry looks the key up in every environment before listing its values.
        if not issue_has_tag_key(issue, stored):
            raise ResourceDoesNotExist
        values = issue_tag_values(
            issue,
            stored,
            environment_ids=[environment.pk for environment in environments],
            sort=request.query_params.get("sort"),
        )
        page, link = paginate(request, values)
        return Response([serialize_tag_value(row) for row in page], headers={"Link": link})


@extend_schema_view(get=openapi.list_notes, post=openapi.create_note)
class IssueNoteListApi(IssueEndpoint):
    permission_classes = [NotePermission]

    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        notes, link = paginate(request, issue_notes(issue))
        users = DocumentUsers(
            emails_of(note.user_id for note in notes if note.user_id), request.user
        )
        return Response([serialize_activity(note, users) for note in notes], headers={"Link": link})

    def post(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        validator = NoteValidator(data=request.data, context={"project": issue.project})
        validator.is_valid(raise_exception=True)
        mentions = validator.validated_data.get("mentions") or {"users": [], "teams": []}
        try:
            note = note_create(
                issue_id=issue.pk,
                actor=request.user,
                text=validator.validated_data["text"],
                mentioned_users=mentions["users"],
                mentioned_teams=mentions["teams"],
            )
        except DuplicateNote:
            return Response(
                {"detail": "You have already posted that comment."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        users = DocumentUsers(emails_of([request.user.pk]), request.user)
        return Response(serialize_activity(note, users), status=status.HTTP_201_CREATED)


@extend_schema_view(put=openapi.update_note, delete=openapi.delete_note)
class IssueNoteDetailApi(IssueEndpoint):
    permission_classes = [NotePermission]

    def put(self, request, issue_id, note_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        number = _note_id(note_id)
        # Sentry finds the requester's note (404) before it reads the body (400).
        if not is_own_note(issue, number, request.user):
            raise ResourceDoesNotExist
        # Mentions are validated, as Sentry does, and not kept.
        validator = NoteValidator(data=request.data, context={"project": issue.project})
        validator.is_valid(raise_exception=True)
        note = note_update(
            issue_id=issue.pk,
            note_id=number,
            actor=request.user,
            text=validator.validated_data["text"],
        )
        users = DocumentUsers(emails_of([request.user.pk]), request.user)
        return Response(serialize_activity(note, users))

    def delete(self, request, issue_id, note_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        note_delete(issue_id=issue.pk, note_id=_note_id(note_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=openapi.list_activities)
class IssueActivityListApi(IssueEndpoint):
    """Sentry's GroupActivitiesEndpoint: the issue document's activity, under "activity"."""

    # Only the activity (with the users it names) is wanted: the other detail parts that
    # can be left out are.
    UNWANTED = frozenset({"stats", "tags", "release"})

    def get(self, request, issue_id, organization_id_or_slug=None):
        # The issue, the requester's membership and the activity in one statement, as the
        # issue GET reads them.
        gathered = self.gather_issue(
            request,
            issue_id,
            organization_id_or_slug,
            parts=True,
            detail=True,
            collapse=self.UNWANTED,
        )
        if gathered.read.parts:
            gathered = build_issues(gathered.read)[0]
        else:  # ?environment= (which the activity ignores) was given
            found = gather_issues(
                user=request.user,
                lookup=IssueLookup(issue_id=gathered.issue.pk),
                detail=True,
                collapse=self.UNWANTED,
                now=timezone.now(),
            )
            if not found:
                raise ResourceDoesNotExist  # deleted meanwhile
            gathered = found[0]
        parts = gathered.parts
        users = DocumentUsers(
            parts.emails_by_user, request.user, parts.user_rows, parts.user_email_rows
        )
        return Response({"activity": activity(parts, gathered.issue, users)})


@extend_schema_view(get=openapi.list_hashes)
class IssueHashListApi(IssueEndpoint):
    def get(self, request, issue_id, organization_id_or_slug=None):
        issue = self.get_issue(request, issue_id, organization_id_or_slug)
        hashes, link = paginate(request, issue_hashes(issue))
        event = latest_event(issue) if hashes else None
        return Response([serialize_hash(value, event) for value in hashes], headers={"Link": link})
