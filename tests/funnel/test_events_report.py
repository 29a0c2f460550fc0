"""/api/reports/events/: SPEC 3.8 events ROI."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm import services
from events.services import event_attend, event_create
from tests import factories


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def make_event(name: str, month: int, day: int, cost: str, team):
    return event_create(
        name=name,
        kind="exhibition",
        starts_at=at(month, day),
        ends_at=at(month, day, 18),
        by=None,
        cost=Decimal(cost),
        team=team,
    )


@pytest.fixture
def scene(db):
    """October 2026, team Fairs (Europe/Berlin).

    E1 (14 Oct, cost 1000): ann and ben attended, cid only planned; 4 prospects sourced
    (3 by ann, 1 by ben); 2 held meetings with them (a cancelled one does not count); one
    signed for 5000 on 10 November (counted: "up to now, not only in the period").
    → managers 2, prospects 4, held 2, contracts 1, revenue 5000.00,
      cost per prospect 1000/4 = 250.00, cost per contract 1000/1 = 1000.00.
    E2 (20 Oct, free): nobody, nothing → cost 0.00, both "cost per" null (count 0).
    E3 (30 Sep) starts outside the period and is not listed.
    """
    team = factories.TeamFactory(name="Fairs")
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    ann, ben, cid = (factories.UserFactory(username=n, profile__team=team) for n in "abc")
    e1 = make_event("E1", 10, 14, "1000", team)
    make_event("E2", 10, 20, "0", team)
    make_event("E3", 9, 30, "300", team)
    event_attend(event=e1, manager=ann, status="attended")
    event_attend(event=e1, manager=ben, status="attended")
    event_attend(event=e1, manager=cid, status="planned")
    sourced = [
        factories.prospect(
            owner, name=f"from fair {i}", source="event", source_event=e1, created_at=at(10, 15)
        )
        for i, owner in enumerate([ann, ann, ann, ben])
    ]
    for i, outcome in enumerate(["hold", "hold", "cancel"]):
        meeting = services.meeting_plan(
            manager=ann,
            prospect=sourced[i],
            starts_at=at(10, 20 + i),
            ends_at=at(10, 20 + i, 11),
            by=ann,
        )
        if outcome == "hold":
            services.meeting_hold(meeting=meeting, by=ann)
        else:
            services.meeting_cancel(meeting=meeting, by=ann)
    services.prospect_sign(
        prospect=sourced[0],
        contract_value=Decimal("5000"),
        signed_on=date(2026, 11, 10),
        by=ann,
        at=at(11, 10),
    )
    client = APIClient()
    client.force_authenticate(lead)
    return client, team


def test_events_roi(scene):
    client, team = scene
    body = client.get("/api/reports/events/", {"team": team.pk, "period": "2026-10"}).json()
    rows = {row["name"]: row for row in body["events"]}
    assert set(rows) == {"E1", "E2"}
    e1 = rows["E1"]
    assert (e1["managers_attended"], e1["prospects_sourced"], e1["held_meetings"]) == (2, 4, 2)
    assert (e1["contracts"], e1["revenue"], e1["cost"]) == (1, "5000.00", "1000.00")
    assert (e1["cost_per_prospect"], e1["cost_per_contract"]) == ("250.00", "1000.00")
    e2 = rows["E2"]
    assert (e2["cost"], e2["prospects_sourced"], e2["revenue"]) == ("0.00", 0, "0.00")
    assert (e2["cost_per_prospect"], e2["cost_per_contract"]) == (None, None)


def test_a_manager_sees_only_their_own_return(scene):
    _, team = scene
    ben = team.members.get(user__username="b").user
    client = APIClient()
    client.force_authenticate(ben)
    e1 = next(
        e
        for e in client.get("/api/reports/events/", {"period": "2026-10"}).json()["events"]
        if e["name"] == "E1"
    )
    assert (e1["managers_attended"], e1["prospects_sourced"], e1["contracts"]) == (1, 1, 0)


@pytest.mark.parametrize("events", [2, 12])
def test_events_report_query_count_is_flat(db, events):
    team = factories.TeamFactory(name=f"Flat {events}")
    lead = factories.UserFactory(profile__team=team, profile__role="lead")
    manager = factories.UserFactory(profile__team=team)
    for i in range(events):
        event = make_event(f"E{i}", 10, 1 + i, "100", team)
        event_attend(event=event, manager=manager, status="attended")
        factories.prospect(
            manager, name=f"p{i}", source="event", source_event=event, created_at=at(10, 25)
        )
    client = APIClient()
    client.force_authenticate(lead)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/reports/events/", {"team": team.pk, "period": "2026-10"})
    assert len(response.json()["events"]) == events
    assert len(captured) == 2, [q["sql"] for q in captured]
