"""The issue lists' `query` language and period: what a term costs, what it matches, and the
limits that keep a query from costing more."""

import pytest

from tests.factories import make_issue
from tests.issues.lists import ids, org_url, project_url

pytestmark = pytest.mark.django_db


# statsPeriod

BAD_PERIODS = [
    "1000000000d",
    "99999999999999999999w",
    "999999999999999s",
    "9" * 5000 + "s",
    "91d",
    "0d",
    "1e9d",
    "-1d",
    "1.5d",
    "\u0661\u0662h",  # Arabic-Indic digits, which int() reads
    "\uff11d",  # a fullwidth digit
    "24 h",
    "24H",
]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_a_period_out_of_range_or_malformed_is_400_on_both_lists(api, project, period):
    for url in (project_url(project), org_url(project.organization)):
        response = api.get(url, {"statsPeriod": period})
        assert response.status_code == 400, (url, response.content)
        [message] = response.json()["statsPeriod"]
        assert message in (
            "The stats period is between 1s and 90d.",
            f"Invalid stats period: {period!r}",
        )


@pytest.mark.parametrize("period", ["90d", "12w", "0000000000000024h", "1h"])
def test_a_period_up_to_90_days_is_accepted(api, project, period):
    issue = make_issue(project)
    response = api.get(project_url(project), {"statsPeriod": period})
    assert ids(response) == [issue.pk]
    assert list(response.json()[0]["stats"]) == [period]


def test_group_stats_period_start_and_end_are_not_read(api, project):
    # The lists read statsPeriod only; Sentry's other period parameters are ignored, as
    # unknown parameters are, whatever they hold.
    issue = make_issue(project)
    params = {"groupStatsPeriod": "1000000000d", "start": "99999-01-01", "end": "1e9"}
    assert ids(api.get(project_url(project), params)) == [issue.pk]
