"""/api/reports/team-review/: SPEC 3.5 slippage on the worked example, with the plan."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from funnel.services import plan_create
from tests import factories
from tests.funnel.scenario import at, move, prospect


@pytest.fixture
def review(db):
    """P = October 2026 (Mon-Fri, no holidays: its last 5 working days are 26-30 Oct).

    Q1 due 10 Oct; moved on 3 Oct to 20 Oct (a push, not a slip); moved on 27 Oct to
    5 Nov (a late slip); still open → slipped, late.
    Q2 due 15 Oct; moved on 8 Oct to 3 Nov; moved back on 9 Oct to 18 Oct (pulled in);
    signed 18 Oct → not slipped.
    Q3 due 12 Oct; moved on 10 Oct to 2 Nov; lost 14 Oct → not slipped.
    Q5 due 20 Oct; moved on 12 Oct to 10 Nov (not late); signed 3 Nov, after P → it was
    open at P's end: slipped.
    Q4 pushed 3 times in September: unreliable, not an October slip.
    → slipped_count 2 (Q1, Q5), slipped_value 1000 + 2000 = 3000.00, late_slips 1,
      pulled_in 1; contracts target 1, actual 1 (Q2) → attainment 1.0 and a late slip:
      postponing. push_count Q1 2, Q2 1, Q3 1; unreliable: Q4 only.
    """
    team = factories.TeamFactory(name="Review")
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    m = factories.UserFactory(username="m", profile__team=team)
    factories.UserFactory(username="quiet", profile__team=team)
    plan_create(
        manager=m,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        by=lead,
        targets={"contracts": 1},
    )
    q1 = prospect(m, "Q1", date(2026, 10, 10), "1000")
    move(q1, date(2026, 10, 20), 10, 3)
    move(q1, date(2026, 11, 5), 10, 27)
    q2 = prospect(m, "Q2", date(2026, 10, 15), "500")
    move(q2, date(2026, 11, 3), 10, 8)
    move(q2, date(2026, 10, 18), 10, 9)
    services.prospect_sign(
        prospect=q2,
        contract_value=Decimal("500"),
        signed_on=date(2026, 10, 18),
        by=m,
        at=at(10, 18),
    )
    q3 = prospect(m, "Q3", date(2026, 10, 12), "700")
    move(q3, date(2026, 11, 2), 10, 10)
    services.prospect_lose(prospect=q3, reason="budget", by=m, at=at(10, 14))
    q5 = prospect(m, "Q5", date(2026, 10, 20), "2000")
    move(q5, date(2026, 11, 10), 10, 12)
    services.prospect_sign(
        prospect=q5,
        contract_value=Decimal("2000"),
        signed_on=date(2026, 11, 3),
        by=m,
        at=at(11, 3),
    )
    q4 = prospect(m, "Q4", date(2026, 9, 10), "100")
    for day, to in ((5, date(2026, 9, 20)), (15, date(2026, 9, 25)), (20, date(2026, 9, 30))):
        move(q4, to, 9, day)
    client = APIClient()
    client.force_authenticate(lead)
    return client.get("/api/reports/team-review/", {"team": team.pk, "period": "2026-10"})


def test_slippage_of_the_worked_example(review):
    assert review.status_code == 200, review.json()
    body = review.json()
    rows = {row["username"]: row for row in body["managers"]}
    assert rows["m"]["slippage"] == {
        "slipped_count": 2,
        "slipped_value": "3000.00",
        "late_slips": 1,
        "pulled_in": 1,
        "postponing": True,
    }
    assert [(s["name"], s["late"], s["slipped_on"]) for s in body["slipped"]] == [
        ("Q5", False, "2026-10-12"),
        ("Q1", True, "2026-10-27"),
    ]
    assert body["postponing"] == ["m"]
    assert [(u["name"], u["push_count"]) for u in body["unreliable"]] == [("Q4", 3)]
    assert rows["quiet"]["slippage"]["postponing"] is False


def test_the_review_carries_the_plan(review):
    body = review.json()
    rows = {row["username"]: row for row in body["managers"]}
    assert rows["m"]["metrics"]["contracts"]["attainment"] == 1.0
    assert rows["m"]["metrics"]["contracts"]["status"] == "met"


@pytest.mark.parametrize("managers", [2, 40])
def test_team_review_query_count_is_flat(db, managers):
    team = factories.TeamFactory(name=f"Flat {managers}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for i in range(managers):
        m = factories.UserFactory(profile__team=team)
        q = prospect(m, f"q{i}", date(2026, 10, 10), "10")
        move(q, date(2026, 11, 5), 10, 27)
    client = APIClient()
    client.force_authenticate(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/reports/team-review/", {"team": team.pk, "period": "2026-10"})
    assert len(response.json()["slipped"]) == managers
    # teams, managers, the counts (one UNION ALL), calls and meetings per day, plan
    # targets, slipped deals, median cycles, benchmarks, and the open deals needing
    # attention (unreliable, stalled, stale)
    assert len(captured) == 9, [q["sql"] for q in captured]
