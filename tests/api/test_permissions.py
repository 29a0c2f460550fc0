"""Who may see and change what, through the API (SPEC section 1).

A manager sees and changes only their own records, a lead only their team's, an admin
everything. Anything outside the caller's scope is a 404 (never a 403, so ids do not
leak), on read, update, delete and every item action; a filter naming someone outside the
scope gives an empty list. Plans and reviews are written by leads (a manager gets 403);
teams, sectors and benchmarks by admins.

Every record here belongs to ``me``, a manager of the team ``home``; ``mate`` is another
manager of ``home``, ``lead`` its lead; ``stranger`` and ``away_lead`` are of ``away``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db.models import Model
from rest_framework.test import APIClient

from crm import services
from crm.models import Stage
from events.models import Event
from funnel.models import Benchmark, Sector
from tests import factories
from tests.api import records

CALLERS = ("me", "mate", "stranger", "lead", "away_lead", "admin", "anonymous")
# Who may see (and, unless the resource says otherwise, change) the records of ``me``.
IN_SCOPE = frozenset({"me", "lead", "admin"})
ANONYMOUS = frozenset({401, 403})
SUCCESS = {"retrieve": 200, "update": 200, "delete": 204, "action": 200}


@dataclass(frozen=True)
class Owned:
    """A resource whose records belong to one manager."""

    name: str
    make: Callable[[dict], Model]
    change: dict
    filter_by_owner: Callable[[Model], dict]
    team_filter: bool = True
    leads_write: bool = False  # plans and reviews: managers read, leads and admins write
    actions: dict[str, dict] = field(default_factory=dict)


def _lost_prospect(world: dict) -> Model:
    prospect = records.prospect(world["me"])
    return services.prospect_lose(prospect=prospect, reason="No budget", by=world["me"])


OWNED = {
    "prospects": Owned(
        name="prospects",
        make=lambda world: records.prospect(world["me"]),
        change={"name": "Renamed"},
        filter_by_owner=lambda record: {"owner": record.owner_id},
        actions={
            "move": {"stage": Stage.PROPOSAL},
            "sign": {"contract_value": "1200.00", "signed_on": "2026-11-20"},
            "lose": {"reason": "Chose a competitor"},
        },
    ),
    "contacts": Owned(
        name="contacts",
        make=lambda world: records.contact(world["me"]),
        change={"title": "CFO"},
        filter_by_owner=lambda record: {"prospect": record.prospect_id},
        team_filter=False,
    ),
    "calls": Owned(
        name="calls",
        make=lambda world: records.call(world["me"]),
        change={"notes": "Call back on Monday."},
        filter_by_owner=lambda record: {"manager": record.manager_id},
    ),
    "meetings": Owned(
        name="meetings",
        make=lambda world: records.meeting(world["me"]),
        change={"location": "Their office"},
        filter_by_owner=lambda record: {"manager": record.manager_id},
        actions={
            "hold": {"decision_maker_present": True},
            "cancel": {},
            "no-show": {},
            "reschedule": {
                "starts_at": "2026-12-01T10:00:00+01:00",
                "ends_at": "2026-12-01T11:00:00+01:00",
            },
        },
    ),
    "referrals": Owned(
        name="referrals",
        make=lambda world: records.referral(world["me"]),
        change={"notes": "Asked at the signing."},
        filter_by_owner=lambda record: {"manager": record.manager_id},
        actions={"receive": {"name": "Referred Ltd"}, "decline": {}},
    ),
    "plans": Owned(
        name="plans",
        make=lambda world: records.plan(world["me"], by=world["lead"]),
        change={"calls": 55},
        filter_by_owner=lambda record: {"manager": record.manager_id},
        leads_write=True,
    ),
    "reviews": Owned(
        name="reviews",
        make=lambda world: records.review(world["me"], by=world["lead"]),
        change={"notes": "Better than planned."},
        filter_by_owner=lambda record: {"manager": record.manager_id},
        leads_write=True,
    ),
}
# ``reopen`` needs a lost prospect: its own record builder.
REOPEN = Owned(
    name="prospects",
    make=_lost_prospect,
    change={},
    filter_by_owner=lambda record: {"owner": record.owner_id},
    actions={"reopen": {}},
)


def _client(api: APIClient, world: dict, caller: str) -> APIClient:
    if caller != "anonymous":
        api.force_authenticate(world[caller])
    return api


def _stamp(record: Model):
    """The record's last change (None once it is gone): a refused write leaves it alone."""
    return type(record).objects.filter(pk=record.pk).values_list("updated_at", flat=True).first()


def _listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _expected_write(resource: Owned, caller: str, op: str) -> int:
    if caller == "anonymous":
        return 0  # any of ANONYMOUS
    if resource.leads_write and caller in ("me", "mate", "stranger"):
        return 403  # role check first: a manager never writes plans or reviews
    return SUCCESS[op] if caller in IN_SCOPE else 404


def _write(api: APIClient, resource: Owned, record: Model, op: str, action: str = ""):
    url = f"/api/{resource.name}/{record.pk}/"
    if op == "update":
        return api.patch(url, resource.change, format="json")
    if op == "delete":
        return api.delete(url)
    return api.post(f"{url}{action}/", resource.actions[action], format="json")


def _assert_status(response, expected: int) -> None:
    if expected == 0:
        assert response.status_code in ANONYMOUS, response.content
    else:
        assert response.status_code == expected, response.content
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"status", "code", "detail", "errors"}
        assert body["status"] == response.status_code


# --- records owned by a manager ------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("resource", OWNED.values(), ids=OWNED.keys())
def test_list_shows_only_records_in_scope(api, world, resource, caller):
    # given
    record = resource.make(world)
    # when
    response = _client(api, world, caller).get(f"/api/{resource.name}/", {"page_size": 200})
    # then
    if caller == "anonymous":
        _assert_status(response, 0)
    else:
        assert (record.pk in _listed_ids(response)) is (caller in IN_SCOPE)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("resource", OWNED.values(), ids=OWNED.keys())
def test_retrieve_outside_scope_is_404(api, world, resource, caller):
    # given
    record = resource.make(world)
    # when
    response = _client(api, world, caller).get(f"/api/{resource.name}/{record.pk}/")
    # then
    expected = 0 if caller == "anonymous" else 200 if caller in IN_SCOPE else 404
    _assert_status(response, expected)
    if expected == 200:
        assert response.json()["id"] == record.pk
        assert response["ETag"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", ["update", "delete"])
@pytest.mark.parametrize("resource", OWNED.values(), ids=OWNED.keys())
def test_write_outside_scope_is_refused_and_changes_nothing(api, world, resource, op, caller):
    # given
    record = resource.make(world)
    before = _stamp(record)
    expected = _expected_write(resource, caller, op)
    # when
    response = _write(_client(api, world, caller), resource, record, op)
    # then
    _assert_status(response, expected)
    if expected == SUCCESS[op]:
        assert _stamp(record) != before
    else:
        assert _stamp(record) == before


ACTION_CASES = [
    pytest.param(resource, action, id=f"{resource.name}-{action}")
    for resource in [*OWNED.values(), REOPEN]
    for action in resource.actions
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("resource", "action"), ACTION_CASES)
def test_item_action_outside_scope_is_404_and_changes_nothing(api, world, resource, action, caller):
    # given
    record = resource.make(world)
    before = _stamp(record)
    expected = _expected_write(resource, caller, "action")
    # when
    response = _write(_client(api, world, caller), resource, record, "action", action)
    # then
    _assert_status(response, expected)
    if expected == 200:
        assert response.json()["id"] == record.pk
    else:
        assert _stamp(record) == before


FILTER_CASES = [
    pytest.param(resource, "owner", id=f"{resource.name}-owner") for resource in OWNED.values()
] + [
    pytest.param(resource, "team", id=f"{resource.name}-team")
    for resource in OWNED.values()
    if resource.team_filter
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("resource", "by"), FILTER_CASES)
def test_filter_naming_someone_outside_scope_gives_an_empty_list(api, world, resource, by, caller):
    # given
    record = resource.make(world)
    params = resource.filter_by_owner(record) if by == "owner" else {"team": world["home"].pk}
    # when
    response = _client(api, world, caller).get(f"/api/{resource.name}/", params)
    # then
    if caller == "anonymous":
        _assert_status(response, 0)
    elif caller in IN_SCOPE:
        assert _listed_ids(response) == [record.pk]
    else:
        assert _listed_ids(response) == []
        assert response.json()["count"] == 0


# What a create names of ``me``'s (resource → body, the fields a caller out of scope is
# refused on). Managers default to the caller, so naming ``me`` is what a mate cannot do.
CREATES: dict[str, tuple[Callable[[dict], dict], tuple[str, ...]]] = {
    "prospects": (lambda w: {"name": "Acme", "owner": w["me"].pk}, ("owner",)),
    "contacts": (
        lambda w: {"name": "Dana", "prospect": records.prospect(w["me"]).pk},
        ("prospect",),
    ),
    "calls": (
        lambda w: {
            "manager": w["me"].pk,
            "prospect": records.prospect(w["me"]).pk,
            "at": "2026-11-20T10:00:00+01:00",
            "outcome": "talked",
        },
        ("manager", "prospect"),
    ),
    "meetings": (
        lambda w: {
            "manager": w["me"].pk,
            "prospect": records.prospect(w["me"]).pk,
            "starts_at": "2026-11-20T10:00:00+01:00",
            "ends_at": "2026-11-20T11:00:00+01:00",
        },
        ("manager", "prospect"),
    ),
    "referrals": (
        lambda w: {
            "manager": w["me"].pk,
            "from_prospect": records.prospect(w["me"]).pk,
            "asked_on": "2026-11-20",
        },
        ("manager", "from_prospect"),
    ),
    "plans": (
        lambda w: {"manager": w["me"].pk, "start": "2026-12-01", "end": "2026-12-31", "calls": 9},
        ("manager",),
    ),
    "reviews": (
        lambda w: {
            "manager": w["me"].pk,
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "notes": "Fine.",
        },
        ("manager",),
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("resource", OWNED.values(), ids=OWNED.keys())
def test_create_for_a_manager_outside_scope_is_400_naming_the_field(
    api, world, nothing_written, resource, caller
):
    # given
    build, fields = CREATES[resource.name]
    body = build(world)
    expected = _expected_write(resource, caller, "action")
    if expected == 200:
        expected = 201
    elif expected == 404:
        expected = 400  # a body naming what the caller cannot see is a 400 on that field
    client = _client(api, world, caller)
    # when
    if expected == 201:
        response = client.post(f"/api/{resource.name}/", body, format="json")
    else:
        with nothing_written():
            response = client.post(f"/api/{resource.name}/", body, format="json")
    # then
    _assert_status(response, expected)
    if expected == 400:
        assert set(fields) <= set(response.json()["errors"]), response.json()
    if expected == 201:
        owner = response.json().get("owner") or response.json().get("manager")
        assert owner in (world["me"].pk, None)


# --- events: company-wide ones and the caller's team's -------------------------------


def _team_event(world: dict) -> Event:
    return factories.event(name="Home fair", team=world["home"], by=world["me"])


def _company_event(world: dict) -> Event:
    return factories.event(name="Big expo", by=world["admin"])


# caller → (sees it, may change it) for an event of ``home`` made by ``me``.
TEAM_EVENT = {
    "me": (True, True),
    "mate": (True, False),
    "lead": (True, True),
    "stranger": (False, False),
    "away_lead": (False, False),
    "admin": (True, True),
}
# … and for a company-wide event made by the admin: everyone sees it, only admins change it.
COMPANY_EVENT = {caller: (True, caller == "admin") for caller in TEAM_EVENT}
EVENTS = {"team": (_team_event, TEAM_EVENT), "company": (_company_event, COMPANY_EVENT)}


def _event_expected(kind: str, caller: str, op: str) -> int:
    if caller == "anonymous":
        return 0
    sees, changes = EVENTS[kind][1][caller]
    if not sees:
        return 404
    if op in ("retrieve", "attend"):
        return 200  # anyone may say they go to an event they can see
    return SUCCESS[op] if changes else 403


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", ["retrieve", "update", "delete", "attend"])
@pytest.mark.parametrize("kind", EVENTS)
def test_event_access(api, world, kind, op, caller):
    # given
    event = EVENTS[kind][0](world)
    before = _stamp(event)
    url = f"/api/events/{event.pk}/"
    client = _client(api, world, caller)
    expected = _event_expected(kind, caller, op)
    # when
    if op == "retrieve":
        response = client.get(url)
    elif op == "update":
        response = client.patch(url, {"location": "Hall 7"}, format="json")
    elif op == "delete":
        response = client.delete(url)
    else:
        response = client.post(f"{url}attend/", {"status": "planned"}, format="json")
    # then
    _assert_status(response, expected)
    if op in ("update", "delete"):
        assert (_stamp(event) != before) is (expected == SUCCESS[op])
    if op == "attend" and expected == 200:
        assert response.json()["attending"] == 1
        assert event.attendances.get().manager == world[caller]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("kind", EVENTS)
def test_event_list_and_team_filter_show_only_visible_events(api, world, kind, caller):
    # given
    event = EVENTS[kind][0](world)
    client = _client(api, world, caller)
    # when
    listed = client.get("/api/events/")
    filtered = client.get("/api/events/", {"team": world["home"].pk})
    # then
    if caller == "anonymous":
        _assert_status(listed, 0)
        _assert_status(filtered, 0)
        return
    sees = EVENTS[kind][1][caller][0]
    assert (event.pk in _listed_ids(listed)) is sees
    assert (event.pk in _listed_ids(filtered)) is (sees and event.team_id is not None)


# --- teams, sectors and benchmarks: shared data, written by admins -------------------


@dataclass(frozen=True)
class Shared:
    name: str
    make: Callable[[dict], Model]
    change: dict
    # who sees the record (the others get 404 and do not find it in the list)
    seen_by: frozenset[str]


SHARED = {
    "teams": Shared(
        name="teams",
        make=lambda world: factories.TeamFactory(name="Home"),
        change={"rotting_days": {"proposal": 7}},
        seen_by=frozenset({"me", "mate", "lead", "admin"}),
    ),
    "sectors": Shared(
        name="sectors",
        make=lambda world: Sector.objects.create(code="retail", name="Retail"),
        change={"name": "Retail trade"},
        seen_by=frozenset(TEAM_EVENT),
    ),
    "benchmarks": Shared(
        name="benchmarks",
        make=lambda world: Benchmark.objects.create(
            sector=factories.sector("b2b"), metric="calls_per_day", low=Decimal(20)
        ),
        change={"note": "B2B: 20 calls a day"},
        seen_by=frozenset(TEAM_EVENT),
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", ["list", "retrieve", "update", "delete"])
@pytest.mark.parametrize("resource", SHARED.values(), ids=SHARED.keys())
def test_shared_data_is_read_by_members_and_written_by_admins(api, world, resource, op, caller):
    # given
    record = resource.make(world)
    before = _stamp(record)
    client = _client(api, world, caller)
    url = f"/api/{resource.name}/{record.pk}/"
    if caller == "anonymous":
        expected = 0
    elif op in ("update", "delete") and caller != "admin":
        expected = 403
    elif caller not in resource.seen_by:
        expected = 200 if op == "list" else 404
    elif resource.name == "teams" and op == "delete":
        expected = 400  # a team with members cannot go
    else:
        expected = {"list": 200, **SUCCESS}[op]
    # when
    if op == "list":
        response = client.get(f"/api/{resource.name}/")
    elif op == "retrieve":
        response = client.get(url)
    elif op == "update":
        response = client.patch(url, resource.change, format="json")
    else:
        response = client.delete(url)
    # then
    _assert_status(response, expected)
    if op == "list" and expected == 200:
        assert (record.pk in _listed_ids(response)) is (caller in resource.seen_by)
    if op in ("update", "delete"):
        assert (_stamp(record) != before) is (expected == SUCCESS[op])


# --- creating a record that points at someone else's ---------------------------------

AT = "2026-11-20T10:00:00+01:00"
UNTIL = "2026-11-20T11:00:00+01:00"


def _prospect_of(who: str) -> Callable[[dict], int]:
    return lambda world: records.prospect(world[who]).pk


def _contact_of(who: str) -> Callable[[dict], int]:
    return lambda world: records.contact(world[who]).pk


def _user(who: str) -> Callable[[dict], int]:
    return lambda world: world[who].pk


def _mine(world: dict) -> int:
    return records.prospect(world["me"]).pk


# (caller, resource, payload: name → value or world → value, the field the 400 names)
FOREIGN_REFERENCES = {
    "prospect-owned-by-a-mate": (
        "me",
        "prospects",
        {"name": "Acme", "owner": _user("mate")},
        "owner",
    ),
    "prospect-owned-by-another-team": (
        "lead",
        "prospects",
        {"name": "Acme", "owner": _user("stranger")},
        "owner",
    ),
    "prospect-for-a-manager-of-another-lead": (
        "away_lead",
        "prospects",
        {"name": "Acme", "owner": _user("me")},
        "owner",
    ),
    "prospect-sourced-at-another-teams-event": (
        "me",
        "prospects",
        {
            "name": "Acme",
            "source": "event",
            "source_event": lambda world: factories.event(team=world["away"]).pk,
        },
        "source_event",
    ),
    "contact-of-a-mates-prospect": (
        "me",
        "contacts",
        {"name": "Dana", "prospect": _prospect_of("mate")},
        "prospect",
    ),
    "contact-of-another-teams-prospect": (
        "lead",
        "contacts",
        {"name": "Dana", "prospect": _prospect_of("stranger")},
        "prospect",
    ),
    "call-about-a-mates-prospect": (
        "me",
        "calls",
        {"at": AT, "outcome": "talked", "prospect": _prospect_of("mate")},
        "prospect",
    ),
    "call-logged-for-a-mate": (
        "me",
        "calls",
        {"at": AT, "outcome": "talked", "manager": _user("mate")},
        "manager",
    ),
    "call-for-a-manager-about-another-managers-prospect": (
        "lead",
        "calls",
        {"at": AT, "outcome": "talked", "manager": _user("me"), "prospect": _prospect_of("mate")},
        "prospect",
    ),
    "meeting-with-a-mates-prospect": (
        "me",
        "meetings",
        {"starts_at": AT, "ends_at": UNTIL, "prospect": _prospect_of("mate")},
        "prospect",
    ),
    "meeting-attended-by-a-mates-contact": (
        "me",
        "meetings",
        {"starts_at": AT, "ends_at": UNTIL, "prospect": _mine, "attendees": [_contact_of("mate")]},
        "attendees",
    ),
    "meeting-for-another-teams-manager": (
        "lead",
        "meetings",
        {
            "starts_at": AT,
            "ends_at": UNTIL,
            "prospect": _prospect_of("stranger"),
            "manager": _user("stranger"),
        },
        "manager",
    ),
    "referral-asked-of-another-teams-prospect": (
        "me",
        "referrals",
        {"asked_on": "2026-11-20", "from_prospect": _prospect_of("stranger")},
        "from_prospect",
    ),
    "referral-for-a-manager-asked-of-a-mates-prospect": (
        "lead",
        "referrals",
        {"asked_on": "2026-11-20", "manager": _user("me"), "from_prospect": _prospect_of("mate")},
        "from_prospect",
    ),
    "event-of-another-team": (
        "me",
        "events",
        {"name": "Fair", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL, "team": "away"},
        "team",
    ),
    "plan-of-another-teams-manager": (
        "lead",
        "plans",
        {"manager": _user("stranger"), "start": "2026-12-01", "end": "2026-12-31", "calls": 9},
        "manager",
    ),
    "review-of-another-teams-manager": (
        "lead",
        "reviews",
        {
            "manager": _user("stranger"),
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "notes": "Fine.",
        },
        "manager",
    ),
}


def _resolve(value, world: dict):
    if callable(value):
        return value(world)
    if isinstance(value, list):
        return [_resolve(item, world) for item in value]
    if value in ("home", "away"):
        return world[value].pk
    return value


@pytest.mark.parametrize(
    ("caller", "resource", "payload", "field"),
    FOREIGN_REFERENCES.values(),
    ids=FOREIGN_REFERENCES.keys(),
)
def test_create_pointing_outside_scope_is_400_naming_the_field(
    api, world, nothing_written, caller, resource, payload, field
):
    # given
    data = {name: _resolve(value, world) for name, value in payload.items()}
    client = _client(api, world, caller)
    # when
    with nothing_written():
        response = client.post(f"/api/{resource}/", data, format="json")
    # then
    _assert_status(response, 400)
    assert field in response.json()["errors"], response.json()


def test_receiving_a_referral_as_another_managers_prospect_is_400(api, world, nothing_written):
    # given
    referral = records.referral(world["me"])
    theirs = records.prospect(world["mate"])
    client = _client(api, world, "me")
    # when
    with nothing_written():
        response = client.post(
            f"/api/referrals/{referral.pk}/receive/",
            {"referred_prospect": theirs.pk},
            format="json",
        )
    # then
    _assert_status(response, 400)
    assert "referred_prospect" in response.json()["errors"]


# --- plans: leads set them, managers cannot raise or lower their own ------------------

PLAN = {"start": "2026-12-01", "end": "2026-12-31", "contracts": 3}


@pytest.mark.parametrize(("caller", "expected"), [("me", 403), ("mate", 403), ("lead", 201)])
def test_only_a_lead_sets_a_managers_plan(api, world, caller, expected):
    # when
    response = _client(api, world, caller).post(
        "/api/plans/", {**PLAN, "manager": world["me"].pk}, format="json"
    )
    # then
    _assert_status(response, expected)
    assert world["me"].plans.exists() is (expected == 201)


def test_a_lead_does_not_set_their_own_plan(api, world, nothing_written):
    # when
    with nothing_written():
        response = _client(api, world, "lead").post(
            "/api/plans/", {**PLAN, "manager": world["lead"].pk}, format="json"
        )
    # then
    _assert_status(response, 400)
    assert "manager" in response.json()["errors"]


@pytest.mark.parametrize("change", [{"contracts": 1}, {"contracts": 9}, {"contracts": None}])
def test_a_manager_cannot_raise_or_lower_their_own_plan(api, world, change):
    # given
    plan = records.plan(world["me"], by=world["lead"])
    # when
    response = _client(api, world, "me").patch(f"/api/plans/{plan.pk}/", change, format="json")
    # then
    _assert_status(response, 403)
    plan.refresh_from_db()
    assert plan.contracts == 2


@pytest.mark.parametrize("caller", CALLERS)
def test_an_event_of_a_team_is_added_by_its_members_and_admins(api, world, caller):
    # given
    body = {
        "name": "Home fair",
        "kind": "exhibition",
        "starts_at": "2026-11-20T10:00:00+01:00",
        "ends_at": "2026-11-20T18:00:00+01:00",
        "team": world["home"].pk,
    }
    sees = caller in TEAM_EVENT and TEAM_EVENT[caller][0]
    expected = 0 if caller == "anonymous" else 201 if sees else 400
    # when
    response = _client(api, world, caller).post("/api/events/", body, format="json")
    # then
    _assert_status(response, expected)
    if expected == 400:
        assert "team" in response.json()["errors"]
    assert Event.objects.exists() is (expected == 201)
