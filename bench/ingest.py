"""The ingest benchmark of `make bench` (issue 12): envelopes of the real sentry-sdk posted to
the service as production serves it, then digested, then both at once.

1. accept: wrk posts distinct envelopes (bench/envelopes.py; brotli, about 6.5 KB of JSON
   each) to /api/{project}/envelope/ at BENCH_CONNECTIONS connections for BENCH_DURATION
   seconds: envelopes accepted per second (answered 200, each one row in the queue), p50/p99.
   With BENCH_CEILING_URL (the `raw` endpoint of a ceiling served beside, e.g.
   http://127.0.0.1:8099/raw/), the same wrk runs on it in turn, and the ratio is printed.
2. digest: one `manage.py digest_events --once` worker applies what the accept run queued
   while a client reads the reference issue BENCH_DIGEST_GETS (100) times a second: events
   per second.
3. end to end: a sender posts BENCH_E2E_RATE (500) envelopes per second for BENCH_E2E_SECONDS
   (60) while one worker runs as production runs it; a poller reads the issues' GET every
   BENCH_E2E_POLL (0.25) seconds. An event is visible when the count of its issue in the GET
   has reached it; printed: p50/p99/max from its acceptance to that, and the queue at the end.
"""

import http.client
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import orjson

from bench.wrkrun import wrk_command, wrk_get, wrk_stats

BASE_DIR = Path(__file__).resolve().parent.parent
SDK_ENVELOPES = 2000  # made by the SDK; the others are copies of them with new event ids


@dataclass
class IngestResult:
    accept: dict | None = None
    ceiling: list[tuple[dict, dict]] = field(default_factory=list)
    queued: int = 0
    digest_seconds: float = 0.0
    digested: int = 0
    get_stats: dict | None = None
    # CPU seconds the digest cost: its worker's, and PostgreSQL's (every process of the
    # server, the GETs beside it included), for the capacity model (docs/capacity.md).
    digest_cpu: tuple[float, float] | None = None
    e2e: dict | None = None
    envelope_bytes: tuple[float, float] = (0.0, 0.0)


def _renew(body: bytes, rng: random.Random) -> bytes:
    """The envelope with a new event id (in its header and its event), compressed again as
    the SDK compresses (brotli, quality 4)."""
    text = brotli.decompress(body)
    old = orjson.loads(text.split(b"\n", 1)[0])["event_id"].encode()
    new = f"{rng.getrandbits(128):032x}".encode()
    return brotli.compress(text.replace(old, new), quality=4)


def make_envelopes(
    dsn: str, count: int, *, made_by_sdk: int = SDK_ENVELOPES
) -> tuple[list[bytes], dict]:
    """`count` envelopes: `made_by_sdk` of them made by sentry-sdk, the others copies of
    those with event ids of their own; and the headers the SDK sends them with."""
    from bench.envelopes import sdk_envelopes

    made = sdk_envelopes(dsn, min(count, made_by_sdk))
    headers = made[0][1]
    bodies = [body for body, _ in made]
    # New ids each run: a run on the database of an earlier one must not post its events
    # again (they would be taken as retries, and dropped).
    rng = random.Random()
    while len(bodies) < count:
        bodies.append(_renew(made[len(bodies) % len(made)][0], rng))
    return bodies, headers


def write_bodies(bodies: list[bytes], path: Path) -> None:
    with path.open("wb") as file:
        for body in bodies:
            file.write(b"%d\n" % len(body))
            file.write(body)


def event_id(body: bytes) -> str:
    return orjson.loads(brotli.decompress(body).split(b"\n", 1)[0])["event_id"]


def wrk_post(url: str, headers: dict, bodies_file: Path, *, connections, threads, seconds):
    command = wrk_command(
        url,
        script="envelopes.lua",
        connections=connections,
        threads=threads,
        seconds=seconds,
        headers=headers,
        args=(str(bodies_file), str(min(threads, connections))),
    )
    return wrk_stats(command, f"POST {url}")


def queue_length() -> int:
    from issues.models import IngestItem

    return IngestItem.objects.count()


def event_count() -> int:
    from issues.models import Event

    return Event.objects.count()


def postgres_cpu_seconds() -> float | None:
    """The CPU seconds the PostgreSQL server of the default database has used so far: its
    postmaster's own and its reaped children's (/proc/PID/stat fields 14-17), plus those of its
    live children; None when that server's processes are not on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        directory = Path(cursor.fetchone()[0])
    try:
        postmaster = int((directory / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def digest_command(env: dict, *extra: str) -> list[str]:
    return [sys.executable, "manage.py", "digest_events", *extra]


class PacedReader:
    """GETs one URL at a steady rate from a thread (a dashboard's and clients' reads, not a
    flood that would take the machine from the worker), until stopped."""

    def __init__(self, url: str, token: str, *, rate: float):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port, parts.path
        self.token = token
        self.rate = rate
        self.answered = self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        started = time.monotonic()
        number = 0
        while not self.stop.is_set():
            number += 1
            self.stop.wait(max(0.0, started + number / self.rate - time.monotonic()))
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                connection.request(
                    "GET", self.path, headers={"Authorization": f"Bearer {self.token}"}
                )
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    self.answered += 1
                else:
                    self.failed += 1
            except OSError:
                self.failed += 1
            finally:
                connection.close()


def measure_digest(
    env: dict, api_url: str, token: str, result: IngestResult, say, *, gets_per_second: float
) -> None:
    """One worker drains the queue while the API serves GETs of the reference issue at a
    steady rate."""
    before = event_count()
    queued = queue_length()
    reader = PacedReader(api_url, token, rate=gets_per_second)
    reader.thread.start()
    try:
        started = time.perf_counter()
        worker_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        postgres_before = postgres_cpu_seconds()
        subprocess.run(  # noqa: S603
            digest_command(env, "--once"), cwd=BASE_DIR, env=env, check=True, capture_output=True
        )
        result.digest_seconds = time.perf_counter() - started
        worker_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        postgres_after = postgres_cpu_seconds()
        if postgres_before is not None and postgres_after is not None:
            result.digest_cpu = (
                worker_after.ru_utime
                + worker_after.ru_stime
                - worker_before.ru_utime
                - worker_before.ru_stime,
                postgres_after - postgres_before,
            )
    finally:
        reader.stop.set()
        reader.thread.join()
    result.get_stats = {
        "rps": reader.answered / max(result.digest_seconds, 1e-9),
        "failed": reader.failed,
    }
    result.digested = event_count() - before
    result.queued = queued
    say(
        f"digest: {result.digested:,} events in {result.digest_seconds:.1f} s"
        f" ({result.digested / max(result.digest_seconds, 1e-9):,.0f} events/s)"
    )


class Sender:
    """Posts envelopes at a steady rate from a few keep-alive connections; keeps, for each
    event id, when its 200 came back."""

    def __init__(self, url: str, headers: dict, bodies: list[bytes], *, rate: float, threads=4):
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port, parts.path
        self.headers = headers
        self.bodies = bodies
        self.rate = rate
        self.threads = threads
        self.accepted: dict[str, float] = {}
        self.failed = 0

    def run(self) -> None:
        started = time.monotonic()
        shares = [self.bodies[index :: self.threads] for index in range(self.threads)]
        workers = [
            threading.Thread(target=self._send, args=(share, started, index))
            for index, share in enumerate(shares)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def _send(self, bodies: list[bytes], started: float, index: int) -> None:
        interval = self.threads / self.rate
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        for number, body in enumerate(bodies):
            due = started + (number * self.threads + index) / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                connection.request("POST", self.path, body=body, headers=self.headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status == 200:
                    self.accepted[orjson.loads(answer)["id"]] = time.monotonic()
                else:
                    self.failed += 1
            except OSError:
                self.failed += 1
                connection.close()
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        del interval
        connection.close()


class Poller:
    """Reads the GET of each issue of the project every `every` seconds: (time, {id: count})."""

    def __init__(self, api_url: str, token: str, issue_ids, *, every: float):
        parts = urlsplit(api_url)
        self.host, self.port = parts.hostname, parts.port
        self.token = token
        self.issue_ids = issue_ids
        self.every = every
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.failed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            at = time.monotonic()
            counts = {}
            for issue_id in self.issue_ids():
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                try:
                    connection.request(
                        "GET",
                        f"/api/0/issues/{issue_id}/",
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                    response = connection.getresponse()
                    body = response.read()
                except OSError:
                    self.failed += 1
                    continue
                finally:
                    connection.close()
                if response.status == 200:
                    counts[issue_id] = int(orjson.loads(body)["count"])
                else:
                    self.failed += 1
            self.samples.append((time.monotonic(), counts))
            self.stop.wait(max(0.0, self.every - (time.monotonic() - at)))


def measure_end_to_end(
    env,
    *,
    ingest_url,
    headers,
    bodies,
    api_url,
    token,
    project_id,
    after_issue,
    sdk_event_ids,
    rate,
    seconds,
    poll,
    say,
):
    from issues.models import Event, Issue

    def issue_ids():
        """The issues the SDK's events go to (those of the accept run's events, and any made
        since it began), not the other issues of the benchmark's project."""
        issues = Issue.objects.filter(project_id=project_id, id__gt=after_issue)
        return sorted(known | set(issues.values_list("id", flat=True)))

    known = set(
        Event.objects.filter(project_id=project_id, event_id__in=sdk_event_ids)
        .values_list("issue_id", flat=True)
        .distinct()
    )

    baseline = dict(Issue.objects.filter(project_id=project_id).values_list("id", "times_seen"))
    count = int(rate * seconds)
    sender = Sender(ingest_url, headers, bodies[:count], rate=rate)
    poller = Poller(api_url, token, issue_ids, every=poll)
    worker = subprocess.Popen(digest_command(env), cwd=BASE_DIR, env=env)  # noqa: S603
    poll_thread = threading.Thread(target=poller.run)
    try:
        poll_thread.start()
        started = time.monotonic()
        sender.run()
        sent_seconds = time.monotonic() - started
        deadline = time.monotonic() + 120
        while queue_length() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2 * poll)  # a last sample after the queue is empty
    finally:
        poller.stop.set()
        poll_thread.join()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    left = queue_length()
    issue_of = dict(
        Event.objects.filter(event_id__in=list(sender.accepted)).values_list("event_id", "issue_id")
    )
    # Each issue's events in the order they were accepted: the k-th is visible once the
    # issue's count has grown by k.
    by_issue: dict[int, list[float]] = {}
    for event, at in sorted(sender.accepted.items(), key=lambda item: item[1]):
        if event in issue_of:
            by_issue.setdefault(issue_of[event], []).append(at)
    latencies, unseen = [], 0
    for issue_id, times in by_issue.items():
        start = baseline.get(issue_id, 0)
        for rank, accepted_at in enumerate(times, start=1):
            seen = next(
                (at for at, counts in poller.samples if counts.get(issue_id, 0) - start >= rank),
                None,
            )
            if seen is None:
                # Never seen in a GET: as late as can be, so that it weighs on the p99.
                unseen += 1
                latencies.append(float("inf"))
            else:
                # A sample is taken when its GETs are done: one that began before the 200 may
                # already show the event.
                latencies.append(max(0.0, seen - accepted_at))
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0

    e2e = {
        "sent": count,
        "accepted": len(sender.accepted),
        "failed": sender.failed,
        "send_rate": len(sender.accepted) / sent_seconds,
        "counted": len(issue_of),
        "unseen": unseen,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "max": latencies[-1] if latencies else 0,
        "queue_left": left,
        "polls": len(poller.samples),
        "poll_failures": poller.failed,
    }
    say(
        f"end to end: {e2e['accepted']:,} accepted at {e2e['send_rate']:.0f}/s, p99"
        f" {e2e['p99']:.2f} s, queue left {left}"
    )
    return e2e


def envelope_url(base_url: str, project_id: int) -> str:
    return f"{base_url}/api/{project_id}/envelope/"


def run(*, config, env, data, serving, log_dir: Path, say) -> IngestResult:
    """All three measurements; `serving(workers=..., worker_class=...)` starts gunicorn."""
    from accounts.dsn import dsn
    from accounts.models import Project, ProjectKey

    project = Project.objects.get(slug=data.project, organization__slug=data.organization)
    key = ProjectKey.objects.filter(project=project, is_active=True).order_by("id").first()
    result = IngestResult()
    accept_count = int(os.environ.get("BENCH_INGEST_ENVELOPES", "40000"))
    e2e_rate = float(os.environ.get("BENCH_E2E_RATE", "500"))
    e2e_seconds = float(os.environ.get("BENCH_E2E_SECONDS", "60"))
    poll = float(os.environ.get("BENCH_E2E_POLL", "0.25"))
    digest_gets = float(os.environ.get("BENCH_DIGEST_GETS", "100"))
    ceiling_url = os.environ.get("BENCH_CEILING_URL", "").strip()

    say(f"making {accept_count + int(e2e_rate * e2e_seconds):,} envelopes with sentry-sdk")
    bodies, headers = make_envelopes(
        dsn(key, prefix="http://127.0.0.1"), accept_count + int(e2e_rate * e2e_seconds)
    )
    accept_bodies, e2e_bodies = bodies[:accept_count], bodies[accept_count:]
    sizes = [len(brotli.decompress(body)) for body in accept_bodies[:500]]
    result.envelope_bytes = (statistics.mean(sizes), statistics.mean(map(len, accept_bodies[:500])))
    bodies_file = log_dir / "envelopes.bin"
    write_bodies(accept_bodies, bodies_file)

    from django.db.models import Max

    from issues.models import Issue

    after_issue = Issue.objects.aggregate(last=Max("id"))["last"] or 0
    with serving(ingest=True) as server:
        url = envelope_url(server.base_url, project.pk)
        say(f"accept: wrk, {config.connections} connections, {config.duration:g} s")
        rounds = 2 if ceiling_url else 1
        for number in range(rounds):
            if ceiling_url:
                before = wrk_get(
                    ceiling_url,
                    connections=config.connections,
                    threads=config.threads,
                    seconds=config.duration,
                )
            queued_before = queue_length()
            stats = wrk_post(
                url,
                headers,
                bodies_file,
                connections=config.connections,
                threads=config.threads,
                seconds=config.duration,
            )
            stats["queued"] = queue_length() - queued_before
            say(
                f"accept round {number + 1}: {stats['rps']:,.0f} envelopes/s, p99"
                f" {stats['p99_us'] / 1000:.1f} ms, {stats['queued']:,} queued,"
                f" {stats['errors']} errors"
            )
            if result.accept is None or stats["rps"] > result.accept["rps"]:
                result.accept = stats
            if ceiling_url:
                result.ceiling.append((before, stats))
                # the queue stays: the digest below works through all of it
            if number + 1 < rounds:
                # The next round re-sends the same envelopes: drop the first round's rows so
                # that each round inserts as many as the first.
                from issues.models import IngestItem

                IngestItem.objects.all().delete()
    with serving(ingest=False) as api:
        measure_digest(
            env,
            f"{api.base_url}/api/0/issues/{data.reference}/",
            data.token,
            result,
            say,
            gets_per_second=digest_gets,
        )
        with serving(ingest=True) as ingest:
            result.e2e = measure_end_to_end(
                env,
                ingest_url=envelope_url(ingest.base_url, project.pk),
                headers=headers,
                bodies=e2e_bodies,
                api_url=api.base_url,
                token=data.token,
                project_id=project.pk,
                after_issue=after_issue,
                sdk_event_ids=[
                    event_id(body) for body in accept_bodies[:: max(1, accept_count // 500)]
                ],
                rate=e2e_rate,
                seconds=e2e_seconds,
                poll=poll,
                say=say,
            )
    return result


def report(result: IngestResult, config) -> list[str]:
    out = [
        "",
        "ingest (issue 12): envelopes made by sentry-sdk "
        f"({result.envelope_bytes[0]:,.0f} bytes of JSON, {result.envelope_bytes[1]:,.0f}"
        " compressed with brotli, one event each)",
    ]
    accept = result.accept
    if accept:
        out.append(
            f"  accepted: {accept['rps']:,.0f} envelopes/s at {config.connections} connections"
            f" (p50 {accept['p50_us'] / 1000:.1f} ms, p99 {accept['p99_us'] / 1000:.1f} ms,"
            f" errors {accept['errors']}); goal >= 2,000/s"
        )
    for number, (ceiling, target) in enumerate(result.ceiling, start=1):
        out.append(
            f"  round {number}: ceiling raw {ceiling['rps']:,.0f} req/s, envelopes"
            f" {target['rps']:,.0f}/s, ratio {target['rps'] / ceiling['rps']:.2f}"
        )
    if result.digest_seconds:
        rate = result.digested / result.digest_seconds
        out.append(
            f"  digested: {result.digested:,} of {result.queued:,} queued events in"
            f" {result.digest_seconds:.1f} s by one worker = {rate:,.0f} events/s, while the API"
            f" served {result.get_stats['rps']:,.0f} GETs/s of the reference issue"
            f" ({result.get_stats['failed']} failed); goal >= 1,000/s"
        )
        if result.digest_cpu and result.digested:
            worker, postgres = (seconds * 1000 / result.digested for seconds in result.digest_cpu)
            out.append(
                f"  digest CPU per event: worker {worker:.2f} ms, PostgreSQL {postgres:.2f} ms"
                " (the GETs beside it included)"
            )
    e2e = result.e2e
    if e2e:
        out.append(
            f"  end to end at {e2e['send_rate']:,.0f} events/s for"
            f" {e2e['sent'] / e2e['send_rate']:.0f} s: accept -> visible in the issue GET p50"
            f" {e2e['p50']:.2f} s, p99 {e2e['p99']:.2f} s, max {e2e['max']:.2f} s"
            f" ({e2e['polls']} polls, {e2e['poll_failures']} failed GETs, {e2e['unseen']} events"
            f" never seen); {e2e['accepted']:,}"
            f" accepted, {e2e['counted']:,} counted,"
            f" {e2e['failed']} failed, queue at the end:"
            f" {e2e['queue_left']}; goal p99 <= 2 s and the queue drained"
        )
    return out
