"""factory-boy factories. Rows with history are made through the services."""

from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from crm import services
from crm.models import Profile, Prospect, Role, Source, Stage, Team
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
