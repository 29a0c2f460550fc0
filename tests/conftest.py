"""Shared fixtures: fast password hashing, factories, an API client."""

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    return factories.TeamFactory()


@pytest.fixture
def manager(team):
    return factories.UserFactory(profile__team=team)


@pytest.fixture
def lead(team):
    return factories.UserFactory(profile__team=team, profile__role="lead")
