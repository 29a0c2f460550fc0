"""Writes for events and attendance."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.editing import lock, refuse_unknown
from crm.models import Profile, Role
from crm.selectors import role_of
from events.models import AttendanceStatus, Event, EventAttendance

EVENT_EDITABLE = frozenset({"name", "kind", "starts_at", "ends_at", "location", "url", "cost"})
# Changes a calendar client must see: they raise the iCalendar SEQUENCE.
_SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "location"})


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError({field: "Give a time with an offset (ISO 8601)."})
    return value


@transaction.atomic
def event_create(
    *,
    name: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    by: AbstractBaseUser | None,
    location: str = "",
    url: str = "",
    cost: Decimal = Decimal("0.00"),
    team=None,
) -> Event:
    event = Event(
        name=name,
        kind=kind,
        starts_at=_aware(starts_at, "starts_at"),
        ends_at=_aware(ends_at, "ends_at"),
        location=location,
        url=url,
        cost=cost,
        team=team,
        created_by=by,
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, data: Mapping[str, Any]) -> Event:
    refuse_unknown(data, EVENT_EDITABLE)
    locked = lock(event)
    rescheduled = False
    for field, value in data.items():
        if field in {"starts_at", "ends_at"}:
            _aware(value, field)
        if field in _SCHEDULE_FIELDS and getattr(locked, field) != value:
            rescheduled = True
        setattr(locked, field, value)
    if rescheduled:
        locked.sequence += 1
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def event_delete(*, event: Event) -> None:
    """Delete an event; one that sourced prospects stays (their source would be lost)."""
    if event.sourced_prospects.exists():
        raise ValidationError("Prospects were sourced at this event; it cannot be deleted.")
    event.delete()


@transaction.atomic
def event_attend(
    *, event: Event, manager: AbstractBaseUser, status: str = AttendanceStatus.PLANNED
) -> EventAttendance:
    """Say that a manager plans to go, went, or no longer goes to an event (one row each).

    A team's event is for its members; admins may go to any event.
    """
    if status not in AttendanceStatus.values:
        raise ValidationError(
            {"status": f"Use one of {', '.join(AttendanceStatus.values)}, not “{status}”."}
        )
    if event.team_id is not None and role_of(manager) != Role.ADMIN:
        team_id = (
            Profile.objects.filter(user_id=manager.pk).values_list("team_id", flat=True).first()
        )
        if event.team_id != team_id:
            raise ValidationError({"event": "That event belongs to another team."})
    attendance, _ = EventAttendance.objects.select_for_update().get_or_create(
        event=event, manager=manager, defaults={"status": status}
    )
    if attendance.status != status:
        attendance.status = status
        attendance.save(update_fields=["status", "updated_at"])
    return attendance
