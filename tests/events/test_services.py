"""Event writes: create, update (a schedule change raises SEQUENCE) and attendance."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from events import services
from events.models import AttendanceStatus, Event, EventAttendance, EventKind
from tests.factories import moment

NAIVE = datetime(2026, 11, 10, 9)  # noqa: DTZ001 (naive on purpose)


def _create(**overrides) -> Event:
    arguments = {
        "name": "FinTech Summit",
        "kind": EventKind.CONFERENCE,
        "starts_at": moment(10, 9),
        "ends_at": moment(11, 17),
        "by": None,
    } | overrides
    return services.event_create(**arguments)


def test_event_create_stores_the_event(lead, team):
    # when
    event = _create(
        by=lead,
        location="Messe Berlin",
        url="https://summit.example/",
        cost=Decimal("1200.50"),
        team=team,
    )

    # then
    event.refresh_from_db()
    assert (event.name, event.kind, event.location) == (
        "FinTech Summit",
        "conference",
        "Messe Berlin",
    )
    assert (event.starts_at, event.ends_at) == (moment(10, 9), moment(11, 17))
    assert (event.cost, event.team, event.created_by, event.sequence) == (
        Decimal("1200.50"),
        team,
        lead,
        0,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": moment(10, 9)}, "ends_at"),
        ({"ends_at": moment(9, 9)}, "ends_at"),
        ({"starts_at": NAIVE}, "starts_at"),
        ({"ends_at": NAIVE + timedelta(hours=8)}, "ends_at"),
        ({"cost": Decimal("-0.01")}, "cost"),
        ({"cost": Decimal("10.001")}, "cost"),
        ({"kind": "party"}, "kind"),
        ({"name": ""}, "name"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_event_create_refuses_bad_values_and_writes_nothing(db, nothing_written, overrides, field):
    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        _create(**overrides)
    assert field in refused.value.message_dict


@pytest.mark.parametrize(
    "data",
    [
        {"starts_at": moment(10, 10)},
        {"ends_at": moment(11, 18)},
        {"location": "Online"},
        {"starts_at": moment(12, 9), "ends_at": moment(12, 17)},
    ],
)
def test_a_schedule_change_raises_the_sequence(db, data):
    # given
    event = _create(location="Berlin")

    # when
    updated = services.event_update(event=event, data=data)

    # then
    updated.refresh_from_db()
    assert updated.sequence == 1
    for field, value in data.items():
        assert getattr(updated, field) == value


def test_other_changes_and_unchanged_values_keep_the_sequence(db):
    # given
    event = _create(location="Berlin")

    # when
    services.event_update(
        event=event,
        data={
            "name": "Summit 2026",
            "cost": Decimal("99.00"),
            "url": "https://s.example/",
            "location": "Berlin",
            "starts_at": moment(10, 9),
        },
    )

    # then
    event.refresh_from_db()
    assert (event.name, event.cost, event.sequence) == ("Summit 2026", Decimal("99.00"), 0)


def test_the_same_moment_in_another_zone_is_not_a_change(db):
    # given
    event = _create()
    same = moment(10, 9).astimezone(ZoneInfo("Asia/Tokyo"))

    # when
    services.event_update(event=event, data={"starts_at": same})

    # then
    assert Event.objects.get(pk=event.pk).sequence == 0


def test_every_reschedule_raises_the_sequence_again(db):
    # given
    event = _create()

    # when
    services.event_update(event=event, data={"location": "Hall 1"})
    services.event_update(event=event, data={"location": "Hall 2"})

    # then
    assert Event.objects.get(pk=event.pk).sequence == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"ends_at": moment(10, 9)}, "ends_at"),
        ({"starts_at": moment(12, 9)}, "ends_at"),  # now after the end
        ({"starts_at": NAIVE}, "starts_at"),
        ({"cost": Decimal(-1)}, "cost"),
        ({"team": None}, "team"),
        ({"sequence": 7}, "sequence"),
        ({"created_by": None}, "created_by"),
    ],
)
def test_event_update_refuses_bad_values_and_changes_nothing(db, data, field):
    # given
    event = _create()

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.event_update(event=event, data=data)
    assert field in refused.value.message_dict
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at, event.cost, event.sequence) == (
        moment(10, 9),
        moment(11, 17),
        Decimal(0),
        0,
    )


# --- attendance ----------------------------------------------------------------------


def test_attend_records_a_plan_to_go(manager):
    # given
    event = _create()

    # when
    attendance = services.event_attend(event=event, manager=manager)

    # then
    assert EventAttendance.objects.get(pk=attendance.pk).status == AttendanceStatus.PLANNED


def test_attend_is_an_upsert_one_row_per_event_and_manager(manager, lead):
    # given
    event = _create()
    first = services.event_attend(event=event, manager=manager)

    # when
    second = services.event_attend(event=event, manager=manager, status=AttendanceStatus.ATTENDED)
    services.event_attend(event=event, manager=manager, status=AttendanceStatus.ATTENDED)
    services.event_attend(event=event, manager=lead, status=AttendanceStatus.CANCELLED)

    # then
    assert second.pk == first.pk
    rows = dict(EventAttendance.objects.values_list("manager", "status"))
    assert rows == {manager.pk: "attended", lead.pk: "cancelled"}


def test_attend_refuses_an_unknown_status(manager, nothing_written):
    # given
    event = _create()

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.event_attend(event=event, manager=manager, status="maybe")
    assert "status" in refused.value.message_dict


def test_a_team_event_is_for_that_team_only(manager, stranger, team, nothing_written):
    # given
    event = _create(team=team)
    services.event_attend(event=event, manager=manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.event_attend(event=event, manager=stranger)
    assert "event" in refused.value.message_dict
    assert list(EventAttendance.objects.values_list("manager", flat=True)) == [manager.pk]


def test_a_company_wide_event_is_open_to_every_team(manager, stranger):
    # given
    event = _create(team=None)

    # when
    services.event_attend(event=event, manager=manager)
    services.event_attend(event=event, manager=stranger)

    # then
    assert EventAttendance.objects.filter(event=event).count() == 2
