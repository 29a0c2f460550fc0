"""/api/reports/alternation/: SPEC 3.9 on the worked example."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from tests import factories


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def log_day(manager, prospect, day: int, calls: int, meetings: int) -> None:
    for i in range(calls):
        services.call_log(manager=manager, at=at(day, 8, i), outcome="no_answer", by=manager)
    for i in range(meetings):
        meeting = services.meeting_plan(
            manager=manager,
            prospect=prospect,
            starts_at=at(day, 12 + i),
            ends_at=at(day, 12 + i, 30),
            by=manager,
        )
        services.meeting_hold(meeting=meeting, by=manager)


def worked_example(manager) -> None:
    """SPEC: d1 (5 calls, 0 held) call day, d2 (1, 1) meeting day, d3 (0, 2) meeting day,
    d4 (4, 1) call day → 2 switches ÷ 3 = 0.6667; meeting days 2 of 4 = 0.5.
    Here d1..d4 are Mon 5 … Thu 8 October 2026; a Saturday call and a cancelled meeting
    on Friday do not count."""
    prospect = factories.prospect(manager, name="client", created_at=at(1))
    log_day(manager, prospect, 5, 5, 0)
    log_day(manager, prospect, 6, 1, 1)
    log_day(manager, prospect, 7, 0, 2)
    log_day(manager, prospect, 8, 4, 1)
    services.call_log(manager=manager, at=at(10), outcome="talked", by=manager)  # Saturday
    cancelled = services.meeting_plan(
        manager=manager, prospect=prospect, starts_at=at(9, 12), ends_at=at(9, 13), by=manager
    )
    services.meeting_cancel(meeting=cancelled, by=manager)


def test_alternation_of_the_worked_example(db):
    team = factories.TeamFactory(name="Alt")
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    alice = factories.UserFactory(username="alice", profile__team=team)
    bob = factories.UserFactory(username="bob", profile__team=team)
    worked_example(alice)
    services.call_log(manager=bob, at=at(6), outcome="no_answer", by=bob)  # 1 active day
    client = APIClient()
    client.force_authenticate(lead)
    # when
    body = client.get("/api/reports/alternation/", {"team": team.pk, "period": "2026-10"}).json()
    # then
    rows = {row["username"]: row for row in body["managers"]}
    assert rows["alice"]["active_days"] == 4
    assert rows["alice"]["alternation"] == 0.6667
    assert rows["alice"]["meeting_day_share"] == 0.5
    assert [d["kind"] for d in rows["alice"]["days"]] == ["call", "meeting", "meeting", "call"]
    assert rows["bob"]["alternation"] is None  # below 2 active days
    # the team's value is the mean over the managers that have one: alice only
    assert body["alternation"] == 0.6667
    assert body["meeting_day_share"] == 0.5


def test_a_day_is_the_teams_local_day(db):
    # given Europe/Berlin: 22:30 UTC on Thu 8 Oct is 00:30 on Fri 9 Oct there
    team = factories.TeamFactory(name="Late")
    manager = factories.UserFactory(profile__team=team)
    services.call_log(manager=manager, at=at(8, 10), outcome="no_answer", by=manager)
    services.call_log(manager=manager, at=at(8, 22, 30), outcome="no_answer", by=manager)
    client = APIClient()
    client.force_authenticate(manager)
    body = client.get("/api/reports/alternation/", {"period": "2026-10"}).json()
    assert [d["day"] for d in body["managers"][0]["days"]] == ["2026-10-08", "2026-10-09"]


@pytest.mark.parametrize("managers", [2, 40])
def test_alternation_query_count_is_flat(db, managers):
    team = factories.TeamFactory(name=f"Flat {managers}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    for _ in range(managers):
        worked_example(factories.UserFactory(profile__team=team))
    client = APIClient()
    client.force_authenticate(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/reports/alternation/", {"team": team.pk, "period": "2026-10"})
    assert response.status_code == 200
    # the teams, calls and held meetings per day (one UNION ALL), the managers
    assert len(captured) == 3, [q["sql"] for q in captured]
