"""Bad input is a 4xx in one JSON shape, names the field, and writes nothing.

Every 4xx answers ``{status, code, detail, errors}``; every invariant of SPEC section 2
is a 400 naming the field; malformed JSON, wrong types, unknown ids, out-of-range pages
and page sizes, and times without an offset are 4xx, never 500. Detail responses carry
an ETag, and a write with a stale If-Match is a 412 that changes nothing.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as offset_zone
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy

from crm import services
from crm.models import MeetingStatus, Prospect, Source, Stage
from funnel.models import Benchmark
from tests import factories
from tests.api import records

AT = "2026-11-20T10:00:00+01:00"
UNTIL = "2026-11-20T11:00:00+01:00"


def assert_error(response, status: int, *fields: str) -> dict:
    """The shared error shape, with ``errors`` naming each of ``fields``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}, body
    assert body["status"] == status
    assert isinstance(body["code"], str)
    assert body["code"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], dict)
    for messages in body["errors"].values():
        assert messages
        assert all(isinstance(message, str) and message for message in messages)
    for field in fields:
        assert field in body["errors"], body
        assert field in body["detail"], body
    return body


def _stamps() -> dict:
    """Every row's last change, per table: a refused request leaves all of them alone."""
    stamps = {}
    for app in ("crm", "events", "funnel"):
        for model in apps.get_app_config(app).get_models():
            fields = {field.name for field in model._meta.concrete_fields}
            stamp = "updated_at" if "updated_at" in fields else "pk"
            stamps[model._meta.label] = sorted(
                model.objects.values_list("pk", stamp).order_by("pk")
            )
    return stamps


@pytest.fixture
def unchanged(nothing_written):
    """``with unchanged():`` fails when the block adds, deletes or changes any row."""

    @contextmanager
    def check() -> Iterator[None]:
        before = _stamps()
        with nothing_written():
            yield
        assert _stamps() == before

    return check


# --- the shape of every 4xx ----------------------------------------------------------


def test_every_kind_of_4xx_has_the_same_shape(world, api, as_user):
    # given
    prospect = records.prospect(world["me"])
    url = f"/api/prospects/{prospect.pk}/"
    # when / then
    anonymous = api.get("/api/prospects/")
    assert anonymous.status_code in (401, 403)
    assert_error(anonymous, anonymous.status_code)
    api = as_user(world["me"])
    assert_error(api.post("/api/prospects/", {}, format="json"), 400, "name")
    assert_error(api.post("/api/teams/", {"name": "New"}, format="json"), 403)
    assert_error(api.get("/api/prospects/999999/"), 404)
    assert_error(api.put("/api/prospects/", {}, format="json"), 405)
    assert_error(api.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    assert_error(api.post("/api/prospects/", "name=x", content_type="text/plain"), 415)


# --- invariants of SPEC section 2 -----------------------------------------------------

Case = Callable[[dict], tuple[str, str, str, dict | None]]


def _meeting(world: dict, **kwargs):
    return factories.meeting(factories.prospect(world["me"]), **kwargs)


def _held(world: dict):
    meeting = _meeting(world)
    return services.meeting_hold(meeting=meeting, by=world["me"])


def _signed(world: dict) -> Prospect:
    prospect = factories.prospect(world["me"])
    return services.prospect_sign(
        prospect=prospect, contract_value=10, signed_on=date(2026, 11, 20), by=world["me"]
    )


def _referral_answered(world: dict):
    referral = records.referral(world["me"])
    return services.referral_decline(referral=referral, by=world["me"])


def _plan(world: dict):
    return records.plan(world["me"], by=world["lead"])


# id → (fields the 400 names, world → (caller, method, url, body))
INVARIANTS: dict[str, tuple[tuple[str, ...], Case]] = {
    "meeting-ends-before-it-starts": (
        ("ends_at",),
        lambda w: (
            "me",
            "post",
            "/api/meetings/",
            {"prospect": records.prospect(w["me"]).pk, "starts_at": UNTIL, "ends_at": AT},
        ),
    ),
    "meeting-ends-when-it-starts": (
        ("ends_at",),
        lambda w: (
            "me",
            "post",
            "/api/meetings/",
            {"prospect": records.prospect(w["me"]).pk, "starts_at": AT, "ends_at": AT},
        ),
    ),
    "meeting-rescheduled-to-end-before-it-starts": (
        ("ends_at",),
        lambda w: (
            "me",
            "post",
            f"/api/meetings/{_meeting(w).pk}/reschedule/",
            {"starts_at": UNTIL, "ends_at": AT},
        ),
    ),
    "event-ends-before-it-starts": (
        ("ends_at",),
        lambda w: (
            "me",
            "post",
            "/api/events/",
            {"name": "Fair", "kind": "meetup", "starts_at": UNTIL, "ends_at": AT},
        ),
    ),
    "event-moved-to-end-before-it-starts": (
        ("ends_at",),
        lambda w: (
            "admin",
            "patch",
            f"/api/events/{factories.event().pk}/",
            {"ends_at": "2026-11-09T10:00:00Z"},
        ),
    ),
    "negative-expected-value": (
        ("expected_value",),
        lambda w: ("me", "post", "/api/prospects/", {"name": "A", "expected_value": "-1"}),
    ),
    "expected-value-with-three-decimals": (
        ("expected_value",),
        lambda w: ("me", "post", "/api/prospects/", {"name": "A", "expected_value": "1.234"}),
    ),
    "negative-expected-value-on-update": (
        ("expected_value",),
        lambda w: (
            "me",
            "patch",
            f"/api/prospects/{records.prospect(w['me']).pk}/",
            {"expected_value": "-0.01"},
        ),
    ),
    "negative-contract-value": (
        ("contract_value",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/sign/",
            {"contract_value": "-5", "signed_on": "2026-11-20"},
        ),
    ),
    "contract-without-value-or-date": (
        ("contract_value", "signed_on"),
        lambda w: ("me", "post", f"/api/prospects/{records.prospect(w['me']).pk}/sign/", {}),
    ),
    "contract-signed-before-the-prospect-existed": (
        ("signed_on",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/sign/",
            {"contract_value": "5", "signed_on": "2026-10-01"},
        ),
    ),
    "negative-event-cost": (
        ("cost",),
        lambda w: (
            "me",
            "post",
            "/api/events/",
            {"name": "Fair", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL, "cost": "-1"},
        ),
    ),
    "negative-revenue-target": (
        ("revenue",),
        lambda w: (
            "lead",
            "post",
            "/api/plans/",
            {"manager": w["me"].pk, "start": "2026-12-01", "end": "2026-12-31", "revenue": "-1"},
        ),
    ),
    "negative-calls-target": (
        ("calls",),
        lambda w: (
            "lead",
            "post",
            "/api/plans/",
            {"manager": w["me"].pk, "start": "2026-12-01", "end": "2026-12-31", "calls": -1},
        ),
    ),
    "event-source-without-an-event": (
        ("source_event",),
        lambda w: ("me", "post", "/api/prospects/", {"name": "A", "source": "event"}),
    ),
    "event-source-set-later-without-an-event": (
        ("source_event",),
        lambda w: (
            "me",
            "patch",
            f"/api/prospects/{records.prospect(w['me']).pk}/",
            {"source": "event"},
        ),
    ),
    "an-event-named-for-another-source": (
        ("source_event",),
        lambda w: (
            "me",
            "post",
            "/api/prospects/",
            {"name": "A", "source": "inbound", "source_event": factories.event().pk},
        ),
    ),
    "referrer-is-the-referred-prospect": (
        ("referred_prospect",),
        lambda w: (
            lambda referral: (
                "me",
                "post",
                f"/api/referrals/{referral.pk}/receive/",
                {"referred_prospect": referral.from_prospect_id},
            )
        )(records.referral(w["me"])),
    ),
    "plan-ends-before-it-starts": (
        ("end",),
        lambda w: (
            "lead",
            "post",
            "/api/plans/",
            {"manager": w["me"].pk, "start": "2026-12-31", "end": "2026-12-01", "calls": 9},
        ),
    ),
    "plan-moved-to-end-before-it-starts": (
        ("end",),
        lambda w: ("lead", "patch", f"/api/plans/{_plan(w).pk}/", {"end": "2026-10-31"}),
    ),
    "plan-without-targets": (
        ("contracts",),
        lambda w: (
            "lead",
            "post",
            "/api/plans/",
            {"manager": w["me"].pk, "start": "2026-12-01", "end": "2026-12-31"},
        ),
    ),
    "plans-overlapping-for-the-same-metric": (
        ("calls",),
        lambda w: (
            lambda plan: (
                "lead",
                "post",
                "/api/plans/",
                {"manager": w["me"].pk, "start": "2026-11-15", "end": "2026-12-15", "calls": 9},
            )
        )(_plan(w)),
    ),
    "plan-stretched-over-another-for-the-same-metric": (
        ("calls",),
        lambda w: (
            lambda november, december: (
                "lead",
                "patch",
                f"/api/plans/{november.pk}/",
                {"end": "2026-12-05"},
            )
        )(_plan(w), records.plan(w["me"], 1)),
    ),
    "benchmark-high-below-low": (
        ("high",),
        lambda w: (
            "admin",
            "post",
            "/api/benchmarks/",
            {"sector": factories.sector().pk, "metric": "win_rate", "low": "0.5", "high": "0.2"},
        ),
    ),
    "benchmark-lowered-above-its-high": (
        ("high",),
        lambda w: (
            "admin",
            "patch",
            f"/api/benchmarks/{Benchmark.objects.get(sector__code='b2b').pk}/",
            {"low": "3"},
        ),
    ),
    "review-period-ends-before-it-starts": (
        ("period_end",),
        lambda w: (
            "lead",
            "post",
            "/api/reviews/",
            {
                "manager": w["me"].pk,
                "period_start": "2026-11-30",
                "period_end": "2026-11-01",
                "notes": "x",
            },
        ),
    ),
    "review-without-notes": (
        ("notes",),
        lambda w: (
            "lead",
            "post",
            "/api/reviews/",
            {
                "manager": w["me"].pk,
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "notes": "  ",
            },
        ),
    ),
    "stage-changed-by-patch": (
        ("stage",),
        lambda w: (
            "me",
            "patch",
            f"/api/prospects/{records.prospect(w['me']).pk}/",
            {"stage": "proposal"},
        ),
    ),
    "contract-entered-by-a-move": (
        ("stage",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/move/",
            {"stage": "contract"},
        ),
    ),
    "lost-entered-by-a-move": (
        ("stage",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/move/",
            {"stage": "lost"},
        ),
    ),
    "move-to-the-same-stage": (
        ("stage",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/move/",
            {"stage": "lead"},
        ),
    ),
    "a-signed-prospect-is-final": (
        ("stage",),
        lambda w: ("me", "post", f"/api/prospects/{_signed(w).pk}/move/", {"stage": "lead"}),
    ),
    "a-signed-prospect-is-not-lost": (
        ("stage",),
        lambda w: ("me", "post", f"/api/prospects/{_signed(w).pk}/lose/", {"reason": "x"}),
    ),
    "a-signed-prospect-keeps-its-close-date": (
        ("expected_close_date",),
        lambda w: (
            "me",
            "patch",
            f"/api/prospects/{_signed(w).pk}/",
            {"expected_close_date": "2027-01-10"},
        ),
    ),
    "reopening-an-open-prospect": (
        ("stage",),
        lambda w: ("me", "post", f"/api/prospects/{records.prospect(w['me']).pk}/reopen/", {}),
    ),
    "lost-without-a-reason": (
        ("reason",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/lose/",
            {"reason": "   "},
        ),
    ),
    "revisit-before-it-was-lost": (
        ("revisit_on",),
        lambda w: (
            "me",
            "post",
            f"/api/prospects/{records.prospect(w['me']).pk}/lose/",
            {"reason": "Budget", "lost_on": "2026-11-20", "revisit_on": "2026-11-19"},
        ),
    ),
    "signed-fields-changed-by-patch": (
        ("contract_value",),
        lambda w: (
            "me",
            "patch",
            f"/api/prospects/{records.prospect(w['me']).pk}/",
            {"contract_value": "100"},
        ),
    ),
    "owner-changed-by-patch": (
        ("owner",),
        lambda w: (
            "lead",
            "patch",
            f"/api/prospects/{records.prospect(w['me']).pk}/",
            {"owner": w["mate"].pk},
        ),
    ),
    "holding-a-held-meeting": (
        ("status",),
        lambda w: ("me", "post", f"/api/meetings/{_held(w).pk}/hold/", {}),
    ),
    "holding-a-meeting-not-started-yet": (
        ("starts_at",),
        lambda w: (
            "me",
            "post",
            f"/api/meetings/{_meeting(w, starts_at=timezone.now() + timedelta(days=2)).pk}/hold/",
            {},
        ),
    ),
    "cancelling-a-held-meeting": (
        ("status",),
        lambda w: ("me", "post", f"/api/meetings/{_held(w).pk}/cancel/", {}),
    ),
    "rescheduling-a-held-meeting": (
        ("status",),
        lambda w: (
            "me",
            "post",
            f"/api/meetings/{_held(w).pk}/reschedule/",
            {"starts_at": AT, "ends_at": UNTIL},
        ),
    ),
    "meeting-times-changed-by-patch": (
        ("starts_at",),
        lambda w: ("me", "patch", f"/api/meetings/{_meeting(w).pk}/", {"starts_at": AT}),
    ),
    "meeting-status-changed-by-patch": (
        ("status",),
        lambda w: ("me", "patch", f"/api/meetings/{_meeting(w).pk}/", {"status": "held"}),
    ),
    "meeting-attended-by-another-prospects-contact": (
        ("attendees",),
        lambda w: (
            "me",
            "post",
            "/api/meetings/",
            {
                "prospect": records.prospect(w["me"], 1).pk,
                "starts_at": AT,
                "ends_at": UNTIL,
                "attendees": [records.contact(w["me"], 2).pk],
            },
        ),
    ),
    "call-outcome-changed-by-patch": (
        ("outcome",),
        lambda w: ("me", "patch", f"/api/calls/{records.call(w['me']).pk}/", {"outcome": "talked"}),
    ),
    "negative-call-duration": (
        ("duration",),
        lambda w: (
            "me",
            "post",
            "/api/calls/",
            {"at": AT, "outcome": "no_answer", "duration": "-00:01:00"},
        ),
    ),
    "contact-moved-to-another-prospect": (
        ("prospect",),
        lambda w: (
            "me",
            "patch",
            f"/api/contacts/{records.contact(w['me']).pk}/",
            {"prospect": records.prospect(w["me"], 3).pk},
        ),
    ),
    "contact-with-a-bad-email": (
        ("email",),
        lambda w: (
            "me",
            "post",
            "/api/contacts/",
            {"prospect": records.prospect(w["me"]).pk, "name": "D", "email": "not-an-email"},
        ),
    ),
    "receiving-a-declined-referral": (
        ("status",),
        lambda w: (
            "me",
            "post",
            f"/api/referrals/{_referral_answered(w).pk}/receive/",
            {"name": "New Co"},
        ),
    ),
    "receiving-a-referral-without-a-prospect": (
        ("referred_prospect",),
        lambda w: ("me", "post", f"/api/referrals/{records.referral(w['me']).pk}/receive/", {}),
    ),
    "declining-before-it-was-asked": (
        ("declined_on",),
        lambda w: (
            "me",
            "post",
            f"/api/referrals/{records.referral(w['me']).pk}/decline/",
            {"declined_on": "2026-11-01"},
        ),
    ),
    "referral-status-changed-by-patch": (
        ("status",),
        lambda w: (
            "me",
            "patch",
            f"/api/referrals/{records.referral(w['me']).pk}/",
            {"status": "received"},
        ),
    ),
    "plan-manager-changed": (
        ("manager",),
        lambda w: ("lead", "patch", f"/api/plans/{_plan(w).pk}/", {"manager": w["mate"].pk}),
    ),
    "event-moved-to-another-team": (
        ("team",),
        lambda w: (
            "admin",
            "patch",
            f"/api/events/{factories.event(team=w['home']).pk}/",
            {"team": w["away"].pk},
        ),
    ),
    "team-with-an-unknown-time-zone": (
        ("timezone",),
        lambda w: (
            "admin",
            "post",
            "/api/teams/",
            {"name": "Moon", "sector": factories.sector().pk, "timezone": "Moon/Base"},
        ),
    ),
    "team-with-a-bad-work-week": (
        ("work_week",),
        lambda w: ("admin", "patch", f"/api/teams/{w['home'].pk}/", {"work_week": "1189"}),
    ),
    "team-rotting-a-closed-stage": (
        ("rotting_days",),
        lambda w: (
            "admin",
            "patch",
            f"/api/teams/{w['home'].pk}/",
            {"rotting_days": {"contract": 3}},
        ),
    ),
    "team-with-an-unknown-holiday-country": (
        ("holiday_country",),
        lambda w: ("admin", "patch", f"/api/teams/{w['home'].pk}/", {"holiday_country": "XX"}),
    ),
    "event-attendance-with-an-unknown-status": (
        ("status",),
        lambda w: (
            "me",
            "post",
            f"/api/events/{factories.event().pk}/attend/",
            {"status": "maybe"},
        ),
    ),
}


@pytest.mark.parametrize(("fields", "case"), INVARIANTS.values(), ids=INVARIANTS.keys())
def test_a_broken_invariant_is_a_400_naming_the_field_and_writes_nothing(
    api, world, unchanged, fields, case
):
    # given
    caller, method, url, body = case(world)
    api.force_authenticate(world[caller])
    # when
    with unchanged():
        response = getattr(api, method)(url, body, format="json")
    # then
    assert_error(response, 400, *fields)


def test_the_admin_cannot_remove_what_others_still_use(world, as_user, unchanged):
    # given
    event = factories.event()
    factories.prospect(world["me"], source=Source.EVENT, source_event=event)
    api = as_user(world["admin"])
    # when
    with unchanged():
        team = api.delete(f"/api/teams/{world['home'].pk}/")
        sector = api.delete(f"/api/sectors/{factories.sector('b2b').pk}/")
        used_event = api.delete(f"/api/events/{event.pk}/")
    # then
    assert "members" in assert_error(team, 400)["detail"]
    assert "Teams" in assert_error(sector, 400)["detail"]
    assert "sourced" in assert_error(used_event, 400)["detail"]


def test_a_team_whose_event_sourced_prospects_stays(world, as_user, unchanged):
    # given: a team nobody is in any more, whose event found a prospect
    team = factories.TeamFactory(name="Former")
    event = factories.event(team=team)
    factories.prospect(world["me"], source=Source.EVENT, source_event=event)
    # when
    with unchanged():
        response = as_user(world["admin"]).delete(f"/api/teams/{team.pk}/")
    # then
    assert "sourced" in assert_error(response, 400)["detail"]


# --- malformed bodies and wrong types -------------------------------------------------


@pytest.mark.parametrize("method", ["post", "patch", "put"])
@pytest.mark.parametrize("body", ["{bad json", '{"name": "A",}', "\x00", "{'name': 'A'}"])
def test_malformed_json_is_a_400(world, as_user, unchanged, method, body):
    # given
    prospect = records.prospect(world["me"])
    url = "/api/prospects/" if method == "post" else f"/api/prospects/{prospect.pk}/"
    api = as_user(world["me"])
    # when
    with unchanged():
        response = getattr(api, method)(url, body, content_type="application/json")
    # then
    assert_error(response, 400)


@pytest.mark.parametrize("body", ["[1, 2]", '"Acme"', "42", "null", "true"])
@pytest.mark.parametrize("url", ["/api/prospects/", "/api/calls/", "/api/plans/"])
def test_a_body_that_is_not_an_object_is_a_400(world, as_user, unchanged, body, url):
    # when
    with unchanged():
        response = as_user(world["lead"]).post(url, body, content_type="application/json")
    # then
    assert_error(response, 400)


@pytest.mark.parametrize("body", ["[1, 2]", "null", '"proposal"'])
def test_an_action_body_that_is_not_an_object_is_a_400(world, as_user, unchanged, body):
    # given
    prospect = records.prospect(world["me"])
    # when
    with unchanged():
        response = as_user(world["me"]).post(
            f"/api/prospects/{prospect.pk}/move/", body, content_type="application/json"
        )
    # then
    assert_error(response, 400)


# id → (resource, field, the wrong value, the rest of the body)
WRONG_TYPES = {
    "prospect-name-list": ("prospects", "name", ["Acme"], {}),
    "prospect-name-object": ("prospects", "name", {"x": 1}, {}),
    "prospect-name-too-long": ("prospects", "name", "x" * 201, {}),
    "prospect-value-text": ("prospects", "expected_value", "lots", {"name": "A"}),
    "prospect-value-huge": ("prospects", "expected_value", "1e20", {"name": "A"}),
    "prospect-value-nan": ("prospects", "expected_value", "NaN", {"name": "A"}),
    "prospect-close-date-text": ("prospects", "expected_close_date", "soon", {"name": "A"}),
    "prospect-close-date-impossible": (
        "prospects",
        "expected_close_date",
        "2026-02-30",
        {"name": "A"},
    ),
    "prospect-stage-number": ("prospects", "stage", 5, {"name": "A"}),
    "prospect-stage-unknown": ("prospects", "stage", "won", {"name": "A"}),
    "prospect-source-unknown": ("prospects", "source", "magic", {"name": "A"}),
    "prospect-owner-text": ("prospects", "owner", "me", {"name": "A"}),
    "prospect-owner-list": ("prospects", "owner", [1], {"name": "A"}),
    "prospect-source-event-unknown": (
        "prospects",
        "source_event",
        999999,
        {"name": "A", "source": "event"},
    ),
    "call-at-text": ("calls", "at", "yesterday", {"outcome": "talked"}),
    "call-at-number": ("calls", "at", 1763600000, {"outcome": "talked"}),
    "call-duration-text": ("calls", "duration", "long", {"at": AT, "outcome": "talked"}),
    "call-duration-of-ages": (
        "calls",
        "duration",
        "999999999 00:00:00",
        {"at": AT, "outcome": "talked"},
    ),
    "call-at-past-the-end-of-time": (
        "calls",
        "at",
        "9999-12-31T23:00:00-05:00",
        {"outcome": "talked"},
    ),
    "call-outcome-unknown": ("calls", "outcome", "great", {"at": AT}),
    "call-direction-unknown": ("calls", "direction", "sideways", {"at": AT, "outcome": "talked"}),
    "meeting-attendees-not-a-list": (
        "meetings",
        "attendees",
        "1",
        {"starts_at": AT, "ends_at": UNTIL},
    ),
    "meeting-starts-text": ("meetings", "starts_at", "tomorrow", {"ends_at": UNTIL}),
    "contact-decision-maker-text": ("contacts", "is_decision_maker", "perhaps", {"name": "D"}),
    "referral-asked-on-datetime-text": ("referrals", "asked_on", "last week", {}),
    "plan-calls-text": (
        "plans",
        "calls",
        "many",
        {"start": "2026-12-01", "end": "2026-12-31"},
    ),
    "plan-contracts-huge": (
        "plans",
        "contracts",
        10**12,
        {"start": "2026-12-01", "end": "2026-12-31"},
    ),
    "plan-start-text": ("plans", "start", "december", {"end": "2026-12-31", "calls": 3}),
    "event-kind-unknown": ("events", "kind", "party", {"name": "F", "starts_at": AT}),
    "event-url-text": (
        "events",
        "url",
        "not a url",
        {"name": "F", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL},
    ),
    "event-cost-text": (
        "events",
        "cost",
        "free",
        {"name": "F", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL},
    ),
    "event-team-unknown": (
        "events",
        "team",
        999999,
        {"name": "F", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL},
    ),
    "team-rotting-days-text": ("teams", "rotting_days", "many", {"name": "T"}),
    "team-rotting-days-of-ages": ("teams", "rotting_days", {"proposal": 10**12}, {"name": "T"}),
    "team-rotting-days-fraction": ("teams", "rotting_days", {"proposal": 1.5}, {"name": "T"}),
    "benchmark-low-text": ("benchmarks", "low", "low", {"metric": "win_rate"}),
    "benchmark-metric-unknown": ("benchmarks", "metric", "happiness", {"low": "1"}),
    "sector-code-with-spaces": ("sectors", "code", "real estate", {"name": "Real estate"}),
}


@pytest.mark.parametrize(
    ("resource", "field", "value", "body"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys()
)
def test_a_value_of_the_wrong_type_is_a_400_naming_the_field(
    world, as_user, unchanged, resource, field, value, body
):
    # given: everything else valid, so only the wrong value is refused
    prospect = records.prospect(world["me"])
    complete = {
        "prospects": {},
        "contacts": {"prospect": prospect.pk, "name": "Dana"},
        "calls": {},
        "meetings": {"prospect": prospect.pk},
        "referrals": {"from_prospect": prospect.pk},
        "plans": {"manager": world["me"].pk},
        "events": {"ends_at": UNTIL, "kind": "meetup"},
        "teams": {"sector": factories.sector().pk},
        "benchmarks": {"sector": factories.sector().pk},
        "sectors": {},
    }[resource]
    caller = "admin" if resource in ("teams", "benchmarks", "sectors") else "lead"
    # when
    with unchanged():
        response = as_user(world[caller]).post(
            f"/api/{resource}/", {**complete, **body, field: value}, format="json"
        )
    # then
    assert_error(response, 400, field)


@pytest.mark.parametrize(
    ("url", "param", "value"),
    [
        ("/api/prospects/", "owner", "me"),
        ("/api/prospects/", "owner", "1.5"),
        ("/api/prospects/", "owner", "0"),
        ("/api/prospects/", "owner", "-3"),
        ("/api/prospects/", "owner", str(10**20)),
        ("/api/prospects/", "team", "1e3"),
        ("/api/prospects/", "source_event", "NaN"),
        ("/api/prospects/", "stage", "won"),
        ("/api/prospects/", "source", "magic"),
        ("/api/prospects/", "created_at__gte", "yesterday"),
        ("/api/prospects/", "expected_close_date__lte", "2026-13-01"),
        ("/api/contacts/", "prospect", str(2**63)),
        ("/api/contacts/", "is_decision_maker", "perhaps"),
        ("/api/prospects/", "open", "yes"),
        ("/api/meetings/", "decision_maker_present", "maybe"),
        ("/api/calls/", "manager", str(10**30)),
        ("/api/calls/", "at__lte", "noon"),
        ("/api/calls/", "at__gte", "9999-12-31T23:00:00-05:00"),
        ("/api/meetings/", "starts_at__lte", "0001-01-01T00:00:00+01:00"),
        ("/api/calls/", "outcome", "great"),
        ("/api/meetings/", "prospect", "x"),
        ("/api/meetings/", "status", "done"),
        ("/api/referrals/", "from_prospect", "1;DROP"),
        ("/api/referrals/", "asked_on__gte", "2026-11-31"),
        ("/api/events/", "attended_by", str(10**20)),
        ("/api/events/", "team", "home"),
        ("/api/events/", "kind", "party"),
        ("/api/plans/", "manager", "abc"),
        ("/api/plans/", "active_on", "today"),
        ("/api/reviews/", "team", str(10**20)),
        ("/api/teams/", "sector", "b2b"),
        ("/api/benchmarks/", "metric", "happiness"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(world, as_user, url, param, value):
    # when
    response = as_user(world["admin"]).get(url, {param: value})
    # then
    assert_error(response, 400, param)


# --- unknown ids ----------------------------------------------------------------------


@pytest.mark.parametrize("pk", ["999999", str(2**63 - 1), str(10**20), "abc", "-1", "0"])
@pytest.mark.parametrize(
    "resource",
    [
        "prospects",
        "contacts",
        "calls",
        "meetings",
        "referrals",
        "events",
        "plans",
        "teams",
        "sectors",
        "benchmarks",
        "reviews",
    ],
)
def test_an_unknown_id_is_a_404(world, as_user, unchanged, resource, pk):
    # given
    api = as_user(world["admin"])
    url = f"/api/{resource}/{pk}/"
    # when
    with unchanged():
        responses = [api.get(url), api.patch(url, {}, format="json"), api.delete(url)]
    # then
    for response in responses:
        assert_error(response, 404)


@pytest.mark.parametrize(
    "url",
    [
        "/api/prospects/999999/move/",
        "/api/prospects/999999/sign/",
        "/api/prospects/999999/lose/",
        "/api/prospects/999999/reopen/",
        "/api/meetings/999999/hold/",
        "/api/meetings/999999/cancel/",
        "/api/meetings/999999/no-show/",
        "/api/meetings/999999/reschedule/",
        "/api/referrals/999999/receive/",
        "/api/referrals/999999/decline/",
        "/api/events/999999/attend/",
    ],
)
def test_an_action_on_an_unknown_id_is_a_404(world, as_user, url):
    # when
    response = as_user(world["admin"]).post(url, {}, format="json")
    # then
    assert_error(response, 404)


@pytest.mark.parametrize("pk", [999999, 2**63 - 1, 10**20, -1])
@pytest.mark.parametrize(
    ("resource", "field", "body"),
    [
        ("contacts", "prospect", {"name": "D"}),
        ("calls", "prospect", {"at": AT, "outcome": "talked"}),
        ("meetings", "prospect", {"starts_at": AT, "ends_at": UNTIL}),
        ("referrals", "from_prospect", {"asked_on": "2026-11-20"}),
        ("prospects", "source_event", {"name": "A", "source": "event"}),
        ("prospects", "owner", {"name": "A"}),
        ("plans", "manager", {"start": "2026-12-01", "end": "2026-12-31", "calls": 3}),
    ],
)
def test_an_unknown_id_in_a_body_is_a_400_naming_the_field(
    world, as_user, unchanged, resource, field, body, pk
):
    # when
    with unchanged():
        response = as_user(world["lead"]).post(
            f"/api/{resource}/", {**body, field: pk}, format="json"
        )
    # then
    assert_error(response, 400, field)


def test_an_unknown_id_in_a_filter_is_an_empty_list(world, as_user):
    # given
    records.prospect(world["me"])
    # when
    response = as_user(world["admin"]).get("/api/prospects/", {"owner": 999999})
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["999", "0", "-1", "abc", "2"])
def test_a_page_out_of_range_is_a_404(world, as_user, page):
    # given: one page of one prospect
    records.prospect(world["me"])
    # when
    response = as_user(world["me"]).get("/api/prospects/", {"page": page})
    # then
    assert_error(response, 404)


@pytest.mark.parametrize("page_size", ["0", "201", "1000", "-1", "abc", "1.5", ""])
@pytest.mark.parametrize("url", ["/api/prospects/", "/api/events/", "/api/sectors/"])
def test_a_page_size_out_of_range_is_a_400(world, as_user, url, page_size):
    # when
    response = as_user(world["me"]).get(url, {"page_size": page_size})
    # then
    assert_error(response, 400, "page_size")


@pytest.mark.parametrize("page_size", ["1", "200"])
def test_page_sizes_from_1_to_200_are_fine(world, as_user, page_size):
    # when
    response = as_user(world["me"]).get("/api/prospects/", {"page_size": page_size})
    # then
    assert response.status_code == 200


# --- times need an offset -------------------------------------------------------------

NAIVE = "2026-11-20T10:00:00"


@pytest.mark.parametrize(
    ("field", "case"),
    [
        ("at", lambda w: ("post", "/api/calls/", {"at": NAIVE, "outcome": "talked"})),
        (
            "starts_at",
            lambda w: (
                "post",
                "/api/meetings/",
                {"prospect": records.prospect(w["me"]).pk, "starts_at": NAIVE, "ends_at": UNTIL},
            ),
        ),
        (
            "ends_at",
            lambda w: (
                "post",
                "/api/meetings/",
                {
                    "prospect": records.prospect(w["me"]).pk,
                    "starts_at": AT,
                    "ends_at": "2026-11-20T23:00:00",
                },
            ),
        ),
        (
            "starts_at",
            lambda w: (
                "post",
                f"/api/meetings/{_meeting(w).pk}/reschedule/",
                {"starts_at": NAIVE, "ends_at": UNTIL},
            ),
        ),
        (
            "starts_at",
            lambda w: (
                "post",
                "/api/events/",
                {"name": "F", "kind": "meetup", "starts_at": NAIVE, "ends_at": UNTIL},
            ),
        ),
        (
            "ends_at",
            lambda w: (
                "patch",
                f"/api/events/{factories.event(team=w['home'], by=w['me']).pk}/",
                {"ends_at": "2026-11-10T20:00:00"},
            ),
        ),
    ],
    ids=["call", "meeting-start", "meeting-end", "reschedule", "event-start", "event-update"],
)
def test_a_time_without_an_offset_is_a_400(world, as_user, unchanged, field, case):
    # given
    method, url, body = case(world)
    # when
    with unchanged():
        response = getattr(as_user(world["me"]), method)(url, body, format="json")
    # then
    assert "offset" in " ".join(assert_error(response, 400, field)["errors"][field])


@pytest.mark.parametrize("at", ["2026-11-20T09:00:00Z", "2026-11-20T10:00:00+01:00"])
def test_a_time_with_an_offset_or_z_is_accepted(world, as_user, at):
    # when
    response = as_user(world["me"]).post(
        "/api/calls/", {"at": at, "outcome": "no_answer"}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["at"] == "2026-11-20T09:00:00Z"


# --- optimistic concurrency: ETag and If-Match ---------------------------------------


def test_a_stale_if_match_is_a_412_and_changes_nothing(world, as_user, unchanged):
    # given: two people read the same version
    prospect = factories.prospect(world["me"], expected_close_date=date(2026, 11, 30))
    url = f"/api/prospects/{prospect.pk}/"
    mine = as_user(world["me"]).get(url)["ETag"]
    theirs = as_user(world["lead"]).get(url)["ETag"]
    assert mine == theirs
    first = as_user(world["me"]).patch(
        url, {"expected_close_date": "2026-12-15"}, format="json", HTTP_IF_MATCH=mine
    )
    assert first.status_code == 200, first.json()
    # when: the second writes with the version they read
    with unchanged():
        second = as_user(world["lead"]).patch(
            url,
            {"expected_close_date": "2027-01-15", "name": "X"},
            format="json",
            HTTP_IF_MATCH=theirs,
        )
    # then
    assert assert_error(second, 412)["code"] == "precondition_failed"
    prospect.refresh_from_db()
    assert (prospect.expected_close_date, prospect.name) == (date(2026, 12, 15), "Acme")
    assert prospect.close_date_changes.count() == 2


def test_a_fresh_if_match_is_accepted_and_answers_a_new_etag(world, as_user):
    # given
    prospect = records.prospect(world["me"])
    api = as_user(world["me"])
    url = f"/api/prospects/{prospect.pk}/"
    etag = api.get(url)["ETag"]
    # when
    response = api.patch(url, {"name": "Acme AG"}, format="json", HTTP_IF_MATCH=etag)
    # then
    assert response.status_code == 200, response.json()
    assert response["ETag"] != etag
    assert api.get(url)["ETag"] == response["ETag"]
    # the old version is stale now
    assert_error(api.patch(url, {"name": "Y"}, format="json", HTTP_IF_MATCH=etag), 412)


@pytest.mark.parametrize("if_match", ["*", "W/{etag}", '"other", {etag}'])
def test_if_match_accepts_a_weak_tag_a_list_or_a_star(world, as_user, if_match):
    # given
    prospect = records.prospect(world["me"])
    api = as_user(world["me"])
    url = f"/api/prospects/{prospect.pk}/"
    etag = api.get(url)["ETag"]
    # when
    response = api.patch(
        url, {"name": "Acme AG"}, format="json", HTTP_IF_MATCH=if_match.format(etag=etag)
    )
    # then
    assert response.status_code == 200, response.json()


STALE = '"00000000000000000000000000000000"'  # the ETag of no version
STALE_WRITES: dict[str, Callable[[dict], tuple[str, str, dict | None]]] = {
    "prospect-put": lambda w: (
        "put",
        f"/api/prospects/{records.prospect(w['me']).pk}/",
        {"name": "New", "source": "inbound"},
    ),
    "prospect-delete": lambda w: (
        "delete",
        f"/api/prospects/{records.prospect(w['me']).pk}/",
        None,
    ),
    "prospect-move": lambda w: (
        "post",
        f"/api/prospects/{records.prospect(w['me']).pk}/move/",
        {"stage": "proposal"},
    ),
    "prospect-sign": lambda w: (
        "post",
        f"/api/prospects/{records.prospect(w['me']).pk}/sign/",
        {"contract_value": "10", "signed_on": "2026-11-20"},
    ),
    "contact-patch": lambda w: (
        "patch",
        f"/api/contacts/{records.contact(w['me']).pk}/",
        {"title": "CTO"},
    ),
    "call-patch": lambda w: ("patch", f"/api/calls/{records.call(w['me']).pk}/", {"notes": "x"}),
    "meeting-hold": lambda w: ("post", f"/api/meetings/{records.meeting(w['me']).pk}/hold/", {}),
    "meeting-reschedule": lambda w: (
        "post",
        f"/api/meetings/{records.meeting(w['me']).pk}/reschedule/",
        {"starts_at": AT, "ends_at": UNTIL},
    ),
    "referral-receive": lambda w: (
        "post",
        f"/api/referrals/{records.referral(w['me']).pk}/receive/",
        {"name": "New Co"},
    ),
    "event-patch": lambda w: (
        "patch",
        f"/api/events/{factories.event(team=w['home'], by=w['me']).pk}/",
        {"location": "Hall 2"},
    ),
    "event-attend": lambda w: (
        "post",
        f"/api/events/{factories.event().pk}/attend/",
        {"status": "planned"},
    ),
    "plan-patch": lambda w: ("patch", f"/api/plans/{_plan(w).pk}/", {"calls": 1}),
    "review-delete": lambda w: (
        "delete",
        f"/api/reviews/{records.review(w['me'], by=w['lead']).pk}/",
        None,
    ),
    "team-patch": lambda w: ("patch", f"/api/teams/{w['home'].pk}/", {"name": "Hearth"}),
}


@pytest.mark.parametrize("case", STALE_WRITES.values(), ids=STALE_WRITES.keys())
def test_every_write_with_a_stale_if_match_is_a_412(world, as_user, unchanged, case):
    # given
    method, url, body = case(world)
    caller = "admin" if "/teams/" in url else "lead"
    api = as_user(world[caller])
    # when
    with unchanged():
        response = getattr(api, method)(url, body, format="json", HTTP_IF_MATCH=STALE)
    # then
    assert_error(response, 412)


def test_an_action_answers_the_new_etag(world, as_user):
    # given
    prospect = records.prospect(world["me"])
    api = as_user(world["me"])
    url = f"/api/prospects/{prospect.pk}/"
    etag = api.get(url)["ETag"]
    # when
    moved = api.post(f"{url}move/", {"stage": "meeting"}, format="json", HTTP_IF_MATCH=etag)
    # then
    assert moved.status_code == 200, moved.json()
    assert moved["ETag"] != etag
    assert moved["ETag"] == api.get(url)["ETag"]


def test_lists_have_no_etag_and_errors_no_etag(world, as_user):
    # given
    api = as_user(world["me"])
    # when
    listed = api.get("/api/prospects/")
    missing = api.get("/api/prospects/999999/")
    # then
    assert "ETag" not in listed
    assert "ETag" not in missing


def test_a_meeting_marked_held_changes_its_etag(world, as_user):
    # given
    meeting = records.meeting(world["me"])
    api = as_user(world["me"])
    before = api.get(f"/api/meetings/{meeting.pk}/")["ETag"]
    # when
    held = api.post(f"/api/meetings/{meeting.pk}/hold/", {}, format="json", HTTP_IF_MATCH=before)
    # then
    assert held.status_code == 200, held.json()
    assert held.json()["status"] == MeetingStatus.HELD
    assert held["ETag"] != before
    prospect = Prospect.objects.get(pk=meeting.prospect_id)
    assert prospect.stage == Stage.MEETING


@pytest.mark.parametrize("value", ["1590-11-04T23:01:43+20:55", "2026-11-04T23:01:43-23:59"])
def test_a_time_with_an_offset_the_database_lacks_is_compared_in_utc(world, as_user, value):
    # given an offset ISO 8601 allows but PostgreSQL does not (it stops at ±15:59)
    # when
    response = as_user(world["admin"]).get("/api/meetings/", {"starts_at__gte": value})
    # then it is answered, not a 500
    assert response.status_code == 200


def test_a_new_prospect_has_no_revisit_date(world, as_user):
    # given: only a lost prospect has a revisit date (it is set when losing)
    # when
    response = as_user(world["me"]).post(
        "/api/prospects/", {"name": "Acme", "revisit_on": "2027-01-01"}, format="json"
    )
    # then
    assert_error(response, 400, "revisit_on")


def test_the_api_writes_json_exactly_as_rest_frameworks_encoder_does():
    # Written by orjson, with Decimals asked about first (a speed-up); every value is
    # written as the REST framework's compact UTF-8 JSON writes it.
    from rest_framework.renderers import JSONRenderer as RestJSONRenderer

    from crm.renderers import JSONRenderer

    data = {
        "ratio": Decimal("0.3333"),
        "whole": Decimal("2"),
        "negative zero": Decimal("-0.0000"),
        "money": "12.50",
        "revenue": Decimal("243367.00"),
        "day": date(2026, 10, 31),
        "at": datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
        "offset": datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=offset_zone(timedelta(hours=2))),
        "none": None,
        "list": [Decimal("1.25"), 3, True, False, 1.5, 0.1 + 0.2, 1e16],
        7: "a key that is a number",
        "tuple": (1, (2,)),
        "set": {1},
        "lazy": gettext_lazy("Give the team's id, a whole number."),
        "choice": Stage.LEAD,
        "text": 'Zoë — 東京 "quoted" \\ tab\t \x01 \u2028 line \u2029 paragraph',
    }

    assert JSONRenderer().render(data) == RestJSONRenderer().render(data)
    assert JSONRenderer().render(data).startswith(b'{"ratio":0.3333,"whole":2.0,')
    assert b"\\u2028 line \\u2029" in JSONRenderer().render(data)  # escaped, as before


@pytest.mark.parametrize(
    "value",
    [2**70, Decimal("NaN"), Decimal("Infinity")],
    ids=["beyond 64 bits", "decimal nan", "decimal infinity"],
)
def test_what_orjson_cannot_write_goes_rest_frameworks_way(value):
    from rest_framework.renderers import JSONRenderer as RestJSONRenderer

    from crm.renderers import JSONRenderer

    def outcome(renderer):
        try:
            return renderer.render({"value": value, "ratio": Decimal("0.5")})
        except ValueError as error:
            return type(error)

    assert outcome(JSONRenderer()) == outcome(RestJSONRenderer())


def test_indented_json_is_the_rest_frameworks():
    from rest_framework.renderers import JSONRenderer as RestJSONRenderer

    from crm.renderers import JSONRenderer

    data = {"ratio": Decimal("0.25"), "day": date(2026, 10, 31), "rows": [1, 2]}
    media = "application/json; indent=2"

    assert JSONRenderer().render(data, media) == RestJSONRenderer().render(data, media)
    assert b"\n  " in JSONRenderer().render(data, media)


def test_a_float_below_a_ten_thousandth_is_the_same_number():
    # orjson spells 1e-05 as 0.00001; read back, the numbers are equal.
    from rest_framework.renderers import JSONRenderer as RestJSONRenderer

    from crm.renderers import JSONRenderer

    data = {"mean": Decimal("0.00001234"), "tiny": 5e-324}

    assert json.loads(JSONRenderer().render(data)) == json.loads(RestJSONRenderer().render(data))
