"""wrk, as bench/run.py and bench/ingest.py run it: the command, and the one line of
statistics bench/wrk/report.lua prints ("BENCH {json}")."""

import json
import subprocess
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"
ERRORS = ("non_2xx", "connect_errors", "read_errors", "write_errors", "timeouts")


def wrk_command(
    url: str,
    *,
    script: str,
    connections: int,
    threads: int,
    seconds: float,
    headers: dict | None = None,
    args: tuple[str, ...] = (),
) -> list[str]:
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={seconds:g}s",
        "--timeout=30s",
        f"--script={WRK_DIR / script}",
    ]
    command += [f"--header={name}: {value}" for name, value in (headers or {}).items()]
    command.append(url)
    if args:
        command += ["--", *args]
    return command


def wrk_stats(command: list[str], what: str) -> dict:
    """Runs wrk; its statistics, with `rps` (requests a second) and `errors` (any answer
    but a 2xx, and the socket errors)."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed on {what}:\n{result.stdout}{result.stderr}")
    stats = json.loads(lines[-1].removeprefix("BENCH "))
    seconds_run = stats["duration_us"] / 1e6
    stats["rps"] = stats["requests"] / seconds_run if seconds_run else 0.0
    stats["errors"] = sum(stats[key] for key in ERRORS)
    return stats


def wrk_get(url: str, *, connections: int, threads: int, seconds: float, token: str = "") -> dict:
    """wrk's statistics of GETs of a URL, with a bearer token when one is given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    command = wrk_command(
        url,
        script="get.lua",
        connections=connections,
        threads=threads,
        seconds=seconds,
        headers=headers,
    )
    return wrk_stats(command, f"GET {url}")
