"""API fixtures: two teams, a lead and two managers in one, a manager in the other."""

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def world(db):
    """The people of the permission cases."""
    home = factories.TeamFactory(name="Home")
    away = factories.TeamFactory(name="Away")
    people = {
        "admin": factories.UserFactory(username="boss", profile__role="admin", profile__team=None),
        "lead": factories.UserFactory(username="lead", profile__role="lead", profile__team=home),
        "me": factories.UserFactory(username="me", profile__team=home),
        "mate": factories.UserFactory(username="mate", profile__team=home),
        "stranger": factories.UserFactory(username="stranger", profile__team=away),
        "away_lead": factories.UserFactory(
            username="away_lead", profile__role="lead", profile__team=away
        ),
    }
    boss = people["admin"]
    boss.is_staff = boss.is_superuser = True
    boss.save()
    people["home"], people["away"] = home, away
    return people


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login
