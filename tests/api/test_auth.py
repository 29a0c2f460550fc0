"""Logging in for scripts (POST /api/auth/token/), token and session auth, and /api/me/."""

import pytest
from rest_framework.authtoken.models import Token

from tests import factories

TOKEN_URL = "/api/auth/token/"


@pytest.fixture
def me(world):
    return world["me"]  # password "pw" (tests.factories.UserFactory)


def test_the_right_password_gives_a_token(api, me):
    # when
    first = api.post(TOKEN_URL, {"username": "me", "password": "pw"}, format="json")
    again = api.post(TOKEN_URL, {"username": "me", "password": "pw"})  # a form works too
    # then
    assert first.status_code == 200, first.json()
    assert first.json() == {"token": Token.objects.get(user=me).key}
    assert again.json() == first.json()


def test_a_wrong_password_and_an_unknown_user_answer_the_same(api, me):
    # given
    inactive = factories.UserFactory(username="gone", profile__team=me.profile.team)
    inactive.is_active = False
    inactive.save()
    # when
    wrong_password = api.post(TOKEN_URL, {"username": "me", "password": "nope"}, format="json")
    unknown_user = api.post(TOKEN_URL, {"username": "nobody", "password": "pw"}, format="json")
    not_active = api.post(TOKEN_URL, {"username": "gone", "password": "pw"}, format="json")
    # then
    assert wrong_password.status_code == unknown_user.status_code == not_active.status_code == 400
    assert wrong_password.json() == unknown_user.json() == not_active.json()
    body = wrong_password.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert list(body["errors"]) == ["non_field_errors"]
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"username": "me"}, "password"), ({"password": "pw"}, "username"), ({}, "username")],
)
def test_a_missing_username_or_password_is_a_400_naming_it(api, me, body, missing):
    # when
    response = api.post(TOKEN_URL, body, format="json")
    # then
    assert response.status_code == 400
    assert missing in response.json()["errors"]


def test_the_token_endpoint_takes_only_post(api, me):
    # when
    response = api.get(TOKEN_URL)
    # then
    assert response.status_code == 405
    assert response.json()["status"] == 405


def test_a_token_authenticates_the_api(api, me):
    # given
    token = api.post(TOKEN_URL, {"username": "me", "password": "pw"}, format="json").json()
    # when
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    response = api.get("/api/me/")
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["username"] == "me"


def test_a_session_authenticates_the_api(api, me):
    # given
    assert api.login(username="me", password="pw")
    # when
    response = api.get("/api/me/")
    # then
    assert response.status_code == 200
    assert response.json()["id"] == me.pk


@pytest.mark.parametrize("authorization", [None, "Token nonsense", "Token ", "Bearer abc"])
@pytest.mark.parametrize("url", ["/api/me/", "/api/prospects/", "/api/sectors/"])
def test_without_valid_credentials_the_api_answers_401_or_403(api, world, url, authorization):
    # given
    if authorization:
        api.credentials(HTTP_AUTHORIZATION=authorization)
    # when
    response = api.get(url)
    # then
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == response.status_code


def test_me_describes_a_manager(api, world, as_user):
    # given
    me = world["me"]
    # when
    response = as_user(me).get("/api/me/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["username"], body["role"]) == (me.pk, "me", "manager")
    assert body["team"] == {
        "id": world["home"].pk,
        "name": "Home",
        "sector": "b2b",
        "timezone": "Europe/Berlin",
    }
    assert body["timezone"] == "Europe/Berlin"
    assert body["calendar_url"].endswith(f"/calendar/{me.profile.calendar_token}.ics")


@pytest.mark.parametrize(
    ("who", "role", "team"), [("lead", "lead", "home"), ("admin", "admin", None)]
)
def test_me_gives_the_role_and_team(world, as_user, who, role, team):
    # when
    body = as_user(world[who]).get("/api/me/").json()
    # then
    assert body["role"] == role
    assert (body["team"] or {}).get("id") == (world[team].pk if team else None)


def test_the_calendar_url_is_https_for_a_public_host(world, as_user, settings):
    # given
    settings.ALLOWED_HOSTS = ["funnelbook.example"]
    me = world["me"]
    # when
    body = as_user(me).get("/api/me/", HTTP_HOST="funnelbook.example").json()
    # then
    assert body["calendar_url"] == (
        f"https://funnelbook.example/calendar/{me.profile.calendar_token}.ics"
    )
