"""/charts/<name>.<fmt>: the charts as PNG and SVG, their alt text, permissions, caching.

The data (October 2026, a B2B team in Europe/Berlin, "today" pinned to 23 November):
alice's cohort P1 (from the Expo, contacted 5 Oct, meeting held 6 Oct, proposal, signed
20 Oct for 1,000), P2 (stays lead), P3 (contacted by a call on 7 Oct) → reached lead 3,
contacted 2, meeting 1, proposal 1, contract 1. Active days: 5 Oct two calls (call day),
6 Oct one held meeting (meeting day), 7 Oct one call (call day). Plan: contracts 2
(1 signed: 50%), meetings 1 (1 held: 100%). Expo cost 500.00, brought 1,000.00: +100%.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.shortcuts import resolve_url

from crm import services
from events import services as event_services
from events.models import EventKind
from funnel import chart_data, freshness, reports
from funnel.services import plan_create
from tests import factories

PERIOD = {"period": "2026-10"}
NAMES = ("funnel", "plan", "activity", "alternation", "events")
ONE_MANAGER = frozenset({"plan", "activity", "alternation"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def hold(manager, prospect, when: datetime) -> None:
    meeting = services.meeting_plan(
        manager=manager,
        prospect=prospect,
        starts_at=when,
        ends_at=when + timedelta(hours=1),
        by=manager,
    )
    services.meeting_hold(meeting=meeting, by=manager)


def call(manager, when: datetime, prospect=None, outcome: str = "no_answer") -> None:
    services.call_log(manager=manager, prospect=prospect, at=when, outcome=outcome, by=manager)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(reports, "now", lambda: datetime(2026, 11, 23, 15, tzinfo=UTC))


@pytest.fixture
def world(db):
    team = factories.TeamFactory(name="Charts")
    lead = factories.UserFactory(username="lead", profile__team=team, profile__role="lead")
    alice = factories.UserFactory(username="alice", profile__team=team)
    expo = event_services.event_create(
        name="Expo",
        kind=EventKind.TRADE_SHOW,
        starts_at=at(1, 8),
        ends_at=at(1, 16),
        by=lead,
        cost=Decimal("500.00"),
    )
    p1 = factories.prospect(alice, name="P1", source="event", source_event=expo, created_at=at(2))
    services.prospect_move(prospect=p1, to_stage="contacted", by=alice, at=at(5, 8))
    hold(alice, p1, at(6, 12))
    services.prospect_move(prospect=p1, to_stage="proposal", by=alice, at=at(12))
    services.prospect_sign(
        prospect=p1, contract_value=Decimal("1000"), signed_on=at(20).date(), by=alice, at=at(20)
    )
    factories.prospect(alice, name="P2", created_at=at(2))
    p3 = factories.prospect(alice, name="P3", created_at=at(5))
    call(alice, at(5, 9))
    call(alice, at(5, 11))
    call(alice, at(7), p3, outcome="talked")
    plan_create(
        manager=alice,
        start=at(1).date(),
        end=at(31).date(),
        by=lead,
        targets={"contracts": 2, "meetings": 1},
    )
    return team, lead, alice


def as_user(client, user):
    client.force_login(user)
    return client


def params_for(name: str, viewer, alice) -> dict:
    """A lead names the manager of a one-manager chart; a manager's default is themselves."""
    if name in ONE_MANAGER and viewer != alice:
        return PERIOD | {"manager": alice.pk}
    return PERIOD


# --- the images --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("who", ["manager", "lead"])
def test_each_chart_renders_for_a_manager_and_a_lead(client, world, who, name, fmt):
    # given
    _, lead, alice = world
    viewer = alice if who == "manager" else lead
    as_user(client, viewer)
    # when
    response = client.get(f"/charts/{name}.{fmt}", params_for(name, viewer, alice))
    # then
    assert response.status_code == 200, response.content
    body = response.content
    if fmt == "png":
        assert response["Content-Type"] == "image/png"
        assert body.startswith(PNG_SIGNATURE)
    else:
        assert response["Content-Type"] == "image/svg+xml"
        assert ElementTree.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg"
    assert len(body) > 1000
    assert response["Cache-Control"] == "private, max-age=60"
    assert response["ETag"].startswith('"')
    alt = response["X-Alt-Text"]
    assert alt.isascii()
    assert "No data" not in unquote(alt)
    text = client.get(f"/charts/{name}.txt", params_for(name, viewer, alice))
    assert unquote(alt) + "\n" == text.content.decode()


def test_the_text_alternatives_hold_the_numbers(client, world):
    _, _, alice = world
    as_user(client, alice)

    def text(name: str) -> str:
        response = client.get(f"/charts/{name}.txt", PERIOD)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        return response.content.decode()

    assert text("funnel") == (
        "alice, 2026-10. Sales funnel: lead 3, contacted 2, meeting 1, proposal 1, contract 1."
        " Conversion: lead → contacted 67%, contacted → meeting 50%, meeting → proposal 100%,"
        " proposal → contract 100%.\n"
    )
    plan = text("plan")
    assert "contracts 50% (1 of 2, 1 short)" in plan
    assert "meetings 100% (1 of 1, on target)" in plan
    assert "calls no target (actual 3)" in plan
    activity = text("activity")
    # October 2026 has 22 working days (Mon-Fri); one meeting held
    assert "2026-10-01 to 2026-10-30 (22 days): 1 in total, mean 0.05 a day" in activity
    assert "B2B benchmark 1\u20132 a day: the mean is below it" in activity  # an en dash
    assert "3 active days, 2026-10-05 to 2026-10-07: 1 meeting day and 2 call days" in text(
        "alternation"
    )
    assert "Expo +100% (cost 500.00, contracts 1,000.00)" in text("events")


def test_a_lead_sees_the_team_totals_of_the_plan(client, world):
    team, lead, _ = world
    as_user(client, lead)
    response = client.get("/charts/plan.txt", PERIOD | {"team": team.pk})
    assert response.status_code == 200
    assert response.content.decode().startswith("Charts, 2026-10, team totals. ")
    assert "contracts 50% (1 of 2, 1 short)" in response.content.decode()


# --- who may see what, and bad input ---------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get("/charts/funnel.png", PERIOD)
    assert response.status_code == 302
    login = resolve_url(settings.LOGIN_URL)
    assert response["Location"].startswith(f"{login}?next=/charts/funnel.png")


@pytest.mark.parametrize(
    ("name", "whose"),
    [("funnel", "team"), ("events", "team"), ("activity", "manager"), ("plan", "manager")],
)
def test_another_teams_manager_or_team_is_not_found(client, world, stranger, name, whose):
    _, lead, _ = world
    as_user(client, lead)
    other = {"team": stranger.profile.team_id} if whose == "team" else {"manager": stranger.pk}
    response = client.get(f"/charts/{name}.png", PERIOD | other)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_manager_cannot_see_a_teammate(client, world):
    team, _, alice = world
    bob = factories.UserFactory(username="bob", profile__team=team)
    as_user(client, alice)
    assert client.get("/charts/alternation.svg", PERIOD | {"manager": bob.pk}).status_code == 404


@pytest.mark.parametrize("period", ["2026-13", "last month", "2026-Q5"])
def test_a_bad_period_is_a_400_naming_the_field(client, world, period):
    _, _, alice = world
    as_user(client, alice)
    response = client.get("/charts/funnel.png", {"period": period})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("period: ")


def test_a_range_without_its_end_names_end(client, world):
    _, _, alice = world
    as_user(client, alice)
    response = client.get("/charts/events.svg", {"start": "2026-10-01"})
    assert response.status_code == 400
    assert response.content.decode().startswith("end: ")


@pytest.mark.parametrize("name", sorted(ONE_MANAGER))
def test_a_lead_must_name_the_manager_of_a_one_manager_chart(client, world, name):
    _, lead, _ = world
    as_user(client, lead)
    response = client.get(f"/charts/{name}.png", PERIOD)
    assert response.status_code == 400
    assert response.content.decode().startswith("manager: ")


@pytest.mark.parametrize("path", ["/charts/pie.png", "/charts/funnel.gif", "/charts/funnel"])
def test_an_unknown_chart_or_format_is_not_found(client, world, path):
    _, _, alice = world
    as_user(client, alice)
    assert client.get(path).status_code == 404


# --- caching ---------------------------------------------------------------------------------


def test_a_second_request_is_served_from_the_cache(client, world, django_assert_num_queries):
    # given a first request computed the chart
    _, _, alice = world
    as_user(client, alice)
    first = client.get("/charts/funnel.svg", PERIOD)
    # when the same chart is asked again
    with django_assert_num_queries(2):  # the session and the user; no report query
        second = client.get("/charts/funnel.svg", PERIOD)
    # then
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["X-Alt-Text"] == first["X-Alt-Text"]
    # a client holding the ETag gets a 304, also without a report query
    with django_assert_num_queries(2):
        again = client.get("/charts/funnel.svg", PERIOD, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_the_cache_is_per_caller(client, world):
    # the lead's funnel (the team) and alice's (herself) differ once bob has a prospect
    team, lead, alice = world
    bob = factories.UserFactory(username="bob", profile__team=team)
    factories.prospect(bob, name="B1", created_at=at(3))
    as_user(client, alice)
    mine = client.get("/charts/funnel.txt", PERIOD).content.decode()
    as_user(client, lead)
    team_wide = client.get("/charts/funnel.txt", PERIOD).content.decode()
    assert "lead 3," in mine
    assert "lead 4," in team_wide


def test_a_write_through_a_service_recomputes_the_chart(client, world):
    # given a cached chart
    _, _, alice = world
    as_user(client, alice)
    before = client.get("/charts/alternation.png", PERIOD)
    generation = freshness.generation()
    # when alice holds a meeting on 8 October (a fourth active day, a meeting day)
    p4 = factories.prospect(alice, name="P4", created_at=at(8, 8))
    hold(alice, p4, at(8, 12))
    # then the generation moved, and the next request shows the new day
    assert freshness.generation() != generation
    after = client.get("/charts/alternation.png", PERIOD)
    assert after.content != before.content
    assert after["ETag"] != before["ETag"]
    assert "4 active days" in unquote(after["X-Alt-Text"])


def test_a_logged_call_recomputes_the_alt_text(client, world):
    _, _, alice = world
    as_user(client, alice)
    assert "calls no target (actual 3)" in client.get("/charts/plan.txt", PERIOD).content.decode()
    call(alice, at(9))
    assert "calls no target (actual 4)" in client.get("/charts/plan.txt", PERIOD).content.decode()


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # + the session and the user; each chart's own reads:
        ("funnel", 5),  # the teams, the profile (role), the cohort
        ("plan", 7),  # the teams, the profile, plans, managers, actuals
        ("activity", 7),  # the teams, the profile, the manager, the days, the benchmark
        ("alternation", 6),  # the teams, the profile, the manager, the days
        ("events", 5),  # the teams, the profile, the events
    ],
)
def test_the_queries_of_a_cache_miss_do_not_grow_with_the_data(
    client, world, django_assert_num_queries, name, queries
):
    team, lead, alice = world
    as_user(client, lead)
    chart = PERIOD | {"team": team.pk} if name == "plan" else params_for(name, lead, alice)
    for size in (1, 6):
        # grow the team: more managers, prospects, calls, meetings and events
        for i in range(size):
            manager = factories.UserFactory(profile__team=team)
            prospect = factories.prospect(manager, name=f"M{size}-{i}", created_at=at(2))
            call(manager, at(13 + i % 5), prospect)
            hold(manager, prospect, at(20 + i % 5, 12))
            call(alice, at(19 + i % 5, 8 + size))
            event_services.event_create(
                name=f"Fair {size}-{i}",
                kind=EventKind.TRADE_SHOW,
                starts_at=at(14, 8),
                ends_at=at(14, 16),
                by=lead,
            )
        cache.clear()
        with django_assert_num_queries(queries):
            response = client.get(f"/charts/{name}.txt", chart)
        assert response.status_code == 200


# --- the generation ----------------------------------------------------------------------------


def test_the_generation_starts_afresh_when_missing_and_then_counts_up(db):
    cache.delete(freshness.KEY)
    freshness.bump()
    first = freshness.generation()
    freshness.bump()
    assert freshness.generation() == first + 1


def test_a_broken_cache_never_breaks_a_write(world, monkeypatch):
    _, _, alice = world

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    monkeypatch.setattr(cache, "get", broken)
    call(alice, at(9))  # no exception
    assert freshness.generation() is None


def test_a_plan_and_a_user_edit_bump_the_generation_but_a_login_does_not(world, client):
    team, lead, _ = world
    bob = factories.UserFactory(username="bob", profile__team=team)
    generation = freshness.generation()
    plan_create(manager=bob, start=at(1).date(), end=at(31).date(), by=lead, targets={"calls": 40})
    assert freshness.generation() > generation
    generation = freshness.generation()
    client.login(username="bob", password="pw")  # saves last_login only
    assert freshness.generation() == generation
    bob.first_name = "Bob"
    bob.save()
    assert freshness.generation() > generation


def test_a_transaction_bumps_once_more_when_it_commits(world, django_capture_on_commit_callbacks):
    # given the test's transaction holds no pending bump (the fixture's writes left one)
    _, _, alice = world
    connection.run_on_commit = [
        entry for entry in connection.run_on_commit if entry[1] is not freshness._bump_on_commit
    ]
    # when a service writes several rows (a call, its activity days) in the transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call(alice, at(9))
        generation = freshness.generation()
    # then one bump waited for the commit, and ran then
    assert callbacks == [freshness._bump_on_commit]
    assert freshness.generation() == generation + 1


def test_charts_can_be_built_without_http(world):
    # the pages call chart_data directly
    _, _, alice = world
    chart = chart_data.funnel(alice, PERIOD)
    assert chart.alt.startswith("alice, 2026-10. Sales funnel: lead 3,")
    assert chart.png().startswith(PNG_SIGNATURE)
    assert chart_data.alt_text("funnel", alice, PERIOD) == chart.alt
