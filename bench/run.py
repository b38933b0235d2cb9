"""`make bench`: the service served as in production and measured from outside (issue 10).

    make bench                                   # = .venv/bin/python bench/run.py
    BENCH_DURATION=5 BENCH_ONLY=reference,document make bench

1. Makes a new PostgreSQL database (BENCH_DATABASE, dropped first if it exists), migrates
   it, loads the reference world (`manage.py seed_example --token-only`, whose token is used
   for every request) and the benchmark's data (bench/setup_data.py: filler issues, a big
   document, an issue of 1,000,000 events and its one-event twin, a write target).
2. Counts the queries of each request in-process (Django's test client and
   CaptureQueriesContext, on the same database and settings as the server).
3. Serves the service as production does: gunicorn, BENCH_WORKERS (2) sync workers,
   ISSUES_API_ENV=production, DEBUG=0, a random 64-character SECRET_KEY, no access log (no
   nginx in front: the figures are the application's).
4. For each request: wrk at BENCH_CONNECTIONS (16) connections for BENCH_DURATION (10)
   seconds (req/s, p50, p99), then at one connection for BENCH_UNLOADED_DURATION (5)
   seconds (unloaded p50). PUTs alternate their two bodies (bench/wrk/put_toggle.lua).
   Then the two comparisons again, in BENCH_COMPARE_ROUNDS (4) interleaved rounds (A B,
   B A, ...) of BENCH_COMPARE_DURATION (3) seconds per side, loaded and at one connection:
   their median ratios hold up better than two runs minutes apart on a busy machine.
5. Serves again with one worker, GETs the reference issue BENCH_MEMORY_GETS times
   (1000,20000) and reads the worker's VmRSS after each count.
6. Prints a table, the two comparisons (1,000,000 events against one; the big document
   against the reference issue) and the memory ratio. Nothing is asserted: the goals are
   printed beside the ratios. The database is kept for bench/profile_issue_get.py and
   bench/explain_issue_get.py; the server is stopped at the end, on failure and on Ctrl-C.

Knobs (environment variables): BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS (wrk's, 2),
BENCH_UNLOADED_DURATION, BENCH_COMPARE_ROUNDS ("0" skips them), BENCH_COMPARE_DURATION,
BENCH_WORKERS, BENCH_EVENTS (1000000), BENCH_MEMORY_GETS ("0" skips the memory run),
BENCH_ONLY (comma-separated request names, see make_cases), BENCH_DATABASE
(issues_api_bench...), BENCH_POSTGRES (postgres://postgres@127.0.0.1:5432),
BENCH_REUSE_DATABASE=1 (measure the database of an earlier run, without rebuilding it),
BENCH_CEILING_READ_URL and BENCH_CEILING_TOKEN (a ceiling's drf-auth-db endpoint served beside,
and its bearer token: measured the same way just before each request, and each request's
ratios to it printed with issue 10's goals).
DATABASE_URL is not read: the benchmark only touches its own database.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
INGEST_GUNICORN = BASE_DIR / "deploy" / "gunicorn" / "ingest.py"
DATABASE_PREFIX = "issues_api_bench"
STARTED = time.perf_counter()
LOAD_AT_START = os.getloadavg()[0]


def say(text: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:6.1f}s] {text}", file=sys.stderr, flush=True)


def env_number(name: str, default, kind=int):
    value = os.environ.get(name, "").strip()
    try:
        number = kind(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise SystemExit(f"{name} must not be negative")
    return number


@dataclass(frozen=True)
class Config:
    duration: float
    unloaded_duration: float
    connections: int
    threads: int
    workers: int
    events: int
    memory_gets: tuple[int, ...]
    compare_rounds: int
    compare_duration: float
    only: frozenset[str]
    database: str
    postgres: str
    reuse: bool
    # The ceiling's drf-auth-db endpoint and its token, measured just before each request.
    ceiling_url: str = ""
    ceiling_token: str = ""

    @classmethod
    def from_env(cls) -> "Config":
        database = os.environ.get("BENCH_DATABASE", DATABASE_PREFIX).strip()
        if not database.startswith(DATABASE_PREFIX) or not database.replace("_", "").isalnum():
            # It is dropped and made again: never someone else's database.
            raise SystemExit(f"BENCH_DATABASE must be a name starting with {DATABASE_PREFIX}")
        memory = os.environ.get("BENCH_MEMORY_GETS", "1000,20000").strip()
        try:
            memory_gets = tuple(int(part) for part in memory.split(",") if part.strip())
        except ValueError:
            raise SystemExit("BENCH_MEMORY_GETS is counts separated by commas, or 0") from None
        if memory_gets == (0,):
            memory_gets = ()
        if list(memory_gets) != sorted(set(memory_gets)) or any(n < 1 for n in memory_gets):
            raise SystemExit("BENCH_MEMORY_GETS: increasing positive counts, e.g. 1000,20000")
        config = cls(
            duration=env_number("BENCH_DURATION", 10.0, float),
            unloaded_duration=env_number("BENCH_UNLOADED_DURATION", 5.0, float),
            connections=max(1, env_number("BENCH_CONNECTIONS", 16)),
            threads=max(1, env_number("BENCH_THREADS", 2)),
            workers=max(1, env_number("BENCH_WORKERS", 2)),
            events=max(1, env_number("BENCH_EVENTS", 1_000_000)),
            memory_gets=memory_gets,
            compare_rounds=env_number("BENCH_COMPARE_ROUNDS", 4),
            compare_duration=env_number("BENCH_COMPARE_DURATION", 3.0, float),
            only=frozenset(
                name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()
            ),
            database=database,
            postgres=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
            .strip()
            .rstrip("/"),
            reuse=os.environ.get("BENCH_REUSE_DATABASE", "") == "1",
            ceiling_url=os.environ.get("BENCH_CEILING_READ_URL", "").strip(),
            ceiling_token=os.environ.get("BENCH_CEILING_TOKEN", "").strip(),
        )
        if min(config.duration, config.unloaded_duration, config.compare_duration) < 1:
            raise SystemExit("BENCH_*DURATION: 1 second or more")
        return config

    @property
    def database_url(self) -> str:
        return f"{self.postgres}/{self.database}"


# ---- the requests ----------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    method: str
    path: str
    bodies: tuple[str, ...] = ()
    # Filled in as the run goes.
    queries: list[int] = field(default_factory=list)
    size: int = 0
    loaded: dict | None = None
    unloaded: dict | None = None
    # The ceiling's runs taken just before this request's, with BENCH_CEILING_READ_URL.
    ceiling_loaded: dict | None = None
    ceiling_unloaded: dict | None = None

    @property
    def request(self) -> str:
        text = f"{self.method} {self.path}"
        if self.bodies:
            text += "  " + " / ".join(self.bodies)
        return text


def make_cases(data) -> list[Case]:
    org, project = data.organization, data.project
    ref, volume = data.reference, data.volume
    toggles = {
        "put-bookmark": ('{"isBookmarked": true}', '{"isBookmarked": false}'),
        "put-status": ('{"status": "resolved"}', '{"status": "unresolved"}'),
    }
    return [
        Case("reference", "GET", f"/api/0/issues/{ref}/"),
        Case("groups-route", "GET", f"/api/0/groups/{ref}/"),
        Case("org-route", "GET", f"/api/0/organizations/{org}/issues/{ref}/"),
        Case("volume-1m", "GET", f"/api/0/issues/{volume}/"),
        Case("volume-1", "GET", f"/api/0/issues/{data.single}/"),
        Case("document", "GET", f"/api/0/issues/{data.document}/"),
        Case("project-list", "GET", f"/api/0/projects/{org}/{project}/issues/?limit=25"),
        Case("org-list", "GET", f"/api/0/organizations/{org}/issues/?limit=25"),
        Case("latest-event", "GET", f"/api/0/issues/{ref}/events/latest/"),
        Case("events", "GET", f"/api/0/issues/{ref}/events/"),
        Case("latest-event-1m", "GET", f"/api/0/issues/{volume}/events/latest/"),
        Case("events-1m", "GET", f"/api/0/issues/{volume}/events/"),
        Case("organizations", "GET", "/api/0/organizations/"),
        Case("organization", "GET", f"/api/0/organizations/{org}/"),
        Case("short-id", "GET", f"/api/0/organizations/{org}/issues/{data.reference_short_id}/"),
        Case("shortids", "GET", f"/api/0/organizations/{org}/shortids/{data.reference_short_id}/"),
        Case("put-bookmark", "PUT", f"/api/0/issues/{data.write}/", toggles["put-bookmark"]),
        Case("put-status", "PUT", f"/api/0/issues/{data.write}/", toggles["put-status"]),
    ]


@dataclass(frozen=True)
class Goal:
    """Issue 10's goal for a request against the ceiling: its req/s at least `rps` times the
    ceiling's; for the issue GET also its unloaded p50 and loaded p99 at most `latency` times
    the ceiling's."""

    rps: float
    latency: float | None = None


ISSUE_GET = Goal(0.5, latency=2.0)
LIST, SINGLE, WRITE = Goal(0.25), Goal(0.5), Goal(0.25)
# By request name; the volume and document GETs have their comparisons instead.
GOALS = {
    "reference": ISSUE_GET,
    "groups-route": ISSUE_GET,
    "org-route": ISSUE_GET,
    "project-list": LIST,
    "org-list": LIST,
    "events": LIST,
    "events-1m": LIST,
    "organizations": LIST,
    "latest-event": SINGLE,
    "latest-event-1m": SINGLE,
    "organization": SINGLE,
    "short-id": SINGLE,
    "shortids": SINGLE,
    "put-bookmark": WRITE,
    "put-status": WRITE,
}


@dataclass
class Comparison:
    """Two requests whose ratio issue 10 asks for; `first` is the one that may cost more."""

    first: str
    second: str
    labels: tuple[str, str]
    goal: float | None = None
    # Each interleaved round: {"loaded": (first's wrk stats, second's), "unloaded": (...)}.
    rounds: list[dict[str, tuple[dict, dict]]] = field(default_factory=list)


def make_comparisons(data) -> list[Comparison]:
    return [
        Comparison("volume-1m", "volume-1", (f"{data.volume_events:,} events", "1 event")),
        Comparison("document", "reference", ("big document", "reference issue"), goal=3.0),
    ]


# ---- the database ----------------------------------------------------------------------------


def run(command: list[str], *, env: dict, capture: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 (our own commands, no shell)
        command, cwd=BASE_DIR, env=env, capture_output=capture, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout if capture else ""


def recreate_database(config: Config, env: dict) -> None:
    parts = urlsplit(config.postgres)
    connection = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    for tool in ("dropdb", "createdb"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: install PostgreSQL's client (postgresql-client)")
    run(["dropdb", *connection, "--if-exists", config.database], env=env)
    run(["createdb", *connection, config.database], env=env)


def service_env(config: Config) -> dict:
    """The environment of the server and of this process's own Django: production's."""
    env = dict(os.environ)
    # A rate limit would answer 429s; the cache and limits stay in PostgreSQL (no Redis).
    for name in ("REDIS_URL", "ISSUES_API_RATE_LIMIT", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        {
            "ISSUES_API_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DEBUG": "0",
            "ISSUES_API_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": config.database_url,
            "DJANGO_SETTINGS_MODULE": "issues_api.settings",
        }
    )
    return env


# ---- queries, counted in-process -------------------------------------------------------------


def count_queries(cases: list[Case], token: str) -> None:
    """Each request's queries, once warm (the token's last-used time is written at most once
    a minute; the first request of a case may pay for it)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")

    def send(case: Case, body: str | None):
        if body is None:
            response = client.get(case.path)
        else:
            response = client.put(case.path, data=body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"{case.request}: {response.status_code} {response.content[:300]}")

    for case in cases:
        bodies = case.bodies or (None,)
        for body in bodies:
            send(case, body)
        for body in bodies:
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                send(case, body)
            case.queries.append(len(queries))
    connection.close()


# ---- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as `make run` and the image start it, without the access log."""

    def __init__(self, env: dict, *, workers: int, token: str, log_dir: Path, config=None):
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.token = token
        # A gunicorn settings file (deploy/gunicorn/): how production serves that part.
        self.config = config
        self.log = log_dir / f"gunicorn-{workers}-workers{'-' + config.stem if config else ''}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn"]
        # A configuration file names its application (deploy/gunicorn/ingest.py: the ASGI
        # worker's); without one, the WSGI application the API is served with.
        if self.config is not None:
            command += ["--config", str(self.config)]
        else:
            command += ["issues_api.wsgi:application"]
        command += [
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--error-logfile",
            str(self.log),
        ]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                status, _ = self.request("GET", "/api/0/organizations/", timeout=5)
                # Answering, and every worker booted (the memory run reads the worker's pid).
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no log)"

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children, from /proc."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def request(self, method: str, path: str, body: str | None = None, timeout: float = 30):
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.base_url + path,
            method=method,
            data=body.encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


@contextmanager
def serving(env: dict, *, workers: int, token: str, log_dir: Path, config=None):
    server = Server(env, workers=workers, token=token, log_dir=log_dir, config=config)
    try:
        kind = f"as {config.relative_to(BASE_DIR)} says" if config else "sync"
        say(f"starting gunicorn, {workers} {kind} worker(s), on {server.base_url}")
        server.start()
        yield server
    finally:
        server.stop()
        say("gunicorn stopped")


# ---- wrk -------------------------------------------------------------------------------------


def wrk(server: Server, case: Case, *, connections: int, threads: int, seconds: float) -> dict:
    from bench.wrkrun import wrk_command, wrk_stats  # main() put the repository on sys.path

    command = wrk_command(
        server.base_url + case.path,
        script="put_toggle.lua" if case.bodies else "get.lua",
        connections=connections,
        threads=threads,
        seconds=seconds,
        headers={"Authorization": f"Bearer {server.token}"},
        args=case.bodies,
    )
    return wrk_stats(command, case.request)


def measure(server: Server, cases: list[Case], config: Config) -> None:
    """Each request loaded, then at one connection; with BENCH_CEILING_READ_URL, the ceiling
    just before each of the two, the same way, so that their ratio is of the same minute."""
    from bench.wrkrun import wrk_get

    for case in cases:
        for body in case.bodies or (None,):
            status, content = server.request(case.method, case.path, body)
            if status != 200:
                raise SystemExit(f"{case.request} answered {status}: {content[:300]!r}")
            case.size = len(content)
        if config.ceiling_url:
            case.ceiling_loaded = wrk_get(
                config.ceiling_url,
                token=config.ceiling_token,
                connections=config.connections,
                threads=config.threads,
                seconds=config.duration,
            )
        case.loaded = wrk(
            server,
            case,
            connections=config.connections,
            threads=config.threads,
            seconds=config.duration,
        )
        if config.ceiling_url:
            case.ceiling_unloaded = wrk_get(
                config.ceiling_url,
                token=config.ceiling_token,
                connections=1,
                threads=1,
                seconds=config.unloaded_duration,
            )
        case.unloaded = wrk(
            server, case, connections=1, threads=1, seconds=config.unloaded_duration
        )
        say(
            f"{case.name}: {case.loaded['rps']:.1f} req/s, p50 {case.loaded['p50_us'] / 1000:.1f}"
            f" ms, p99 {case.loaded['p99_us'] / 1000:.1f} ms; 1 connection: p50"
            f" {case.unloaded['p50_us'] / 1000:.1f} ms"
        )


def measure_comparisons(
    server: Server, cases: list[Case], comparisons: list[Comparison], config: Config
) -> None:
    """Each pair again, in short rounds taken in turn (A B, B A, A B...), loaded and at one
    connection: a change of the machine's load during the run then weighs on both sides of a
    ratio alike, and the median of the rounds' ratios leaves out a round that met a burst."""
    by_name = {case.name: case for case in cases}
    modes = {"loaded": (config.connections, config.threads), "unloaded": (1, 1)}
    for comparison in comparisons:
        first, second = by_name[comparison.first], by_name[comparison.second]
        for number in range(config.compare_rounds):
            order = (first, second) if number % 2 == 0 else (second, first)
            results = {}
            for mode, (connections, threads) in modes.items():
                stats = {
                    case.name: wrk(
                        server,
                        case,
                        connections=connections,
                        threads=threads,
                        seconds=config.compare_duration,
                    )
                    for case in order
                }
                results[mode] = (stats[first.name], stats[second.name])
            comparison.rounds.append(results)
        say(f"{first.name} against {second.name}: {config.compare_rounds} interleaved rounds")


# ---- memory ----------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def get_many(server: Server, path: str, count: int, *, concurrency: int = 2) -> int:
    """`count` GETs from `concurrency` threads (a new connection each: sync workers close
    them); returns how many did not answer 200."""
    failures = [0] * concurrency
    headers = {"Authorization": f"Bearer {server.token}"}

    def loop(index: int, share: int) -> None:
        for _ in range(share):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures[index] += 1
            except OSError:
                failures[index] += 1
            finally:
                connection.close()

    shares = [count // concurrency + (index < count % concurrency) for index in range(concurrency)]
    threads = [threading.Thread(target=loop, args=(i, n)) for i, n in enumerate(shares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(failures)


def measure_memory(server: Server, path: str, counts: tuple[int, ...]) -> dict:
    (pid,) = server.worker_pids()
    sent, samples, failures = 0, [], 0
    for count in counts:
        started = time.perf_counter()
        failures += get_many(server, path, count - sent)
        sent = count
        samples.append((count, rss_kib(pid)))
        say(
            f"memory: {count:,} GETs, worker {pid} VmRSS {samples[-1][1] / 1024:.1f} MiB"
            f" ({time.perf_counter() - started:.0f} s)"
        )
    if server.worker_pids() != [pid]:
        raise SystemExit("the gunicorn worker was replaced during the memory run")
    return {"pid": pid, "path": path, "samples": samples, "failures": failures}


# ---- the report ------------------------------------------------------------------------------


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f}"


def queries(case: Case) -> str:
    return "/".join(str(count) for count in case.queries)


HEADER = f"{'':22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'1c p50 ms':>10} {'queries':>8}"
HEADER += f" {'bytes':>8} {'errors':>7}"


def row(label: str, case: Case) -> str:
    loaded, unloaded = case.loaded, case.unloaded
    return (
        f"{label:22} {loaded['rps']:8.1f} {ms(loaded['p50_us']):>8} {ms(loaded['p99_us']):>8}"
        f" {ms(unloaded['p50_us']):>10} {queries(case):>8} {case.size:>8,}"
        f" {loaded['errors'] + unloaded['errors']:>7}"
    )


def ratio_row(label: str, case: Case, base: Case) -> str:
    """How many times `case` costs `base`: req/s inverted, latencies and sizes as they are."""

    def times(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "-"

    return (
        f"{label:22} {times(base.loaded['rps'], case.loaded['rps']):>8}"
        f" {times(case.loaded['p50_us'], base.loaded['p50_us']):>8}"
        f" {times(case.loaded['p99_us'], base.loaded['p99_us']):>8}"
        f" {times(case.unloaded['p50_us'], base.unloaded['p50_us']):>10}"
        f" {times(sum(case.queries), sum(base.queries)):>8} {times(case.size, base.size):>8}"
    )


def ceiling_rows(cases: list[Case]) -> list[str]:
    """Each request against the ceiling measured just before it: req/s as a share of the
    ceiling's (higher is better), latencies as multiples of its (lower is better), and the
    goal of issue 10 with whether this run meets it."""
    out = [
        f"{'':22} {'ceiling':>8} {'req/s':>7} {'p50':>7} {'p99':>7} {'1c p50':>7}  goal",
        f"{'':22} {'req/s':>8} {'ratio':>7} {'ratio':>7} {'ratio':>7} {'ratio':>7}".rstrip(),
    ]
    for case in cases:
        ceiling, unloaded = case.ceiling_loaded, case.ceiling_unloaded
        if not ceiling or not unloaded or not ceiling["rps"]:
            continue
        rps = case.loaded["rps"] / ceiling["rps"]
        p50 = case.loaded["p50_us"] / ceiling["p50_us"]
        p99 = case.loaded["p99_us"] / ceiling["p99_us"]
        one = case.unloaded["p50_us"] / unloaded["p50_us"]
        goal, verdict = GOALS.get(case.name), ""
        if goal is not None:
            met = rps >= goal.rps
            verdict = f"req/s >= {goal.rps:g}x"
            if goal.latency is not None:
                met = met and max(p99, one) <= goal.latency
                verdict += f", p99 and 1c p50 <= {goal.latency:g}x"
            verdict += ": met" if met else ": NOT met"
        line = f"{case.name:22} {ceiling['rps']:8.1f} {rps:6.2f}x {p50:6.2f}x {p99:6.2f}x"
        out.append(f"{line} {one:6.2f}x  {verdict}".rstrip())
    return out


def interleaved(comparison: Comparison, config: Config) -> str:
    """The cost ratios of the interleaved rounds: median, and the range in brackets."""

    def ratios(mode: str, key: str) -> list[float]:
        pairs = [round_[mode] for round_ in comparison.rounds]
        if key == "rps":  # a cost: fewer requests per second cost more
            return sorted(b[key] / a[key] for a, b in pairs if a[key] and b[key])
        return sorted(a[key] / b[key] for a, b in pairs if a[key] and b[key])

    def text(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{statistics.median(values):.2f}x ({values[0]:.2f}-{values[-1]:.2f})"

    rps = ratios("loaded", "rps")
    lines = [
        f"  {len(comparison.rounds)} interleaved rounds of {config.compare_duration:g} s, cost"
        f" ratio median (range): req/s {text(rps)}, p50 {text(ratios('loaded', 'p50_us'))},"
        f" 1c p50 {text(ratios('unloaded', 'p50_us'))}"
    ]
    if comparison.goal and rps:
        median = statistics.median(rps)
        verdict = "within" if median <= comparison.goal else "over"
        lines.append(
            f"  req/s cost ratio {median:.2f}x: {verdict} the goal of {comparison.goal:g}x"
        )
    return "\n".join(lines)


def report(
    config: Config, data, cases: list[Case], comparisons: list[Comparison], memory: dict | None
) -> None:
    by_name = {case.name: case for case in cases}
    out = []
    out.append("")
    out.append(
        f"issues-api benchmark: gunicorn, {config.workers} sync workers, ISSUES_API_ENV=production,"
        f" DEBUG=0; PostgreSQL database {config.database}"
    )
    out.append(
        f"wrk: {config.connections} connections x {config.duration:g} s"
        f" ({min(config.threads, config.connections)} threads); unloaded (1c): 1 connection x"
        f" {config.unloaded_duration:g} s; queries counted in-process; bytes of the answer"
    )
    if comparisons and config.compare_rounds:
        out.append(
            f"comparisons: also {config.compare_rounds} interleaved rounds (A B, B A, ...) of"
            f" {config.compare_duration:g} s per side, loaded and at 1 connection"
        )
    out.append(
        f"machine: {os.cpu_count()} CPUs; load average (1 min) {LOAD_AT_START:.1f} before the"
        f" run, {os.getloadavg()[0]:.1f} after it"
    )
    out.append(
        f"data: issue {data.reference} is the reference issue ({data.reference_short_id}),"
        f" {data.project_issues} issues in {data.organization}/{data.project},"
        f" {data.volume_events:,} events in issue {data.volume}"
    )
    out.append("")
    width = max((len(case.name) for case in cases), default=0)
    for case in cases:
        out.append(f"  {case.name:{width}}  {case.request}")
    out.append("")
    out.append(HEADER)
    for case in cases:
        out.append(row(case.name, case))
    if config.ceiling_url:
        out.append("")
        out.append(
            f"against the ceiling ({config.ceiling_url}), measured the same way just before"
            " each request"
        )
        out.extend(ceiling_rows(cases))

    from bench.setup_data import DOCUMENT, PAIR_DOCUMENT

    pair = PAIR_DOCUMENT
    titles = {
        "volume-1m": (
            f"{data.volume_events:,} events against 1 (both documents: {pair['activities']}"
            f" notes, {pair['seen_by']} seen-by, {pair['participants']} participants, 8 tag keys,"
            " 2 releases)"
        ),
        "document": (
            f"big document ({DOCUMENT['activities']} activities, {DOCUMENT['seen_by']} seen-by,"
            f" {DOCUMENT['participants']} participants) against the reference issue"
        ),
    }
    for comparison in comparisons:
        first, second = by_name[comparison.first], by_name[comparison.second]
        out.append("")
        goal = f"; goal: at most {comparison.goal:g}x" if comparison.goal else ""
        out.append(titles[comparison.first] + goal)
        out.append(HEADER)
        out.append(row(comparison.labels[0], first))
        out.append(row(comparison.labels[1], second))
        out.append(ratio_row("cost ratio (1st/2nd)", first, second))
        if comparison.rounds:
            out.append(interleaved(comparison, config))
    if memory:
        out.append("")
        out.append(
            f"memory: one gunicorn sync worker (pid {memory['pid']}) serving GET {memory['path']}"
            " from 2 client threads; goal: within 10%"
        )
        samples = memory["samples"]
        for count, kib in samples:
            out.append(f"  VmRSS after {count:>7,} GETs: {kib / 1024:8.1f} MiB")
        if len(samples) > 1:
            ratio = samples[-1][1] / samples[0][1]
            verdict = "within" if abs(ratio - 1) <= 0.10 else "over"
            out.append(
                f"  ratio {samples[-1][0]:,} / {samples[0][0]:,} GETs: {ratio:.3f}"
                f" ({(ratio - 1) * 100:+.1f}%, {verdict} the goal); non-200 answers:"
                f" {memory['failures']}"
            )
    out.append("")
    out.append(f"total time: {time.perf_counter() - STARTED:.0f} s")
    print("\n".join(out), flush=True)


# ---- main ------------------------------------------------------------------------------------


def main() -> None:
    config = Config.from_env()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    # SIGTERM (e.g. from a CI's timeout) unwinds like Ctrl-C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = service_env(config)
    for name in ("REDIS_URL", "ISSUES_API_RATE_LIMIT"):
        os.environ.pop(name, None)
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))

    manage = [sys.executable, "manage.py"]
    token = None
    if config.reuse:
        say(f"reusing database {config.database}")
    else:
        say(f"making database {config.database} on {config.postgres}")
        recreate_database(config, env)
        run([*manage, "migrate", "--noinput", "--verbosity", "0"], env=env)
        token = run([*manage, "seed_example", "--token-only"], env=env).strip()
        say("migrated; reference world loaded (seed_example)")

    from bench import setup_data  # django.setup(), with the environment above

    if config.reuse:
        data = setup_data.describe()
    else:
        say(f"building the benchmark's data ({config.events:,} events in one issue)")
        data = setup_data.build(events=config.events, token=token)
        say(f"data built in {data.seconds:.0f} s")

    cases = make_cases(data)
    unknown = config.only - {case.name for case in cases} - {"ingest"}
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown names {sorted(unknown)}; see bench/run.py")
    if config.only:
        cases = [case for case in cases if case.name in config.only]
    names = {case.name for case in cases}
    comparisons = [
        comparison
        for comparison in make_comparisons(data)
        if {comparison.first, comparison.second} <= names
    ]

    say("counting queries in-process")
    count_queries(cases, data.token)

    run_ingest = (not config.only or "ingest" in config.only) and os.environ.get(
        "BENCH_INGEST", "1"
    ) != "0"
    memory = ingested = None
    with tempfile.TemporaryDirectory(prefix="issues-api-bench-") as log_dir:
        if cases:
            with serving(env, workers=config.workers, token=data.token, log_dir=Path(log_dir)) as s:
                measure(s, cases, config)
                if config.compare_rounds:
                    measure_comparisons(s, cases, comparisons, config)
        if config.memory_gets:
            with serving(env, workers=1, token=data.token, log_dir=Path(log_dir)) as server:
                memory = measure_memory(
                    server, f"/api/0/issues/{data.reference}/", config.memory_gets
                )
        if run_ingest:
            from bench import ingest

            def serving_ingest(*, ingest: bool):
                if ingest:
                    return serving(
                        env,
                        workers=2,
                        token=data.token,
                        log_dir=Path(log_dir),
                        config=INGEST_GUNICORN,
                    )
                return serving(env, workers=config.workers, token=data.token, log_dir=Path(log_dir))

            ingested = ingest.run(
                config=config,
                env=env,
                data=data,
                serving=serving_ingest,
                log_dir=Path(log_dir),
                say=say,
            )
    if cases or memory:
        report(config, data, cases, comparisons, memory)
    if ingested is not None:
        from bench import ingest

        print("\n".join(ingest.report(ingested, config)), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(130)
