"""bench/run.py's table against the ceiling: each request's ratios to the ceiling run just
before it, and whether they meet issue 10's goal. No time is measured here: the runs are
made up."""

from bench.run import GOALS, Case, ceiling_rows


def runs(rps: float, p50_ms: float, p99_ms: float) -> dict:
    return {"rps": rps, "p50_us": p50_ms * 1000, "p99_us": p99_ms * 1000}


def case(name: str, *, loaded: dict, unloaded: dict) -> Case:
    measured = Case(name, "GET", "/")
    measured.loaded, measured.unloaded = loaded, unloaded
    measured.ceiling_loaded, measured.ceiling_unloaded = runs(1000, 10, 20), runs(500, 2, 4)
    return measured


def line(cases: list[Case], name: str) -> str:
    (found,) = [text for text in ceiling_rows(cases) if text.startswith(name + " ")]
    return found


def test_the_issue_get_meets_its_goal_only_with_its_latencies():
    fast = case("reference", loaded=runs(600, 15, 30), unloaded=runs(300, 3, 6))
    slow_p99 = case("groups-route", loaded=runs(600, 15, 41), unloaded=runs(300, 3, 6))
    slow_unloaded = case("org-route", loaded=runs(600, 15, 30), unloaded=runs(200, 4.5, 9))
    cases = [fast, slow_p99, slow_unloaded]

    assert line(cases, "reference").split()[1:6] == ["1000.0", "0.60x", "1.50x", "1.50x", "1.50x"]
    assert line(cases, "reference").endswith(": met")
    assert line(cases, "groups-route").endswith(": NOT met")
    assert line(cases, "org-route").endswith(": NOT met")


def test_lists_and_writes_need_a_quarter_of_the_ceiling_and_single_objects_half():
    cases = [
        case("project-list", loaded=runs(260, 40, 80), unloaded=runs(100, 6, 12)),
        case("put-status", loaded=runs(240, 40, 80), unloaded=runs(100, 6, 12)),
        case("shortids", loaded=runs(490, 20, 40), unloaded=runs(250, 4, 8)),
    ]
    assert line(cases, "project-list").endswith("req/s >= 0.25x: met")
    assert line(cases, "put-status").endswith("req/s >= 0.25x: NOT met")
    assert line(cases, "shortids").endswith("req/s >= 0.5x: NOT met")


def test_a_request_without_a_ceiling_run_is_left_out():
    measured = case("reference", loaded=runs(600, 15, 30), unloaded=runs(300, 3, 6))
    measured.ceiling_loaded = None
    assert len(ceiling_rows([measured])) == 2  # the header only


def test_every_goal_names_a_request_of_the_benchmark():
    from bench.run import make_cases

    class Data:
        organization, project, reference, volume = "org", "project", 1, 2
        single, document, write, reference_short_id = 3, 4, 5, "PROJECT-1"

    names = {measured.name for measured in make_cases(Data)}
    assert set(GOALS) <= names
    # Every request but the two compared with another has a goal.
    assert names - set(GOALS) == {"volume-1m", "volume-1", "document"}
