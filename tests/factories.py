"""factory-boy factories. Rows with history are made through the services."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from crm import services
from crm.models import Contact, Meeting, Profile, Prospect, Referral, Role, Source, Stage, Team
from events import services as event_services
from events.models import Event, EventKind
from funnel.models import Sector

User = get_user_model()


def sector(code: str = "b2b") -> Sector:
    """One of the sectors seeded by the data migration."""
    return Sector.objects.get(code=code)


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    sector = factory.LazyFunction(sector)
    timezone = "Europe/Berlin"


class ProfileFactory(factory.django.DjangoModelFactory[Profile]):
    class Meta:
        model = Profile

    user = factory.SubFactory("tests.factories.UserFactory", profile=None)
    team = factory.SubFactory(TeamFactory)
    role = Role.MANAGER
    # As crm.services.user_create: a new user's (empty) days are counted in the team's zone.
    activity_days_tz = factory.LazyAttribute(lambda p: p.team.timezone if p.team else "")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")
    profile = factory.RelatedFactory(ProfileFactory, factory_related_name="user")


def prospect(
    owner,
    *,
    name: str = "Acme",
    stage: str = Stage.LEAD,
    source: str = Source.OTHER,
    created_at: datetime | None = None,
    **kwargs,
) -> Prospect:
    """A prospect made through ``services.prospect_create`` (so its history exists)."""
    return services.prospect_create(
        owner=owner,
        name=name,
        by=owner,
        stage=stage,
        source=source,
        created_at=created_at or datetime(2026, 11, 2, 9, tzinfo=UTC),
        **kwargs,
    )


def moment(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An aware moment (UTC) on a day of November 2026, the month the tests live in."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def contact(prospect: Prospect, *, name: str = "Dana", is_decision_maker: bool = False) -> Contact:
    return services.contact_create(
        prospect=prospect, name=name, is_decision_maker=is_decision_maker
    )


def meeting(
    prospect: Prospect,
    *,
    starts_at: datetime | None = None,
    minutes: int = 60,
    attendees: Iterable[Contact] = (),
) -> Meeting:
    """A planned meeting of the prospect's owner (default: 5 November 2026, 10:00 UTC)."""
    starts_at = starts_at or moment(5)
    return services.meeting_plan(
        manager=prospect.owner,
        prospect=prospect,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        by=prospect.owner,
        attendees=attendees,
    )


def referral(from_prospect: Prospect, *, asked_on: date = date(2026, 11, 3)) -> Referral:
    return services.referral_ask(
        manager=from_prospect.owner,
        from_prospect=from_prospect,
        asked_on=asked_on,
        by=from_prospect.owner,
    )


def event(
    *,
    name: str = "Expo",
    starts_at: datetime | None = None,
    hours: int = 8,
    team: Team | None = None,
    by: AbstractBaseUser | None = None,
) -> Event:
    """A company-wide trade show (default: 10 November 2026) unless a team is given."""
    starts_at = starts_at or moment(10, 9)
    return event_services.event_create(
        name=name,
        kind=EventKind.TRADE_SHOW,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        by=by,
        team=team,
    )
