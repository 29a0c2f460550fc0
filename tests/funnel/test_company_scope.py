"""Company scope: one query covers teams in different time zones, each with its own days.

October 2026 for team B (Europe/Berlin, CEST until 25 October, then CET) runs from
30 Sep 22:00 UTC to 31 Oct 23:00 UTC; for team L (America/Los_Angeles, PDT all month)
from 1 Oct 07:00 UTC to 1 Nov 07:00 UTC. Rows between those instants are decided by
their owner's team.
"""

from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from crm import services
from funnel import reports
from tests import factories


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(reports, "now", lambda: utc(11, 23, 9))


@pytest.fixture
def company(db):
    """b (Berlin) creates prospects at
      30 Sep 21:30 UTC = 30 Sep 23:30 Berlin → September (open at October's start)
      30 Sep 22:30 UTC =  1 Oct 00:30 Berlin → October
      15 Oct 10:00 UTC                       → October
      31 Oct 23:30 UTC =  1 Nov 00:30 Berlin → November
    l (Los Angeles) creates prospects at
      30 Sep 22:30 UTC = 30 Sep 15:30 PDT    → September (Berlin would say October)
       1 Oct 06:30 UTC = 30 Sep 23:30 PDT    → September
       1 Oct 07:30 UTC =  1 Oct 00:30 PDT    → October
       1 Nov 06:30 UTC = 31 Oct 23:30 PDT    → October (Berlin would say November)
    → October cohort: b 2, l 2, company 4; open at October's start: b 1, l 2.
    Calls: b at 30 Sep 22:10 UTC (1 Oct in Berlin, counted), l at 1 Oct 06:50 UTC (30 Sep
    in LA, not counted) and at 1 Nov 06:50 UTC (31 Oct in LA, counted) → 1 each.
    """
    berlin = factories.TeamFactory(name="B", timezone="Europe/Berlin")
    la = factories.TeamFactory(name="L", timezone="America/Los_Angeles")
    b = factories.UserFactory(username="b", profile__team=berlin)
    lm = factories.UserFactory(username="l", profile__team=la)
    for i, moment in enumerate(
        (utc(9, 30, 21, 30), utc(9, 30, 22, 30), utc(10, 15, 10), utc(10, 31, 23, 30))
    ):
        factories.prospect(b, name=f"b{i}", created_at=moment)
    for i, moment in enumerate(
        (utc(9, 30, 22, 30), utc(10, 1, 6, 30), utc(10, 1, 7, 30), utc(11, 1, 6, 30))
    ):
        factories.prospect(lm, name=f"l{i}", created_at=moment)
    for manager, moment in (
        (b, utc(9, 30, 22, 10)),
        (lm, utc(10, 1, 6, 50)),
        (lm, utc(11, 1, 6, 50)),
    ):
        services.call_log(manager=manager, at=moment, outcome="no_answer", by=manager)
    la_team = lm.profile.team
    factories.event(name="LA late", starts_at=utc(11, 1, 0), team=la_team)  # 31 Oct 17:00 PDT
    factories.event(name="LA early", starts_at=utc(10, 1, 3), team=la_team)  # 30 Sep PDT
    factories.event(name="Berlin early", starts_at=utc(9, 30, 22, 30), team=b.profile.team)
    factories.event(name="Company", starts_at=utc(10, 31, 23, 30))  # UTC: October
    return factories.UserFactory(username="root", is_superuser=True, profile=None)


def _get(admin, path: str, **params):
    client = APIClient()
    client.force_authenticate(admin)
    response = client.get(path, {"period": "2026-10", **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_company_cohort_counts_each_row_in_its_teams_days(company):
    body = _get(company, "/api/reports/funnel/")

    assert body["scope"]["kind"] == "company"
    assert body["reached"]["lead"] == 4


def test_company_scorecard_counts_each_manager_in_their_teams_days(company):
    rows = {r["username"]: r for r in _get(company, "/api/reports/scorecard/")["managers"]}

    assert rows["b"]["reached"]["lead"] == 2
    assert rows["l"]["reached"]["lead"] == 2
    assert rows["b"]["metrics"]["new_prospects"]["actual"] == 2
    assert rows["l"]["metrics"]["new_prospects"]["actual"] == 2
    assert rows["b"]["open_at_start"] == 1
    assert rows["l"]["open_at_start"] == 2
    assert rows["b"]["metrics"]["calls"]["actual"] == 1
    assert rows["l"]["metrics"]["calls"]["actual"] == 1


def test_company_alternation_days_are_local(company):
    rows = {r["username"]: r for r in _get(company, "/api/reports/alternation/")["managers"]}

    # b's call is on Thursday 1 October in Berlin; l's on Saturday 31 October in LA, not a
    # working day
    assert [d["day"] for d in rows["b"]["days"]] == ["2026-10-01"]
    assert rows["l"]["days"] == []


def test_company_events_are_in_their_teams_days(company):
    """LA late (1 Nov 00:00 UTC = 31 Oct in LA) and Berlin early (30 Sep 22:30 UTC =
    1 Oct in Berlin) are October events; LA early (1 Oct 03:00 UTC = 30 Sep in LA) is not;
    the company-wide event is read in UTC for a company report (31 Oct)."""
    body = _get(company, "/api/reports/events/")

    assert sorted(e["name"] for e in body["events"]) == ["Berlin early", "Company", "LA late"]


@pytest.fixture
def slips(db):
    """October slippage decided in each owner's own days, both for the slip itself and for
    the state at the end of October (team B's October ends 31 Oct 23:00 UTC, team L's
    1 Nov 07:00 UTC).

    b's "b-slip": close 10 Oct, pushed at 31 Oct 22:30 UTC (23:30 CET, October) to 5 Nov,
    pulled back at 31 Oct 23:30 UTC (1 Nov 00:30 CET, after b's October) to 30 Oct
    → slipped for b (LA's end would see the pull-back and say not slipped).
    l's "l-slip": close 20 Oct, pushed at 1 Nov 06:30 UTC (31 Oct 23:30 PDT, October) to
    15 Nov, lost at 1 Nov 07:30 UTC (after l's October) → slipped for l (Berlin's days
    would put the push in November: no slip).
    l's "l-gone": close 20 Oct, pushed at 15 Oct to 15 Nov, lost at 1 Nov 06:45 UTC
    (31 Oct in LA: before l's end) → not slipped (closed at the end of October).
    → slipped: b 1, l 1; company 2.
    """
    berlin = factories.TeamFactory(name="B", timezone="Europe/Berlin")
    la = factories.TeamFactory(name="L", timezone="America/Los_Angeles")
    b = factories.UserFactory(username="b", profile__team=berlin)
    lm = factories.UserFactory(username="l", profile__team=la)
    early = utc(9, 20, 12)

    def prospect(owner, name, close):
        return factories.prospect(
            owner, name=name, created_at=early, expected_close_date=date(2026, *close)
        )

    def push(prospect, to, at):
        services.prospect_change_close_date(
            prospect=prospect, expected_close_date=date(2026, *to), by=prospect.owner, at=at
        )

    b_slip = prospect(b, "b-slip", (10, 10))
    push(b_slip, (11, 5), utc(10, 31, 22, 30))
    push(b_slip, (10, 30), utc(10, 31, 23, 30))
    l_slip = prospect(lm, "l-slip", (10, 20))
    push(l_slip, (11, 15), utc(11, 1, 6, 30))
    services.prospect_lose(prospect=l_slip, reason="budget", by=lm, at=utc(11, 1, 7, 30))
    l_gone = prospect(lm, "l-gone", (10, 20))
    push(l_gone, (11, 15), utc(10, 15, 9))
    services.prospect_lose(prospect=l_gone, reason="budget", by=lm, at=utc(11, 1, 6, 45))
    return factories.UserFactory(username="root", is_superuser=True, profile=None)


def test_company_slippage_is_decided_in_each_owners_days(slips):
    body = _get(slips, "/api/reports/scorecard/")
    rows = {r["username"]: r for r in body["managers"]}

    assert [s["name"] for s in body["slipped"]] == ["b-slip", "l-slip"]
    assert rows["b"]["slippage"]["slipped_count"] == 1
    assert rows["l"]["slippage"]["slipped_count"] == 1
    assert [s["slipped_on"] for s in body["slipped"]] == ["2026-10-31", "2026-10-31"]
