"""The clients of the cluster test: SDKs sending events, API clients writing and reading back.

Each keeps what it was answered, with the time (time.monotonic()), for the test to judge once
they stopped: which events the SDK got a 200 for, which answers were 5xx and when, and every
read that showed an older state than the client had written.
"""

import threading
import time
import uuid
from dataclasses import dataclass

import sentry_sdk
import urllib3
from sentry_sdk.transport import HttpTransport


class RecordingTransport(HttpTransport):
    """sentry-sdk's own HTTP transport, which also notes the answer to each event's envelope:
    its status, or None when the request failed before one came (a broken connection)."""

    def __init__(self, options):
        super().__init__(options)
        self.answers: dict[str, tuple[int | None, float]] = {}

    def _note(self, envelope, status):
        event = envelope.get_event() if envelope is not None else None
        if event is not None:
            self.answers[event["event_id"]] = (status, time.monotonic())

    def _handle_response(self, response, envelope):
        self._note(envelope, response.status)
        super()._handle_response(response=response, envelope=envelope)

    def _handle_request_error(self, envelope, loss_reason="network", **kwargs):
        if loss_reason == "network":  # no answer at all (else _handle_response noted it)
            self._note(envelope, None)
        super()._handle_request_error(envelope=envelope, loss_reason=loss_reason, **kwargs)


class Sender(threading.Thread):
    """A program with sentry-sdk sending error events to the DSN, through nginx; each event has
    an id and a message of its own, and one of `fingerprints` (so its issue is known)."""

    def __init__(self, dsn: str, fingerprints: list[str], interval: float):
        super().__init__(daemon=True)
        self.client = sentry_sdk.Client(
            dsn=dsn,
            transport=RecordingTransport,
            default_integrations=False,
            transport_queue_size=10_000,
        )
        self.fingerprints = fingerprints
        self.interval = interval
        self.sent: dict[str, str] = {}  # event id -> fingerprint
        self.stop = threading.Event()

    def send(self, fingerprint: str) -> str:
        event_id = uuid.uuid4().hex
        self.sent[event_id] = fingerprint
        self.client.capture_event(
            {
                "event_id": event_id,
                "level": "error",
                "platform": "python",
                "message": f"cluster event {event_id}",
                "fingerprint": [fingerprint],
            }
        )
        return event_id

    def run(self):
        turn = 0
        while not self.stop.is_set():
            self.send(self.fingerprints[turn % len(self.fingerprints)])
            turn += 1
            self.stop.wait(self.interval)

    def finish(self) -> dict[str, tuple[int | None, float]]:
        """Stop, send what is queued, and give the answers by event id."""
        self.stop.set()
        if self.is_alive():
            self.join()
        self.client.flush(timeout=60)
        return dict(self.client.transport.answers)


@dataclass
class Failure:
    at: float
    method: str
    status: int | None  # None: no HTTP answer (the connection failed)


@dataclass
class StaleRead:
    at: float
    wrote: dict
    read: dict


# What the writers set, in turn: status, bookmark, assignment, each back and forth.
CHANGES = (
    {"status": "resolved"},
    {"isBookmarked": True},
    {"assignedTo": "ASSIGNEE"},
    {"status": "unresolved"},
    {"isBookmarked": False},
    {"assignedTo": ""},
)
PUT_ATTEMPTS = 5


class Writer(threading.Thread):
    """An API client (its own token) that owns one issue: it PUTs a change, then at once GETs
    the issue, through nginx, and checks that it reads what it wrote (read-your-writes across
    the two API instances and the replica). A PUT answered 5xx or not at all is sent again,
    as a client would (a PUT sets a state: sending it twice is the same), and noted."""

    def __init__(self, base: str, token: str, issue_id: str, assignee: str, interval=0.02):
        super().__init__(daemon=True)
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.url = f"{base}/api/0/issues/{issue_id}/"
        self.assignee = assignee
        self.interval = interval
        self.stop = threading.Event()
        self.state = {"status": "unresolved", "isBookmarked": False, "assignedTo": None}
        self.writes = 0
        self.reads: list[float] = []
        self.failures: list[Failure] = []
        self.stale: list[StaleRead] = []

    def request(self, method: str, body: dict | None = None):
        try:
            answer = self.http.request(method, self.url, json=body, headers=self.headers)
        except urllib3.exceptions.HTTPError:
            self.failures.append(Failure(time.monotonic(), method, None))
            return None
        if answer.status >= 500:
            self.failures.append(Failure(time.monotonic(), method, answer.status))
            return None
        assert answer.status == 200, (method, answer.status, answer.data[:300])
        return answer.json()

    def put(self, change: dict) -> bool:
        for _ in range(PUT_ATTEMPTS):
            if self.request("PUT", change) is not None:
                return True
            time.sleep(0.2)
        return False

    def seen(self, issue: dict) -> dict:
        assigned = issue["assignedTo"]
        return {
            "status": issue["status"],
            "isBookmarked": issue["isBookmarked"],
            "assignedTo": assigned["email"] if assigned else None,
        }

    def run(self):
        turn = 0
        while not self.stop.is_set():
            change = dict(CHANGES[turn % len(CHANGES)])
            turn += 1
            if change.get("assignedTo"):
                change["assignedTo"] = self.assignee
            if not self.put(change):
                continue
            self.writes += 1
            self.state |= change
            if "assignedTo" in change:
                self.state["assignedTo"] = change["assignedTo"] or None
            issue = self.request("GET")
            if issue is not None:
                self.reads.append(time.monotonic())
                if self.seen(issue) != self.state:
                    self.stale.append(StaleRead(time.monotonic(), dict(self.state), issue))
            self.stop.wait(self.interval)

    def finish(self) -> None:
        self.stop.set()
        self.join()
