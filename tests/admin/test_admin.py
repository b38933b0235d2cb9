"""The admin (issue 5), page by page, through Django's test client.

Every model's changelist, change page, add page and filters; the searches (short id, title,
culprit, email, version, slug); the issue form and actions, which go through issue_update and
issue_delete with the admin as actor; token creation (plaintext shown once, digest stored);
and the query counts of the changelists and of the issue page, pinned for 1 row and for many.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import (
    ApiToken,
    Organization,
    OrganizationMember,
    Project,
    User,
    UserEmail,
)
from accounts.scopes import SCOPES
from issues.changes import IssueChanges
from issues.models import (
    Activity,
    ActivityType,
    Assignee,
    Bookmark,
    Event,
    Issue,
    IssueEnvironment,
    IssueHash,
    IssueLevel,
    IssueStatus,
    IssueSubstatus,
    Subscription,
)
from issues.services import issue_delete, issue_update
from issues.shapes import ACTIVITY_LIMIT
from issues.status import Resolve
from releases.models import Deploy, Release
from tests.admin.conftest import (
    MODELS,
    add_url,
    build_world,
    change_url,
    changelist_url,
    results,
)
from tests.factories import (
    ApiTokenFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    ReleaseFactory,
    TeamFactory,
    UserFactory,
    make_event,
    make_issue,
)

pytestmark = pytest.mark.django_db


HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The POST body a browser would send back unchanged for a change page."""
    context = response.context
    form_list = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        form_list.append(inline.formset.management_form)
        form_list.extend(inline.formset.forms)
    data = {}
    for form in form_list:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "" if value is None else str(value)
    return data


def activity_of(issue) -> list[tuple]:
    """(type, user id) of the issue's Activity rows, oldest first."""
    return list(Activity.objects.filter(issue=issue).order_by("id").values_list("type", "user"))


def issue_page(client, issue):
    response = client.get(change_url(issue))
    assert response.status_code == 200, response.content[:2000]
    return response


def save_issue(client, issue, **changes):
    data = form_data(issue_page(client, issue))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data["_save"] = "Save"
    return client.post(change_url(issue), data)


def run_action(client, action: str, issues, **extra):
    return client.post(
        changelist_url(Issue),
        {"action": action, "_selected_action": [str(issue.pk) for issue in issues], **extra},
    )


def api_get_issue(user, issue_id):
    token = ApiTokenFactory(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    return client.get(f"/api/0/issues/{issue_id}/")


def issue_ids(response) -> set[int]:
    return {issue.pk for issue in results(response)}


def test_issues_filter_by_status_level_project_organization_and_environment(admin_client):
    world = build_world(1)
    other = build_world(2)
    staging = make_issue(world.project, message="Staging only", environment="staging", level="info")
    url = changelist_url(Issue)

    resolved = admin_client.get(url, {"status__exact": IssueStatus.RESOLVED})
    assert issue_ids(resolved) == {world.resolved.pk, other.resolved.pk}
    ignored = admin_client.get(url, {"status__exact": IssueStatus.IGNORED})
    assert issue_ids(ignored) == {world.ignored.pk, other.ignored.pk}
    pending = admin_client.get(url, {"status__exact": IssueStatus.PENDING_DELETION})
    assert issue_ids(pending) == {world.discarded.pk, other.discarded.pk}
    info = admin_client.get(url, {"level__exact": IssueLevel.INFO})
    assert issue_ids(info) == {staging.pk}
    by_project = admin_client.get(url, {"project__id__exact": other.project.pk})
    assert issue_ids(by_project) == {other.resolved.pk, other.ignored.pk, other.discarded.pk}
    by_organization = admin_client.get(
        url, {"project__organization__id__exact": world.organization.pk}
    )
    assert issue_ids(by_organization) == {
        world.resolved.pk,
        world.ignored.pk,
        world.discarded.pk,
        staging.pk,
    }
    assert issue_ids(admin_client.get(url, {"environment": "staging"})) == {staging.pk}
    production = admin_client.get(url, {"environment": "production"})
    assert staging.pk not in issue_ids(production)
    assert world.resolved.pk in issue_ids(production)


def test_issues_filter_by_the_empty_environment(admin_client, project):
    bare = make_issue(project, message="No environment", environment="")
    make_issue(project, message="In production", environment="production")
    response = admin_client.get(changelist_url(Issue), {"environment": "(none)"})
    assert issue_ids(response) == {bare.pk}
    assert "(no environment)" in response.content.decode()


def test_events_filter_by_environment_and_project(admin_client, project):
    staging = make_event(project, message="a", environment="staging")
    make_event(project, message="b", environment="production")
    other = make_event(ProjectFactory(), message="c", environment="staging")
    url = changelist_url(Event)
    assert {row.pk for row in results(admin_client.get(url, {"environment": "staging"}))} == {
        staging.pk,
        other.pk,
    }
    by_project = admin_client.get(url, {"environment": "staging", "project__id__exact": project.pk})
    assert [row.pk for row in results(by_project)] == [staging.pk]


def test_tokens_filter_by_state(admin_client, user):
    now = timezone.now()
    never = ApiTokenFactory(user=user, name="never")
    later = ApiTokenFactory(user=user, name="later", expires_at=now + timedelta(days=1))
    expired = ApiTokenFactory(user=user, name="expired", expires_at=now - timedelta(days=1))
    revoked = ApiTokenFactory(user=user, name="revoked")
    revoked.revoked_at = now
    revoked.save()
    url = changelist_url(ApiToken)

    def names(state):
        return {token.name for token in results(admin_client.get(url, {"state": state}))}

    assert names("active") == {never.name, later.name}
    assert names("expired") == {expired.name}
    assert names("revoked") == {revoked.name}
    assert names("never") == {never.name, revoked.name}


# Search


@pytest.fixture
def pump_station():
    organization = OrganizationFactory(slug="interstellar")
    team = TeamFactory(organization=organization)
    return ProjectFactory(organization=organization, teams=[team], slug="pump-station")


def search(client, model, term):
    return results(client.get(changelist_url(model), {"q": term}))


def test_issue_search_by_qualified_short_id(admin_client, pump_station):
    first = make_issue(pump_station, message="First problem")
    second = make_issue(pump_station, message="Second problem")
    elsewhere = make_issue(ProjectFactory(slug="pump"), message="Station problem")
    assert (first.short_id, second.short_id) == (1, 2)

    assert search(admin_client, Issue, "PUMP-STATION-1") == [first]
    assert search(admin_client, Issue, " pump-station-2 ") == [second]
    assert search(admin_client, Issue, "PUMP-STATION-Z") == []
    # Beyond any bigint: no match, no error.
    assert search(admin_client, Issue, "PUMP-STATION-" + "Z" * 20) == []
    # By id, and by project slug.
    assert search(admin_client, Issue, str(elsewhere.pk)) == [elsewhere]
    assert set(search(admin_client, Issue, "pump-station")) == {first, second}


def test_issue_search_by_title_and_culprit(admin_client, project):
    message = make_issue(project, message="Disk quota exceeded", culprit="storage.write")
    error = make_event(
        project,
        message="",
        culprit="payments.charge in run",
        exception={"values": [{"type": "ZeroDivisionError", "value": "division by zero"}]},
    ).issue
    assert error.title == "ZeroDivisionError: division by zero"

    assert search(admin_client, Issue, "quota") == [message]
    assert search(admin_client, Issue, "division by") == [error]
    assert search(admin_client, Issue, "ZeroDivision") == [error]
    assert search(admin_client, Issue, "payments.charge") == [error]
    assert search(admin_client, Issue, "storage.write") == [message]


def test_rows_of_issues_are_found_by_the_issue_short_id(admin_client, pump_station, user):
    first = make_issue(pump_station, message="First problem")
    make_issue(pump_station, message="Second problem")
    issue_update(issue_id=first.pk, actor=user, changes=IssueChanges(status=Resolve()))

    events = search(admin_client, Event, "PUMP-STATION-1")
    assert [event.issue_id for event in events] == [first.pk]
    activity = search(admin_client, Activity, "PUMP-STATION-1")
    assert [row.type for row in activity] == [ActivityType.SET_RESOLVED]
    environments = search(admin_client, IssueEnvironment, "PUMP-STATION-1")
    assert [row.issue_id for row in environments] == [first.pk]


def test_search_users_by_email(admin_client):
    wanted = UserFactory(email="ada@example.org")
    UserFactory(email="grace@example.org")
    assert search(admin_client, User, "ada@example") == [wanted]
    assert [row.user for row in search(admin_client, UserEmail, "ada@")] == [wanted]


def test_search_releases_by_version(admin_client):
    wanted = ReleaseFactory(version="2.4.1")
    ReleaseFactory(version="3.0.0")
    assert search(admin_client, Release, "2.4") == [wanted]


def test_search_by_project_slug(admin_client, pump_station):
    ProjectFactory(slug="prime-mover")
    assert search(admin_client, Project, "pump-st") == [pump_station]
    issue = make_issue(pump_station, message="A problem")
    assert [event.issue for event in search(admin_client, Event, "pump-station")] == [issue]


def test_search_tokens_by_user_email(admin_client):
    wanted = ApiTokenFactory(user=UserFactory(email="ops@example.org"))
    ApiTokenFactory()
    assert search(admin_client, ApiToken, "ops@example") == [wanted]


# The issue change page


def test_issue_page_shows_counts_links_and_triage(admin_client, admin_user):
    world = build_world(1)
    issue = world.resolved
    response = issue_page(admin_client, issue)
    body = response.content.decode()
    assert issue.qualified_short_id in body
    permalink = f"http://testserver/organizations/{world.organization.slug}/issues/{issue.pk}/"
    assert f'href="{permalink}"' in body
    assert f"in_release, release {world.release.version}, resolved, by {world.user.email}" in body
    # The computed fields read as the API's document shows them.
    document = api_get_issue(world.user, issue.pk).json()
    for key in ("shortId", "permalink", "firstSeen", "lastSeen"):
        assert document[key] in body, key
    assert document["count"] == str(response.context["original"].times_seen)
    displays = {
        field.field["label"]: field.contents()
        for fieldset in response.context["adminform"]
        for line in fieldset
        for field in line
        if field.is_readonly
    }
    assert displays["count"] == document["count"]
    assert displays["userCount"] == str(document["userCount"])
    assert displays["firstSeen"] == document["firstSeen"]
    assert displays["lastSeen"] == document["lastSeen"]
    assert displays["shortId"] == document["shortId"]
    assert f"{world.user.email} (user, since" in body

    form = response.context["adminform"].form
    assert form["status"].value() == "resolved"
    assert form["assigned_to"].value() == f"user:{world.user.pk}"
    assert form["bookmarked"].value() is False  # bookmarked by the member, not by the admin
    choices = dict(form.fields["assigned_to"].choices)
    assert dict(choices["Users"]) == {
        f"user:{world.user.pk}": f"{world.user.name} <{world.user.email}>"
    }
    assert dict(choices["Teams"]) == {f"team:{world.team.pk}": f"#{world.team.slug}"}

    ignored = issue_page(admin_client, world.ignored)
    assert "10 more events" in ignored.content.decode()
    assert f"#{world.team.slug} (team, since" in ignored.content.decode()
    assert ignored.context["adminform"].form["status"].value() == "ignored"


def test_issue_page_shows_activity_newest_first_and_at_most_the_limit(admin_client, issue, user):
    now = timezone.now()
    Activity.objects.bulk_create(
        Activity(
            project_id=issue.project_id,
            issue=issue,
            type=ActivityType.NOTE,
            user=user,
            datetime=now - timedelta(minutes=minutes),
            data={"text": str(minutes)},
        )
        for minutes in range(ACTIVITY_LIMIT + 5)
    )
    response = issue_page(admin_client, issue)
    formsets = {
        inline.formset.prefix: inline.formset
        for inline in response.context["inline_admin_formsets"]
    }
    rows = [form.instance for form in formsets["activities"].forms]
    assert len(rows) == ACTIVITY_LIMIT
    assert [row.data["text"] for row in rows[:3]] == ["0", "1", "2"]
    assert [row.datetime for row in rows] == sorted((row.datetime for row in rows), reverse=True)
    assert [
        row.environment.name
        for row in (form.instance for form in formsets["environment_stats"].forms)
    ] == ["production"]


def test_saving_the_status_resolves_through_issue_update_with_the_admin(
    admin_client, admin_user, issue
):
    response = save_issue(admin_client, issue, status="resolved")
    assert response.status_code == 302, response.context["adminform"].form.errors

    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert issue.resolved_at is not None
    activity = Activity.objects.get(issue=issue)
    assert (activity.type, activity.user) == (ActivityType.SET_RESOLVED, admin_user)
    # issue_update subscribes whoever changes the status.
    assert Subscription.objects.filter(issue=issue, user=admin_user).exists()
    entry = LogEntry.objects.get(object_id=str(issue.pk))
    assert entry.action_flag == CHANGE
    assert entry.user == admin_user
    assert "status" in entry.get_change_message().lower()


def test_saving_ignore_then_unresolve(admin_client, admin_user, issue):
    assert save_issue(admin_client, issue, status="ignored").status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.substatus) == (
        IssueStatus.IGNORED,
        IssueSubstatus.ARCHIVED_FOREVER,
    )
    assert save_issue(admin_client, issue, status="unresolved").status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.substatus) == (IssueStatus.UNRESOLVED, IssueSubstatus.ONGOING)
    assert activity_of(issue) == [
        (ActivityType.SET_IGNORED, admin_user.pk),
        (ActivityType.SET_UNRESOLVED, admin_user.pk),
    ]


def test_saving_the_assignee_assigns_and_unassigns_with_the_admin(
    admin_client, admin_user, issue, user, team
):
    assert save_issue(admin_client, issue, assigned_to=f"user:{user.pk}").status_code == 302
    assert Assignee.objects.get(issue=issue).user == user
    assigned = Activity.objects.get(issue=issue, type=ActivityType.ASSIGNED)
    assert assigned.user == admin_user
    assert assigned.data == {
        "assignee": str(user.pk),
        "assigneeEmail": user.email,
        "assigneeType": "user",
    }

    assert save_issue(admin_client, issue, assigned_to=f"team:{team.pk}").status_code == 302
    assert Assignee.objects.get(issue=issue).team == team

    assert save_issue(admin_client, issue, assigned_to="").status_code == 302
    assert not Assignee.objects.filter(issue=issue).exists()
    assert activity_of(issue) == [
        (ActivityType.ASSIGNED, admin_user.pk),
        (ActivityType.ASSIGNED, admin_user.pk),
        (ActivityType.UNASSIGNED, admin_user.pk),
    ]


def test_the_assignee_must_be_of_the_project(admin_client, issue):
    outsider = UserFactory()
    other_team = TeamFactory()
    for value in (f"user:{outsider.pk}", f"team:{other_team.pk}", "user:999999"):
        response = save_issue(admin_client, issue, assigned_to=value)
        assert response.status_code == 200
        assert "assigned_to" in response.context["adminform"].form.errors
    assert not Assignee.objects.filter(issue=issue).exists()
    assert not Activity.objects.filter(issue=issue).exists()


def test_the_validator_checks_what_the_choices_allowed(admin_client, issue, user):
    """A member who left the project since the page was shown is refused as by PUT."""
    data = form_data(issue_page(admin_client, issue))
    OrganizationMember.objects.filter(user=user).delete()
    # The page's choices are rebuilt on POST, so the stale choice is refused there.
    data.update({"assigned_to": f"user:{user.pk}", "_save": "Save"})
    response = admin_client.post(change_url(issue), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assigned_to"]
    assert not Assignee.objects.filter(issue=issue).exists()


def test_saving_the_bookmark_bookmarks_for_the_admin(admin_client, admin_user, issue, user):
    Bookmark.objects.create(issue=issue, user=user)
    assert save_issue(admin_client, issue, bookmarked="on").status_code == 302
    assert set(Bookmark.objects.filter(issue=issue).values_list("user", flat=True)) == {
        user.pk,
        admin_user.pk,
    }
    assert issue_page(admin_client, issue).context["adminform"].form["bookmarked"].value()
    assert save_issue(admin_client, issue, bookmarked=None).status_code == 302
    assert list(Bookmark.objects.filter(issue=issue).values_list("user", flat=True)) == [user.pk]


def test_saving_everything_at_once_and_nothing(admin_client, admin_user, issue, user):
    response = save_issue(
        admin_client, issue, status="resolved", assigned_to=f"user:{user.pk}", bookmarked="on"
    )
    assert response.status_code == 302
    assert set(Activity.objects.filter(issue=issue).values_list("type", "user")) == {
        (ActivityType.SET_RESOLVED, admin_user.pk),
        (ActivityType.ASSIGNED, admin_user.pk),
    }
    assert Bookmark.objects.filter(issue=issue, user=admin_user).exists()

    # Saving the unchanged page changes nothing (no second set_resolved).
    assert save_issue(admin_client, issue).status_code == 302
    assert Activity.objects.filter(issue=issue).count() == 2


def test_the_change_shows_in_the_api_with_the_admin_as_user(admin_client, admin_user, issue, user):
    assert save_issue(admin_client, issue, status="resolved").status_code == 302
    document = api_get_issue(user, issue.pk).json()
    assert document["status"] == "resolved"
    resolved = [item for item in document["activity"] if item["type"] == "set_resolved"]
    assert [item["user"]["email"] for item in resolved] == [admin_user.email]


def test_an_issue_pending_deletion_cannot_change(admin_client, issue):
    issue_delete(issue_id=issue.pk)
    response = issue_page(admin_client, issue)
    form = response.context["adminform"].form
    assert all(field.disabled for field in form.fields.values())
    assert form["status"].value() == "pending_deletion"

    data = form_data(response)
    data.update({"status": "unresolved", "_save": "Save"})
    assert admin_client.post(change_url(issue), data).status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING_DELETION
    assert not Activity.objects.filter(issue=issue).exists()


def test_a_viewer_sees_the_issue_read_only(client, issue):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(viewer)
    response = client.get(change_url(issue))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert "unresolved" in response.content.decode()
    assert client.post(change_url(issue), {"status": "resolved"}).status_code == 403


# Actions


def test_the_actions_resolve_ignore_and_unresolve_each_issue(admin_client, admin_user, project):
    first = make_issue(project, message="one")
    second = make_issue(project, message="two")
    pending = make_issue(project, message="three")
    issue_delete(issue_id=pending.pk)

    response = run_action(admin_client, "resolve", [first, second, pending])
    assert response.status_code == 302
    assert (
        messages_of(response) == ["Resolved 2 issues. 1 pending deletion left alone."]
        or "Resolved 2 issues." in messages_of(response)[0]
    )
    statuses = dict(Issue.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: IssueStatus.RESOLVED,
        second.pk: IssueStatus.RESOLVED,
        pending.pk: IssueStatus.PENDING_DELETION,
    }

    response = run_action(admin_client, "resolve", [first])
    assert "1 already resolved." in messages_of(response)[-1]

    run_action(admin_client, "ignore", [first])
    first.refresh_from_db()
    assert first.status == IssueStatus.IGNORED
    run_action(admin_client, "unresolve", [first, second])
    assert set(
        Issue.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {IssueStatus.UNRESOLVED}

    assert activity_of(first) == [
        (ActivityType.SET_RESOLVED, admin_user.pk),
        (ActivityType.SET_IGNORED, admin_user.pk),
        (ActivityType.SET_UNRESOLVED, admin_user.pk),
    ]
    assert not Activity.objects.filter(issue=pending).exists()


def test_the_resolve_action_is_on_the_issue_page_too(admin_client, admin_user, issue):
    body = issue_page(admin_client, issue).content.decode()
    assert 'name="CHANGE_FORM-action"' in body
    response = admin_client.post(
        change_url(issue),
        {"CHANGE_FORM-action": "resolve", "_selected_action": str(issue.pk)},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert Activity.objects.get(issue=issue).user == admin_user


def test_delete_selected_marks_issues_pending_deletion(admin_client, admin_user, project, user):
    first = make_issue(project, message="one")
    second = make_issue(project, message="two")
    kept = make_issue(project, message="three")

    changelist = admin_client.get(changelist_url(Issue))
    actions = changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert "pending deletion" in str(actions["delete_selected"].description)

    confirmation = run_action(admin_client, "delete_selected", [first, second])
    assert confirmation.status_code == 200
    body = confirmation.content.decode()
    assert "pending deletion" in body
    assert first.qualified_short_id in body
    assert Issue.objects.get(pk=first.pk).status == IssueStatus.UNRESOLVED

    response = run_action(admin_client, "delete_selected", [first, second], post="yes")
    assert response.status_code == 302
    for issue in (first, second):
        issue.refresh_from_db()
        assert issue.status == IssueStatus.PENDING_DELETION
        assert issue.deletion_requested_at is not None
        assert not IssueHash.objects.filter(issue=issue).exists()
        # Still there: run_deletions removes it after the grace period.
        assert Event.objects.filter(issue=issue).exists()
        assert api_get_issue(user, issue.pk).status_code == 404
    assert Issue.objects.get(pk=kept.pk).status == IssueStatus.UNRESOLVED
    assert LogEntry.objects.filter(action_flag=DELETION, user=admin_user).count() == 2


def test_the_delete_button_of_an_issue_goes_through_issue_delete(admin_client, issue, user):
    delete_url = change_url(issue).replace("/change/", "/delete/")
    confirmation = admin_client.get(delete_url)
    assert confirmation.status_code == 200
    assert "pending deletion" in confirmation.content.decode()

    response = admin_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == changelist_url(Issue)
    assert "is pending deletion" in messages_of(response)[0]
    issue.refresh_from_db()
    assert issue.status == IssueStatus.PENDING_DELETION
    assert not IssueHash.objects.filter(issue=issue).exists()
    assert api_get_issue(user, issue.pk).status_code == 404


# API tokens


def test_token_add_page_offers_every_scope_and_no_digest(admin_client):
    response = admin_client.get(add_url(ApiToken))
    form = response.context["adminform"].form
    assert list(form.fields) == ["user", "name", "scopes", "expires_at"]
    assert [value for value, _ in form.fields["scopes"].choices] == list(SCOPES)
    assert "digest" not in response.content.decode()


def create_token(client, user, **fields):
    data = {
        "user": str(user.pk),
        "name": "deploy bot",
        "scopes": ["event:write", "event:read"],
        "expires_at_0": "",
        "expires_at_1": "",
        "_save": "Save",
        **fields,
    }
    return client.post(add_url(ApiToken), data, follow=True)


def test_creating_a_token_shows_its_plaintext_once(admin_client, admin_user, user, issue):
    response = create_token(admin_client, user, expires_at_0="2099-01-02", expires_at_1="03:04:05")
    assert response.status_code == 200
    body = response.content.decode()
    plaintexts = HEX64.findall(body)
    assert len(plaintexts) == 1
    plaintext = plaintexts[0]
    assert "shown only this once" in body

    token = ApiToken.objects.get(name="deploy bot")
    assert token.user == user
    assert token.token_digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.token_last_characters == plaintext[-4:]
    assert token.scopes == ["event:read", "event:write"]
    assert token.expires_at.isoformat() == "2099-01-02T03:04:05+00:00"
    assert LogEntry.objects.get(object_id=str(token.pk)).action_flag == ADDITION

    # Never again: not on the list, not on the change page, only the last four characters.
    for url in (changelist_url(ApiToken), change_url(token)):
        page = admin_client.get(url).content.decode()
        assert plaintext not in page
        assert token.token_digest not in page
        assert f"…{plaintext[-4:]}" in page
    assert (
        "token_digest" not in admin_client.get(change_url(token)).context["adminform"].form.fields
    )

    # And it works.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(f"/api/0/issues/{issue.pk}/").status_code == 200


def test_a_new_token_needs_scopes_known_ones_and_a_future_expiry(admin_client, user):
    response = create_token(admin_client, user, scopes=[])
    assert "scopes" in response.context["adminform"].form.errors
    response = create_token(admin_client, user, scopes=["event:read", "god:mode"])
    assert "scopes" in response.context["adminform"].form.errors
    response = create_token(admin_client, user, expires_at_0="2001-01-01", expires_at_1="00:00")
    assert "expires_at" in response.context["adminform"].form.errors
    assert not ApiToken.objects.filter(user=user).exists()


def test_changing_a_token_changes_its_scopes_not_its_owner(admin_client, user):
    token = ApiTokenFactory(user=user, name="old")
    digest = token.token_digest
    page = admin_client.get(change_url(token))
    assert "user" not in page.context["adminform"].form.fields
    response = admin_client.post(
        change_url(token),
        {
            "user": str(UserFactory().pk),
            "name": "renamed",
            "scopes": ["project:read"],
            "expires_at_0": "",
            "expires_at_1": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.scopes, token.user, token.token_digest) == (
        "renamed",
        ["project:read"],
        user,
        digest,
    )


def test_token_list_shows_name_user_scopes_last_four_and_dates(admin_client, user):
    token = ApiTokenFactory(user=user, name="ci", scopes=["event:read", "project:read"])
    token.last_used_at = timezone.now()
    token.save()
    response = admin_client.get(changelist_url(ApiToken))
    body = response.content.decode()
    assert "event:read, project:read" in body
    assert f"…{token.token_last_characters}" in body
    assert user.email in body
    assert token.token_digest not in body
    assert response.context["cl"].model_admin.list_display == (
        "name",
        "user",
        "scopes_display",
        "last_characters",
        "date_created",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )


# The other add and change forms


def test_adding_a_user_makes_the_email_its_username(admin_client):
    response = admin_client.post(
        add_url(User),
        {
            "email": "new.operator@example.org",
            "name": "New Operator",
            "usable_password": "true",
            "password1": "a long unusual passphrase 42",
            "password2": "a long unusual passphrase 42",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.operator@example.org")
    assert user.username == user.email
    assert user.check_password("a long unusual passphrase 42")
    assert not user.is_staff


def test_adding_a_project_refuses_teams_of_another_organization(admin_client, organization, team):
    stranger = TeamFactory()
    data = {
        "organization": str(organization.pk),
        "name": "Engine",
        "slug": "engine",
        "platform": "python",
        "teams": [str(team.pk), str(stranger.pk)],
        "date_added_0": "2024-01-01",
        "date_added_1": "00:00:00",
        "_save": "Save",
    }
    response = admin_client.post(add_url(Project), data)
    assert response.status_code == 200
    assert "teams" in response.context["adminform"].form.errors
    data["teams"] = [str(team.pk)]
    assert admin_client.post(add_url(Project), data).status_code == 302
    project = Project.objects.get(slug="engine")
    assert list(project.teams.all()) == [team]
    assert project.last_short_id == 0


def test_adding_a_release_stores_its_semantic_parts(admin_client, organization, project):
    data = {
        "organization": str(organization.pk),
        "version": "app@2.3.4-beta.1",
        "ref": "",
        "url": "",
        "owner": "",
        "date_started_0": "",
        "date_started_1": "",
        "date_released_0": "",
        "date_released_1": "",
        "data": "{}",
        "release_projects-TOTAL_FORMS": "1",
        "release_projects-INITIAL_FORMS": "0",
        "release_projects-MIN_NUM_FORMS": "0",
        "release_projects-MAX_NUM_FORMS": "1000",
        "release_projects-0-project": str(project.pk),
        "_save": "Save",
    }
    response = admin_client.post(add_url(Release), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    release = Release.objects.get(version="app@2.3.4-beta.1")
    assert (release.major, release.minor, release.patch, release.prerelease) == (
        2,
        3,
        4,
        "beta.1",
    )
    assert list(release.projects.all()) == [project]

    # The same version again is refused.
    data.update({"release_projects-TOTAL_FORMS": "0"})
    assert admin_client.post(add_url(Release), data).status_code == 200
    assert Release.objects.filter(version="app@2.3.4-beta.1").count() == 1


def test_adding_a_deploy_counts_it_on_the_release(admin_client):
    release = ReleaseFactory()
    response = admin_client.post(
        add_url(Deploy),
        {
            "release": str(release.pk),
            "environment_name": "production",
            "name": "first",
            "url": "",
            "date_started_0": "",
            "date_started_1": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    release.refresh_from_db()
    deploy = Deploy.objects.get(release=release)
    assert (release.deploy_count, release.last_deploy) == (1, deploy)
    assert admin_client.get(change_url(deploy).replace("/change/", "/delete/")).status_code == 403


def test_changing_a_member_and_an_organization(admin_client, organization, team, user):
    member = OrganizationMember.objects.get(user=user)
    response = admin_client.post(
        change_url(member),
        {
            "organization": str(organization.pk),
            "user": str(user.pk),
            "role": "admin",
            "teams": [str(team.pk)],
            "date_added_0": "2024-01-01",
            "date_added_1": "00:00:00",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.role == "admin"

    response = admin_client.post(
        add_url(Organization),
        {
            "name": "New Org",
            "slug": "new-org",
            "date_created_0": "2024-01-01",
            "date_created_1": "00:00:00",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Organization.objects.filter(slug="new-org").exists()


# Query counts: a changelist reads the same queries for 1 row and for many. A query per row
# shows from the second row on; four worlds give every changelist at least four rows.
WORLDS = 4


def page_queries(client, url) -> tuple[int, int]:
    """(queries, rows) of one changelist page."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


# Session, user, the filters' choices (organizations, projects, environment names), the
# filtered and the full count, the page (with project, organization and assignee joined).
ISSUE_CHANGELIST_QUERIES = 8


def test_changelists_read_as_many_queries_for_many_rows_as_for_1(
    admin_client, django_assert_num_queries
):
    """Every changelist; the issue changelist's number is pinned too, searched or not (in the
    same test: worlds take a while to build)."""
    build_world(0)
    one = {model: page_queries(admin_client, changelist_url(model)) for model in MODELS}
    for number in range(1, WORLDS):
        build_world(number)
    many = {model: page_queries(admin_client, changelist_url(model)) for model in MODELS}

    grown = {
        model._meta.label: (one[model][0], many[model][0])
        for model in MODELS
        if many[model][0] != one[model][0]
    }
    assert grown == {}
    few = {model._meta.label: many[model][1] for model in MODELS if many[model][1] < WORLDS}
    assert few == {}

    with django_assert_num_queries(ISSUE_CHANGELIST_QUERIES):
        response = admin_client.get(changelist_url(Issue))
    assert len(results(response)) == 3 * WORLDS
    with django_assert_num_queries(ISSUE_CHANGELIST_QUERIES):
        response = admin_client.get(changelist_url(Issue), {"q": "STATION-3-1"})
    assert len(results(response)) == 1


def grow_issue(issue, users):
    """An activity row, an environment, a bookmark and an event more for each user."""
    for other in users:
        make_event(
            issue.project,
            message=issue.metadata["title"],
            environment=f"env-{other.pk}",
            release=f"9.9.{other.pk}",
        )
        Activity.objects.create(
            project_id=issue.project_id, issue=issue, type=ActivityType.NOTE, user=other
        )
        Bookmark.objects.create(issue=issue, user=other)


def test_the_issue_page_reads_as_many_queries_for_10_rows_as_for_1(admin_client, project):
    issue = make_issue(project, message="Growing problem")
    users = [MemberFactory(organization=project.organization).user for _ in range(10)]
    project.teams.first().members.add(*OrganizationMember.objects.filter(user__in=users))
    grow_issue(issue, users[:1])
    # Once unmeasured: the first page of the process also reads the content types into
    # Django's cache, and this test may be the first to ask.
    issue_page(admin_client, issue)
    with CaptureQueriesContext(connection) as small:
        issue_page(admin_client, issue)
    grow_issue(issue, users[1:])
    with CaptureQueriesContext(connection) as large:
        response = issue_page(admin_client, issue)
    formsets = {i.formset.prefix: i.formset for i in response.context["inline_admin_formsets"]}
    assert len(formsets["activities"].forms) == 10
    assert len(formsets["environment_stats"].forms) == 11
    assert len(large) == len(small)
