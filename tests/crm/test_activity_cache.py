"""The prospect's activity cache (held_meetings, held_with_dm, last_touch_at) follows
every write to its calls and meetings, whichever way the write comes."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm import services
from crm.models import Prospect
from tests import factories


def utc(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def cache(prospect) -> tuple:
    p = Prospect.objects.get(pk=prospect.pk)
    return p.held_meetings, p.held_with_dm, p.last_touch_at


def expected(prospect) -> tuple:
    """Recomputed from the rows, as the definition says."""
    held = prospect.meetings.filter(status="held")
    touches = [c.at for c in prospect.calls.all()] + [m.starts_at for m in held]
    return (
        held.count(),
        held.filter(decision_maker_present=True).count(),
        max(touches) if touches else None,
    )


@pytest.fixture
def prospect(manager):
    return factories.prospect(manager, created_at=utc(2))


def test_a_new_prospect_has_no_activity(prospect):
    assert cache(prospect) == (0, 0, None)


def test_calls_and_held_meetings_are_counted_and_touch(prospect, manager):
    # given a call on the 3rd, a meeting held with a decision maker on the 4th, one held
    # without on the 5th, a planned one on the 6th and a cancelled one on the 7th
    services.call_log(manager=manager, prospect=prospect, at=utc(3), outcome="talked", by=manager)
    for day, dm in ((4, True), (5, False)):
        meeting = factories.meeting(prospect, starts_at=utc(day))
        services.meeting_hold(meeting=meeting, by=manager, decision_maker_present=dm, at=utc(20))
    factories.meeting(prospect, starts_at=utc(6))
    services.meeting_cancel(meeting=factories.meeting(prospect, starts_at=utc(7)), by=manager)

    # then: 2 held, 1 with a decision maker, last touch the held meeting of the 5th
    assert cache(prospect) == (2, 1, utc(5)) == expected(prospect)


def test_a_later_call_is_the_last_touch(prospect, manager):
    meeting = factories.meeting(prospect, starts_at=utc(4))
    services.meeting_hold(meeting=meeting, by=manager, at=utc(20))
    services.call_log(
        manager=manager, prospect=prospect, at=utc(9), outcome="no_answer", by=manager
    )

    assert cache(prospect) == (1, 0, utc(9)) == expected(prospect)


def test_changing_the_decision_maker_of_a_held_meeting(prospect, manager):
    meeting = factories.meeting(prospect, starts_at=utc(4))
    services.meeting_hold(meeting=meeting, by=manager, decision_maker_present=False, at=utc(20))

    services.meeting_update(meeting=meeting, data={"decision_maker_present": True})

    assert cache(prospect) == (1, 1, utc(4))


def test_deleting_through_the_api_updates_the_cache(prospect, manager):
    call = services.call_log(
        manager=manager, prospect=prospect, at=utc(9), outcome="no_answer", by=manager
    )
    meeting = factories.meeting(prospect, starts_at=utc(4))
    services.meeting_hold(meeting=meeting, by=manager, decision_maker_present=True, at=utc(20))
    client = APIClient()
    client.force_authenticate(manager)

    assert client.delete(f"/api/calls/{call.pk}/").status_code == 204
    assert cache(prospect) == (1, 1, utc(4))
    assert client.delete(f"/api/meetings/{meeting.pk}/").status_code == 204
    assert cache(prospect) == (0, 0, None)


def test_deleting_in_the_admin_updates_the_cache(prospect, manager, client):
    call = services.call_log(
        manager=manager, prospect=prospect, at=utc(9), outcome="no_answer", by=manager
    )
    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True, profile=None)
    client.force_login(admin)

    response = client.post(
        reverse("admin:crm_call_changelist"),
        {"action": "delete_selected", "_selected_action": [call.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert cache(prospect) == (0, 0, None)


def test_refresh_rewrites_a_cache_written_around_the_services(prospect, manager):
    # given rows loaded in bulk, as the demo and the bench loader do
    services.call_log(
        manager=manager, prospect=prospect, at=utc(9), outcome="no_answer", by=manager
    )
    Prospect.objects.filter(pk=prospect.pk).update(held_meetings=7, last_touch_at=None)

    services.prospect_activity_refresh()

    assert cache(prospect) == (0, 0, utc(9)) == expected(prospect)


def test_the_api_shows_the_cache_read_only(prospect, manager):
    services.call_log(
        manager=manager, prospect=prospect, at=utc(9), outcome="no_answer", by=manager
    )
    client = APIClient()
    client.force_authenticate(manager)

    body = client.patch(
        f"/api/prospects/{prospect.pk}/", {"held_meetings": 99}, format="json"
    ).json()

    assert body["held_meetings"] == 0
    assert body["last_touch_at"] == "2026-11-09T10:00:00Z"
