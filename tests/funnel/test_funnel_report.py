"""/api/reports/funnel/: SPEC 3.1 on the worked example, written through the services."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from tests import factories


def at(day: int, hour: int = 10, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def worked_example(manager) -> None:
    """SPEC section 3's worked example, in October 2026 (team time zone Europe/Berlin).

    P1 lead→contacted→meeting→proposal→signed; P2 lead→proposal (skip)→meeting (back)
    →lost; P3 lead→contacted (a talked call); P4 stays lead; P5 lead→meeting (a held
    meeting).
    """
    by = manager
    p1 = factories.prospect(manager, name="P1", created_at=at(2))
    services.prospect_move(prospect=p1, to_stage="contacted", by=by, at=at(5))
    services.prospect_move(prospect=p1, to_stage="meeting", by=by, at=at(8))
    services.prospect_move(prospect=p1, to_stage="proposal", by=by, at=at(12))
    services.prospect_sign(
        prospect=p1, contract_value=Decimal("1000"), signed_on=at(20).date(), by=by, at=at(20)
    )
    p2 = factories.prospect(manager, name="P2", created_at=at(2))
    services.prospect_move(prospect=p2, to_stage="proposal", by=by, at=at(6))
    services.prospect_move(prospect=p2, to_stage="meeting", by=by, at=at(9))
    services.prospect_lose(prospect=p2, reason="budget", by=by, at=at(15))
    p3 = factories.prospect(manager, name="P3", created_at=at(3))
    services.call_log(manager=manager, prospect=p3, at=at(7), outcome="talked", by=by)
    factories.prospect(manager, name="P4", created_at=at(4))
    p5 = factories.prospect(manager, name="P5", created_at=at(5))
    meeting = services.meeting_plan(
        manager=manager, prospect=p5, starts_at=at(9), ends_at=at(9, 11), by=by
    )
    services.meeting_hold(meeting=meeting, by=by)


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_cohort_funnel_of_the_worked_example(api, manager):
    # given
    worked_example(manager)
    # when
    response = api.get("/api/reports/funnel/", {"period": "2026-10"})
    # then: reached lead 5, contacted 4 (P1 P2 P3 P5), meeting 3 (P1 P2 P5), proposal 2
    # (P1 P2), contract 1; conversions 4/5, 3/4, 2/3, 1/2; overall 1/5; one in 5
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["view"] == "cohort"
    assert body["reached"] == {
        "lead": 5,
        "contacted": 4,
        "meeting": 3,
        "proposal": 2,
        "contract": 1,
    }
    assert body["conversion"] == {
        "lead→contacted": 0.8,
        "contacted→meeting": 0.75,
        "meeting→proposal": 0.6667,
        "proposal→contract": 0.5,
    }
    assert body["overall"] == 0.2
    assert body["one_in_n"] == 5
    # October 2026 Mon-Fri, no holidays: 22 working days, all elapsed by 23 November
    assert body["working_days"] == 22
    assert body["period"] == {"label": "2026-10", "start": "2026-10-01", "end": "2026-10-31"}
    assert body["scope"]["kind"] == "manager"


def test_flow_funnel_of_the_worked_example(api, manager):
    # given the example plus Q, created in September, first contacted in October
    worked_example(manager)
    q = factories.prospect(manager, name="Q", created_at=at(20, month=9))
    services.prospect_move(prospect=q, to_stage="contacted", by=manager, at=at(21))
    # when
    body = api.get("/api/reports/funnel/", {"period": "2026-10", "view": "flow"}).json()
    # then first entries in October: lead 5 (Q entered lead in September), contacted 3
    # (P1 P3 Q), meeting 3 (P1 P2 P5), proposal 2 (P1 P2), contract 1
    assert body["view"] == "flow"
    assert body["entered"] == {
        "lead": 5,
        "contacted": 3,
        "meeting": 3,
        "proposal": 2,
        "contract": 1,
    }


def test_cohort_days_are_the_teams_days(api, manager):
    # given Europe/Berlin (UTC+2 in summer time): 30 Sep 22:30 UTC is 1 Oct 00:30 there,
    # and 31 Oct 23:30 UTC (UTC+1 after the 25 Oct change) is 1 Nov 00:30 there
    factories.prospect(
        manager, name="early October", created_at=at(30, 22, month=9) + timedelta(minutes=30)
    )
    factories.prospect(manager, name="November", created_at=at(31, 23) + timedelta(minutes=30))
    # when
    body = api.get("/api/reports/funnel/", {"period": "2026-10"}).json()
    # then only the first is in October's cohort
    assert body["reached"]["lead"] == 1


def test_empty_period_has_no_ratios(api):
    body = api.get("/api/reports/funnel/", {"period": "2026-10"}).json()
    assert body["reached"]["lead"] == 0
    assert body["overall"] is None
    assert body["one_in_n"] is None
    assert set(body["conversion"].values()) == {None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"start": "2026-10-01"}, "end"),
        ({"view": "sideways"}, "view"),
        ({"team": "abc"}, "team"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, params, field):
    response = api.get("/api/reports/funnel/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_another_teams_scope_is_a_404(api, db):
    stranger = factories.UserFactory(profile__team=factories.TeamFactory(name="Elsewhere"))
    assert api.get("/api/reports/funnel/", {"manager": stranger.pk}).status_code == 404
    team = stranger.profile.team
    assert api.get("/api/reports/funnel/", {"team": team.pk}).status_code == 404


@pytest.mark.parametrize("view", ["cohort", "flow"])
def test_team_funnel_query_count_is_flat(db, view):
    def queries(managers: int) -> int:
        team = factories.TeamFactory()
        lead = factories.UserFactory(profile__team=team, profile__role="lead")
        for _ in range(managers):
            manager = factories.UserFactory(profile__team=team)
            worked_example(manager)
        client = APIClient()
        client.force_authenticate(lead)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                "/api/reports/funnel/", {"team": team.pk, "period": "2026-10", "view": view}
            )
        assert response.status_code == 200
        return len(captured)

    small, large = queries(2), queries(40)
    assert small == large, (small, large)
    assert large <= 4
