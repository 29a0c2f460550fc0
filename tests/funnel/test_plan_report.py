"""/api/reports/plan/: SPEC 3.4 attainment, overage, pace, status and team totals."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from funnel.services import plan_create
from tests import factories

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def sign(manager, value: str, day: int) -> None:
    prospect = factories.prospect(manager, name=f"deal {day}", created_at=at(1))
    services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal(value),
        signed_on=date(2026, 10, day),
        by=manager,
        at=at(day),
    )


def meetings(manager, held: int, cancelled: int = 0) -> None:
    prospect = factories.prospect(manager, name="client", created_at=at(1))
    for i in range(held + cancelled):
        meeting = services.meeting_plan(
            manager=manager,
            prospect=prospect,
            starts_at=at(5 + i),
            ends_at=at(5 + i, 11),
            by=manager,
        )
        if i < held:
            services.meeting_hold(meeting=meeting, by=manager)
        else:
            services.meeting_cancel(meeting=meeting, by=manager)


@pytest.fixture
def team_with_plans(db):
    """October 2026 (past: 22 working days, all elapsed), team in Europe/Berlin.

    A: targets contracts 2, revenue 3000, meetings 10; signs 3 x 1000, holds 4 meetings
       (1 cancelled does not count) → contracts exceeded by 1 (1.5), revenue met (1.0),
       meetings 4/10 = 0.4, overage -6, expected 10, pace 0.4 → off_track.
    B: target contracts 2; signs 1 x 500 → 0.5, overage -1, off_track.
    C: no plan; signs 1 → no attainment, left out of the team totals.
    Team contracts = (3 + 1) / (2 + 2) = 1.0; revenue = 3000 / 3000 = 1.0 (only A).
    """
    team = factories.TeamFactory(name="Plans")
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    a = factories.UserFactory(username="a", profile__team=team)
    b = factories.UserFactory(username="b", profile__team=team)
    c = factories.UserFactory(username="c", profile__team=team)
    plan_create(
        manager=a,
        start=OCTOBER[0],
        end=OCTOBER[1],
        by=lead,
        targets={"contracts": 2, "revenue": Decimal("3000"), "meetings": 10},
    )
    plan_create(manager=b, start=OCTOBER[0], end=OCTOBER[1], by=lead, targets={"contracts": 2})
    for day in (6, 13, 20):
        sign(a, "1000", day)
    meetings(a, held=4, cancelled=1)
    sign(b, "500", 14)
    sign(c, "700", 15)
    client = APIClient()
    client.force_authenticate(lead)
    return client, team


def test_attainment_overage_pace_and_status(team_with_plans):
    client, team = team_with_plans
    body = client.get("/api/reports/plan/", {"team": team.pk, "period": "2026-10"}).json()
    rows = {row["username"]: row["metrics"] for row in body["managers"]}
    assert body["working_days"] == 22
    assert body["elapsed_working_days"] == 22
    assert rows["a"]["contracts"] == {
        "target": 2,
        "actual": 3,
        "attainment": 1.5,
        "overage": 1,
        "expected_to_date": 2,
        "pace": 1.5,
        "status": "exceeded",
    }
    assert rows["a"]["revenue"]["attainment"] == 1.0
    assert rows["a"]["revenue"]["status"] == "met"
    assert rows["a"]["revenue"]["actual"] == "3000.00"
    assert rows["a"]["meetings"] == {
        "target": 10,
        "actual": 4,
        "attainment": 0.4,
        "overage": -6,
        "expected_to_date": 10,
        "pace": 0.4,
        "status": "off_track",
    }
    assert rows["b"]["contracts"]["attainment"] == 0.5
    assert rows["b"]["contracts"]["overage"] == -1
    assert rows["c"]["contracts"] == {
        "target": None,
        "actual": 1,
        "attainment": None,
        "overage": None,
        "expected_to_date": None,
        "pace": None,
        "status": None,
    }


def test_team_attainment_is_sum_over_sum_of_managers_with_a_target(team_with_plans):
    client, team = team_with_plans
    totals = client.get("/api/reports/plan/", {"team": team.pk, "period": "2026-10"}).json()[
        "totals"
    ]
    assert totals["contracts"] == {"target": 4, "actual": 4, "attainment": 1.0}
    assert totals["revenue"]["attainment"] == 1.0
    assert totals["calls"] == {"target": None, "actual": None, "attainment": None}


def test_who_exceeded_and_by_how_much(team_with_plans):
    client, team = team_with_plans
    exceeded = client.get("/api/reports/plan/", {"team": team.pk, "period": "2026-10"}).json()[
        "exceeded"
    ]
    assert [(e["username"], e["metric"], e["overage"]) for e in exceeded] == [("a", "contracts", 1)]


def test_quarter_sums_the_monthly_plan_inside_it(team_with_plans):
    # Q4 contains October's plan whole: A's contracts target stays 2
    client, team = team_with_plans
    body = client.get("/api/reports/plan/", {"team": team.pk, "period": "2026-Q4"}).json()
    rows = {row["username"]: row["metrics"] for row in body["managers"]}
    assert rows["a"]["contracts"]["target"] == 2


@pytest.mark.parametrize("managers", [2, 40])
def test_plan_report_query_count_is_flat(db, managers):
    team = factories.TeamFactory(name=f"Flat {managers}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for _ in range(managers):
        manager = factories.UserFactory(profile__team=team)
        plan_create(
            manager=manager,
            start=OCTOBER[0],
            end=OCTOBER[1],
            by=lead,
            targets={"contracts": 1, "calls": 5},
        )
        sign(manager, "100", 7)
    client = APIClient()
    client.force_authenticate(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/reports/plan/", {"team": team.pk, "period": "2026-10"})
    assert response.status_code == 200
    assert len(response.json()["managers"]) == managers
    # the teams, the plans, the managers, their actuals (one UNION ALL of grouped passes)
    assert len(captured) == 4, [q["sql"] for q in captured]


def test_the_current_periods_pace_counts_elapsed_working_days(db, monkeypatch):
    """Today is Monday 23 November 2026 in Berlin. November has 21 working days (Mon-Fri);
    up to and including today 16 have elapsed (2-6, 9-13, 16-20 and 23 November).
    A: target 21 held meetings, 15 held → expected_to_date 21 * 16/21 = 16, pace 15/16 =
       0.9375 → cautioned (≥ 0.9); meetings per day 15/16 = 0.9375.
    B: target 21, 14 held → pace 0.875 → off_track. C: target 21, 16 held → pace 1 → on_track.
    """
    from funnel import reports

    monkeypatch.setattr(reports, "now", lambda: datetime(2026, 11, 23, 15, tzinfo=UTC))
    team = factories.TeamFactory(name="Pace")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for name, held in (("a", 15), ("b", 14), ("c", 16)):
        manager = factories.UserFactory(username=name, profile__team=team)
        plan_create(
            manager=manager,
            start=date(2026, 11, 1),
            end=date(2026, 11, 30),
            by=lead,
            targets={"meetings": 21},
        )
        prospect = factories.prospect(manager, name="client", created_at=at(1))
        for i in range(held):
            start = datetime(2026, 11, 2 + i % 18, 9 + i // 18, tzinfo=UTC)
            meeting = services.meeting_plan(
                manager=manager,
                prospect=prospect,
                starts_at=start,
                ends_at=start.replace(minute=30),
                by=manager,
            )
            services.meeting_hold(
                meeting=meeting, by=manager, at=datetime(2026, 11, 23, 12, tzinfo=UTC)
            )
    client = APIClient()
    client.force_authenticate(lead)

    body = client.get("/api/reports/plan/", {"period": "2026-11"}).json()

    assert body["working_days"] == 21
    assert body["elapsed_working_days"] == 16
    rows = {r["username"]: r["metrics"]["meetings"] for r in body["managers"]}
    assert rows["a"]["expected_to_date"] == 16
    assert rows["a"]["pace"] == 0.9375
    assert rows["a"]["status"] == "cautioned"
    assert rows["b"]["pace"] == 0.875
    assert rows["b"]["status"] == "off_track"
    assert rows["c"]["status"] == "on_track"
    card = client.get("/api/reports/scorecard/", {"period": "2026-11"}).json()
    assert {r["username"]: r["meetings_per_day"] for r in card["managers"]}["a"] == 0.9375
