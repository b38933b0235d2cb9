"""Where reads go when DATABASE_REPLICA_URLS names replicas, seen with replica1 pointed at the
primary (one database, two connections) and what the replica says of itself given by the test
(replica_says): the router, the request's choice, the writer's position."""

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ApiToken
from issues.models import Issue
from issues_api import replicas
from issues_api.db_router import read_connection, reads_from
from issues_api.replicas import client_key
from tests.factories import ApiTokenFactory, make_issue
from tests.helpers import bearer, client_for, issue_url
from tests.releases.helpers import RELEASE_SCOPES, releases_url
from tests.replicas.conftest import needs_replicas

pytestmark = [needs_replicas]
REPLICA = "replica1"
# What the primary reads for a GET a replica serves: the writer's position in the cache
# (the database cache, on the primary), and the token's last use, written once a minute.
PRIMARY_QUERIES_OF_A_REPLICA_GET = 2
# The token and one statement (issues.gather), as on the primary (tests/issues/test_issue_queries).
REPLICA_QUERIES_OF_A_GET = 2

transactional = pytest.mark.django_db(transaction=True, databases="__all__")


class DirectRead:
    """A request-like object for client_key."""

    def __init__(self, header: str):
        self.META = {"HTTP_AUTHORIZATION": header}


@pytest.mark.django_db(databases="__all__")
def test_router_reads_where_the_request_chose_and_writes_on_the_primary():
    assert router.db_for_read(Issue) == DEFAULT_DB_ALIAS
    with reads_from(REPLICA):
        assert router.db_for_read(Issue) == REPLICA
        assert router.db_for_write(Issue) == DEFAULT_DB_ALIAS
        assert read_connection().alias == REPLICA
        assert Issue.objects.all().db == REPLICA
        assert Issue.objects.select_for_update().db == DEFAULT_DB_ALIAS
    assert read_connection().alias == DEFAULT_DB_ALIAS


@pytest.mark.django_db(databases="__all__")
def test_reads_inside_a_write_transaction_go_to_the_primary():
    with reads_from(REPLICA):
        with transaction.atomic():
            assert router.db_for_read(Issue) == DEFAULT_DB_ALIAS
            assert read_connection().alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(Issue) == REPLICA


@pytest.mark.django_db(databases="__all__")
def test_the_cache_and_sessions_are_read_on_the_primary():
    cache_model = cache.cache_model_class
    with reads_from(REPLICA):
        assert router.db_for_read(cache_model) == DEFAULT_DB_ALIAS
        assert router.db_for_read(ApiToken) == REPLICA
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS


def test_replicas_are_never_migrated():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "issues")
    assert not router.allow_migrate(REPLICA, "issues")


def test_the_writer_is_its_bearer_token():
    assert client_key(DirectRead("Bearer abc")) == client_key(DirectRead("bearer abc"))
    assert client_key(DirectRead("Bearer abc")) != client_key(DirectRead("Bearer abd"))
    assert client_key(DirectRead("")) is None
    assert client_key(DirectRead("Basic abc")) is None


def test_wal_positions_compare_as_numbers():
    assert replicas.lsn_number("0/A") == 10
    assert replicas.lsn_number("1/0") == 2**32
    assert replicas.lsn_number("16/B374D848") > replicas.lsn_number("9/FFFFFFFF")


def served(alias: str):
    return CaptureQueriesContext(connections[alias])


@transactional
def test_a_get_is_served_by_the_replica(api, issue, replica_says):
    with served(DEFAULT_DB_ALIAS) as primary, served(REPLICA) as replica:
        response = api.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)
    assert len(replica) == REPLICA_QUERIES_OF_A_GET, [q["sql"] for q in replica]
    assert len(primary) == PRIMARY_QUERIES_OF_A_REPLICA_GET, [q["sql"] for q in primary]
    assert replica_says.asked == 1


@transactional
def test_a_replica_status_is_kept_briefly(api, issue, replica_says, settings):
    settings.DATABASE_REPLICA_STATUS_SECONDS = 60
    for _ in range(3):
        assert api.get(issue_url(issue)).status_code == 200
    assert replica_says.asked == 1
    settings.DATABASE_REPLICA_STATUS_SECONDS = 0
    for _ in range(2):
        assert api.get(issue_url(issue)).status_code == 200
    assert replica_says.asked == 3


@transactional
def test_writes_and_the_admin_are_not_routed(api, issue, replica_says):
    with served(REPLICA) as replica:
        response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
        assert response.status_code == 200, response.content
        assert api.get("/admin/login/").status_code == 200
    assert len(replica) == 0
    assert replica_says.asked == 0


@transactional
def test_after_a_write_its_writer_reads_the_primary_until_the_replica_replayed_it(
    api, issue, user, replica_says
):
    replica_says.replayed = 1
    response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    written = cache.get(client_key(DirectRead(api._credentials["HTTP_AUTHORIZATION"])))
    assert written > 1

    # The writer: the replica has not replayed its write.
    with served(REPLICA) as replica:
        response = api.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert len(replica) == 0

    # Another client has written nothing: the replica serves it.
    with served(REPLICA) as replica:
        response = client_for(user).get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert len(replica) == REPLICA_QUERIES_OF_A_GET

    # The replica has replayed the write: it serves the writer again.
    replica_says.replayed = written
    with served(REPLICA) as replica:
        response = api.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    assert len(replica) == REPLICA_QUERIES_OF_A_GET


@transactional
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("delete", "", None),
        ("post", "comments/", {"text": "a note"}),
    ],
)
def test_every_write_of_the_api_keeps_its_position(api, issue, method, path, body):
    key = client_key(DirectRead(api._credentials["HTTP_AUTHORIZATION"]))
    assert cache.get(key) is None
    response = getattr(api, method)(issue_url(issue) + path, body, format="json")
    assert response.status_code < 300, response.content
    assert cache.get(key) > 0


@transactional
def test_a_refused_write_keeps_no_position(api, issue):
    key = client_key(DirectRead(api._credentials["HTTP_AUTHORIZATION"]))
    response = api.put(issue_url(issue), {"status": "no such status"}, format="json")
    assert response.status_code == 400, response.content
    assert cache.get(key) is None


@transactional
def test_a_replica_lagging_past_the_bound_is_skipped(api, issue, replica_says, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    settings.DATABASE_REPLICA_STATUS_SECONDS = 0
    replica_says.lag_seconds = 6
    with served(REPLICA) as replica:
        assert api.get(issue_url(issue)).status_code == 200
    assert len(replica) == 0
    replica_says.lag_seconds = 4
    with served(REPLICA) as replica:
        assert api.get(issue_url(issue)).status_code == 200
    assert len(replica) == REPLICA_QUERIES_OF_A_GET


@pytest.fixture(autouse=True)
def primary_as_replica(replica_on):
    """replica1 on the primary: one database, seen through two connections."""
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    replica_on(primary["HOST"], primary["PORT"])
    return replica_on


@pytest.fixture
def unreachable_replica(replica_on):
    """replica1 pointed at a port where nothing listens (connection refused)."""
    return replica_on("127.0.0.1", 9)


@transactional
def test_a_replica_that_does_not_answer_is_skipped_without_a_5xx(
    api, issue, unreachable_replica, settings, monkeypatch
):
    settings.DATABASE_REPLICA_RETRY_SECONDS = 60
    asked = []
    ask = replicas.ask_replica
    monkeypatch.setattr(replicas, "ask_replica", lambda alias: asked.append(alias) or ask(alias))
    for _ in range(2):
        response = api.get(issue_url(issue))
        assert response.status_code == 200, response.content
    # Asked once, then left alone for DATABASE_REPLICA_RETRY_SECONDS.
    assert asked == [REPLICA]


@transactional
def test_a_replica_lost_in_the_middle_of_a_read_is_read_again_from_the_primary(
    api, issue, replica_says, unreachable_replica
):
    # The replica said it was fine a moment ago (its status is kept), then went away.
    response = api.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(issue.pk)
    assert replica_say_again(replica_says)


def replica_say_again(replica_says) -> bool:
    """After a failed read the replica's kept status is forgotten: it is asked next time."""
    return REPLICA not in replicas._statuses


@transactional
def test_the_cache_down_sends_reads_to_the_primary(api, issue, replica_says, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(replicas.cache, "get", down)
    with served(REPLICA) as replica:
        response = api.get(issue_url(issue))
    assert response.status_code == 200, response.content
    assert len(replica) == 0


@transactional
def test_a_token_only_the_primary_has_yet_authenticates(issue, user, replica_says, monkeypatch):
    """The token lookup falls back to the primary when the replica does not know the token."""
    from accounts import authentication

    plaintext = ApiTokenFactory(user=user).plaintext
    looked_up = []
    lookup = authentication.token_by_digest

    def replica_without_the_token(digest):
        alias = read_connection().alias
        looked_up.append(alias)
        return None if alias == REPLICA else lookup(digest)

    monkeypatch.setattr(authentication, "token_by_digest", replica_without_the_token)
    response = APIClient().get(issue_url(issue), **bearer(plaintext))
    assert response.status_code == 200, response.content
    assert looked_up == [REPLICA, DEFAULT_DB_ALIAS]


@transactional
def test_a_bulk_update_keeps_the_position(api, issue, project, replica_says):
    other = make_issue(project, message="another problem")
    url = f"/api/0/projects/{project.organization.slug}/{project.slug}/issues/"
    response = api.put(f"{url}?id={issue.pk}&id={other.pk}", {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    replica_says.replayed = 1
    with served(REPLICA) as replica:
        response = api.get(issue_url(other))
    assert response.json()["status"] == "resolved"
    assert len(replica) == 0


@transactional
def test_a_release_write_keeps_the_position_and_its_writer_reads_it(
    organization, project, user, replica_says
):
    ci = client_for(user, RELEASE_SCOPES)
    body = {"version": "shop@1.0.0", "projects": [project.slug]}
    response = ci.post(releases_url(organization), body, format="json")
    assert response.status_code == 201, response.content
    replica_says.replayed = 1
    with served(REPLICA) as replica:
        response = ci.get(releases_url(organization) + "shop@1.0.0/")
    assert response.status_code == 200, response.content
    assert len(replica) == 0


@transactional
def test_options_keeps_no_position(api, issue):
    key = client_key(DirectRead(api._credentials["HTTP_AUTHORIZATION"]))
    assert api.options(issue_url(issue)).status_code == 200
    assert cache.get(key) is None


@transactional
def test_the_kept_position_is_never_lowered(api, issue):
    # Another write of the client, answered at the same time, kept a later position.
    key = client_key(DirectRead(api._credentials["HTTP_AUTHORIZATION"]))
    cache.set(key, 2**62)
    response = api.put(issue_url(issue), {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.content
    assert cache.get(key) == 2**62


@transactional
def test_a_head_is_a_read(api, issue, replica_says):
    with served(REPLICA) as replica:
        response = api.head(issue_url(issue))
    assert response.status_code == 200, response.content
    assert len(replica) == REPLICA_QUERIES_OF_A_GET
