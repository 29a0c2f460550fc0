"""Reads of events: who may see which (company-wide events and their own team's)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from crm.models import Role
from crm.selectors import role_of, team_id_of
from events.models import Event, EventAttendance


def visible_events(user: AbstractBaseUser) -> QuerySet[Event]:
    role = role_of(user)
    if role == Role.ADMIN:
        return Event.objects.all()
    if role is None:
        return Event.objects.none()
    return Event.objects.filter(Q(team__isnull=True) | Q(team_id=team_id_of(user)))


def visible_attendances(user: AbstractBaseUser) -> QuerySet[EventAttendance]:
    return EventAttendance.objects.filter(event__in=visible_events(user))
