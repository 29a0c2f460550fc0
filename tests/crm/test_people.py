"""Teams, users with their profiles and roles, and the secret calendar tokens."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from crm import services
from crm.models import Profile, Role, Team
from tests import factories

User = get_user_model()
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def _assert_secret(token: str) -> None:
    """At least 256 bits of URL-safe base64 (43 characters)."""
    assert len(token) >= 43
    assert URL_SAFE.match(token), token


# --- teams ---------------------------------------------------------------------------


def test_team_create(db):
    # when
    team = services.team_create(
        name="North",
        sector=factories.sector("consulting"),
        timezone_name="Europe/Paris",
        work_week="123456",
        holiday_country="FR",
        rotting_days={"proposal": 7},
    )

    # then
    team.refresh_from_db()
    assert (team.name, team.sector.code, team.timezone) == ("North", "consulting", "Europe/Paris")
    assert (team.work_week, team.holiday_country) == ("123456", "FR")
    assert (team.rotting_days_for("proposal"), team.rotting_days_for("lead")) == (7, 14)
    assert team.lead is None
    _assert_secret(team.team_calendar_token)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
        ({"work_week": "1238"}, "work_week"),
        ({"work_week": "112"}, "work_week"),
        ({"work_week": ""}, "work_week"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"rotting_days": {"contract": 5}}, "rotting_days"),
        ({"rotting_days": {"lead": 0}}, "rotting_days"),
        ({"rotting_days": {"lead": True}}, "rotting_days"),
        ({"name": "Taken"}, "name"),
    ],
)
def test_team_create_refuses_bad_values(db, nothing_written, kwargs, field):
    # given
    factories.TeamFactory(name="Taken")
    arguments = {"name": "South", "sector": factories.sector()} | kwargs

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.team_create(**arguments)
    assert field in refused.value.message_dict


# --- users and roles -----------------------------------------------------------------


def test_user_create_makes_a_manager_with_a_profile(team):
    # when
    user = services.user_create(
        username="ann",
        team=team,
        password="s3cret-pass",
        email="ann@example.com",
        hired_on=date(2026, 9, 1),
    )

    # then
    user.refresh_from_db()
    profile = Profile.objects.get(user=user)
    assert (profile.role, profile.team, profile.hired_on) == (Role.MANAGER, team, date(2026, 9, 1))
    assert user.check_password("s3cret-pass")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert profile.effective_timezone == team.timezone
    _assert_secret(profile.calendar_token)
    assert Team.objects.get(pk=team.pk).lead is None


def test_a_lead_becomes_the_lead_of_their_team(team):
    # when
    lead = services.user_create(username="boss", role=Role.LEAD, team=team)

    # then
    assert Profile.objects.get(user=lead).role == Role.LEAD
    assert Team.objects.get(pk=team.pk).lead == lead
    assert team.lead == lead


def test_an_admin_needs_no_team_and_is_staff(db):
    # when
    admin = services.user_create(username="root", role=Role.ADMIN)

    # then
    admin.refresh_from_db()
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert Profile.objects.get(user=admin).team is None


def test_a_user_without_a_password_cannot_log_in(team):
    # when
    user = services.user_create(username="nopass", team=team)

    # then
    assert not user.has_usable_password()


def test_a_prehashed_password_is_stored_as_given(team):
    # given
    hashed = factories.UserFactory.build(password="demo").password

    # when
    user = services.user_create(username="demo-1", team=team, password_hash=hashed)

    # then
    user.refresh_from_db()
    assert user.password == hashed
    assert user.check_password("demo")


def test_own_timezone_wins_over_the_teams(team):
    # when
    user = services.user_create(username="tz", team=team, timezone_name="America/New_York")

    # then
    assert Profile.objects.get(user=user).effective_timezone == "America/New_York"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": Role.MANAGER, "team": None}, "team"),
        ({"role": Role.LEAD, "team": None}, "team"),
        ({"role": "intern"}, "role"),
        ({"username": "taken"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": "nope"}, "email"),
        ({"timezone_name": "Nowhere/City"}, "timezone"),
    ],
)
def test_user_create_refuses_bad_values_and_writes_nothing(team, nothing_written, kwargs, field):
    # given
    factories.UserFactory(username="taken", profile__team=team)
    arguments = {"username": "new", "team": team} | kwargs

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.user_create(**arguments)
    assert field in refused.value.message_dict
    assert Team.objects.get(pk=team.pk).lead is None


# --- calendar tokens -----------------------------------------------------------------


def test_every_user_gets_a_long_url_safe_token_of_their_own(team):
    # when
    users = [services.user_create(username=f"m{n}", team=team) for n in range(20)]

    # then
    tokens = [Profile.objects.get(user=user).calendar_token for user in users]
    for token in tokens:
        _assert_secret(token)
    assert len(set(tokens)) == len(tokens)
    assert team.team_calendar_token not in tokens


def test_rotating_the_token_retires_the_old_link(team):
    # given
    user = services.user_create(username="ann", team=team)
    other = services.user_create(username="bob", team=team)
    old = Profile.objects.get(user=user).calendar_token
    others_token = Profile.objects.get(user=other).calendar_token

    # when
    new = services.calendar_token_rotate(user=user)

    # then
    _assert_secret(new)
    assert new != old
    assert user.profile.calendar_token == new
    assert Profile.objects.get(calendar_token=new).user == user
    assert not Profile.objects.filter(calendar_token=old).exists()
    assert Profile.objects.get(user=other).calendar_token == others_token


def test_rotating_twice_gives_a_new_token_each_time(manager):
    # when
    first = services.calendar_token_rotate(user=manager)
    second = services.calendar_token_rotate(user=manager)

    # then
    assert first != second
    assert Profile.objects.get(user=manager).calendar_token == second


def test_rotating_the_team_token_retires_the_old_team_link(team):
    # given
    old = team.team_calendar_token
    other_team = factories.TeamFactory()

    # when
    new = services.team_calendar_token_rotate(team=team)

    # then
    _assert_secret(new)
    assert new != old
    assert team.team_calendar_token == new
    assert Team.objects.get(team_calendar_token=new) == team
    assert not Team.objects.filter(team_calendar_token=old).exists()
    assert Team.objects.get(pk=other_team.pk).team_calendar_token == other_team.team_calendar_token
