"""Happy paths of every API resource: create, update, delete, filter, order, item actions.

Writes go through the services, so the history the metrics read (StageChange,
CloseDateChange) is recorded whether a change comes from the API or anywhere else.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from crm import services
from crm.models import (
    Call,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Prospect,
    Referral,
    ReferralStatus,
    Source,
    Stage,
    StageChange,
    Team,
)
from events.models import Event
from funnel.models import Benchmark, PerformanceReview, Plan, Sector
from tests import factories
from tests.api import records

AT = "2026-11-20T10:00:00+01:00"
UNTIL = "2026-11-20T11:00:00+01:00"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def stage_history(prospect: Prospect) -> list[tuple[str, str]]:
    return list(
        StageChange.objects.filter(prospect=prospect)
        .order_by("changed_at", "id")
        .values_list("from_stage", "to_stage")
    )


# --- prospects -----------------------------------------------------------------------


def test_a_manager_creates_a_prospect_of_their_own_with_its_first_history(world, as_user):
    # given
    api = as_user(world["me"])
    # when
    response = api.post(
        "/api/prospects/",
        {
            "name": "Acme",
            "source": "inbound",
            "expected_value": "2500",
            "expected_close_date": "2026-12-15",
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == world["me"].pk
    assert body["stage"] == Stage.LEAD
    assert body["expected_value"] == "2500.00"
    assert response["ETag"]
    prospect = Prospect.objects.get(pk=body["id"])
    assert stage_history(prospect) == [("", Stage.LEAD)]
    change = CloseDateChange.objects.get(prospect=prospect)
    assert (change.from_date, change.to_date, change.by) == (
        None,
        date(2026, 12, 15),
        world["me"],
    )


def test_a_lead_creates_a_prospect_for_a_manager_of_their_team(world, as_user):
    # when
    response = as_user(world["lead"]).post(
        "/api/prospects/", {"name": "Acme", "owner": world["me"].pk}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    prospect = Prospect.objects.get(pk=response.json()["id"])
    assert prospect.owner == world["me"]
    assert prospect.stage_changes.get().by == world["lead"]


def test_a_prospect_sourced_at_a_company_event(world, as_user):
    # given
    event = factories.event()
    # when
    response = as_user(world["me"]).post(
        "/api/prospects/",
        {"name": "Met at the expo", "source": "event", "source_event": event.pk},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["source_event"] == event.pk


@pytest.mark.parametrize("caller", ["me", "lead"])
def test_patching_expected_close_date_records_a_close_date_change(world, as_user, caller):
    # given
    prospect = factories.prospect(world["me"], expected_close_date=date(2026, 11, 25))
    api = as_user(world[caller])
    # when
    response = api.patch(
        f"/api/prospects/{prospect.pk}/", {"expected_close_date": "2026-12-10"}, format="json"
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["expected_close_date"] == "2026-12-10"
    last = CloseDateChange.objects.filter(prospect=prospect).latest("changed_at", "id")
    assert (last.from_date, last.to_date, last.by) == (
        date(2026, 11, 25),
        date(2026, 12, 10),
        world[caller],
    )
    assert last.is_push


def test_patching_other_fields_records_no_close_date_change(world, as_user):
    # given
    prospect = factories.prospect(world["me"], expected_close_date=date(2026, 11, 25))
    # when
    response = as_user(world["me"]).patch(
        f"/api/prospects/{prospect.pk}/",
        {"name": "Acme GmbH", "expected_value": "10.5", "expected_close_date": "2026-11-25"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Acme GmbH"
    assert response.json()["expected_value"] == "10.50"
    assert CloseDateChange.objects.filter(prospect=prospect).count() == 1


def test_moving_a_prospect_records_the_stage_change(world, as_user):
    # given
    prospect = factories.prospect(world["me"])
    # when
    response = as_user(world["me"]).post(
        f"/api/prospects/{prospect.pk}/move/", {"stage": "proposal"}, format="json"
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == Stage.PROPOSAL
    assert response["ETag"]
    assert stage_history(prospect) == [("", Stage.LEAD), (Stage.LEAD, Stage.PROPOSAL)]
    assert prospect.stage_changes.latest("changed_at", "id").by == world["me"]


def test_signing_a_prospect_makes_it_a_contract(world, as_user):
    # given
    prospect = factories.prospect(world["me"], stage=Stage.PROPOSAL)
    # when
    response = as_user(world["lead"]).post(
        f"/api/prospects/{prospect.pk}/sign/",
        {"contract_value": "1200", "signed_on": "2026-11-20"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"], body["contract_value"], body["signed_on"]) == (
        Stage.CONTRACT,
        "1200.00",
        "2026-11-20",
    )
    assert stage_history(prospect)[-1] == (Stage.PROPOSAL, Stage.CONTRACT)


def test_losing_and_reopening_a_prospect_returns_it_to_its_stage(world, as_user):
    # given
    prospect = factories.prospect(world["me"], stage=Stage.MEETING)
    api = as_user(world["me"])
    # when
    lost = api.post(
        f"/api/prospects/{prospect.pk}/lose/",
        {"reason": "No budget this year", "lost_on": "2026-11-20", "revisit_on": "2027-03-01"},
        format="json",
    )
    reopened = api.post(f"/api/prospects/{prospect.pk}/reopen/", format="json")
    # then
    assert lost.status_code == 200, lost.json()
    assert lost.json()["stage"] == Stage.LOST
    assert lost.json()["lost_from_stage"] == Stage.MEETING
    assert lost.json()["lost_reason"] == "No budget this year"
    assert lost.json()["revisit_on"] == "2027-03-01"
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["stage"] == Stage.MEETING
    assert reopened.json()["lost_on"] is None
    assert stage_history(prospect)[-2:] == [
        (Stage.MEETING, Stage.LOST),
        (Stage.LOST, Stage.MEETING),
    ]


def test_deleting_a_prospect(world, as_user):
    # given
    prospect = factories.prospect(world["me"])
    # when
    response = as_user(world["me"]).delete(f"/api/prospects/{prospect.pk}/")
    # then
    assert response.status_code == 204
    assert not Prospect.objects.filter(pk=prospect.pk).exists()


@pytest.fixture
def funnel(world):
    """Prospects of ``me`` and ``mate`` in several stages, sources and close dates."""
    me, mate = world["me"], world["mate"]
    return {
        "acme": factories.prospect(
            me,
            name="Acme",
            expected_value=Decimal(500),
            expected_close_date=date(2026, 11, 30),
        ),
        "bolt": factories.prospect(
            me,
            name="Bolt",
            stage=Stage.PROPOSAL,
            source=Source.INBOUND,
            expected_value=Decimal(9000),
            expected_close_date=date(2026, 12, 20),
            created_at=factories.moment(10),
        ),
        "crane": services.prospect_lose(
            prospect=factories.prospect(me, name="Crane", stage=Stage.CONTACTED),
            reason="Went quiet",
            by=me,
        ),
        "delta": factories.prospect(mate, name="Delta", expected_value=Decimal(100)),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "proposal"}, ["bolt"]),
        ({"stage__in": "lead,lost"}, ["acme", "crane"]),
        ({"source": "inbound"}, ["bolt"]),
        ({"name": "cRa"}, ["crane"]),
        ({"open": "true"}, ["acme", "bolt"]),
        ({"open": "false"}, ["crane"]),
        ({"open": "1"}, ["acme", "bolt"]),
        ({"open": "False"}, ["crane"]),
        ({"created_at__gte": "2026-11-05T00:00:00Z"}, ["bolt"]),
        ({"expected_close_date__lte": "2026-12-01"}, ["acme"]),
        ({"lost_on__gte": "2026-01-01"}, ["crane"]),
    ],
)
def test_filtering_prospects(world, as_user, funnel, params, expected):
    # when
    response = as_user(world["me"]).get("/api/prospects/", params)
    # then
    assert sorted(ids(response)) == sorted(funnel[name].pk for name in expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"owner": "me"}, ["acme", "bolt", "crane"]),
        ({"owner": "mate"}, ["delta"]),
        ({"team": "home"}, ["acme", "bolt", "crane", "delta"]),
        ({"team": "away"}, []),
    ],
)
def test_a_lead_filters_the_teams_prospects_by_owner_and_team(
    world, as_user, funnel, params, expected
):
    # when
    response = as_user(world["lead"]).get(
        "/api/prospects/", {key: world[value].pk for key, value in params.items()}
    )
    # then
    assert sorted(ids(response)) == sorted(funnel[name].pk for name in expected)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["crane", "bolt", "acme"]),  # newest first
        ("name", ["acme", "bolt", "crane"]),
        ("-name", ["crane", "bolt", "acme"]),
        ("-expected_value", ["bolt", "acme", "crane"]),
        ("expected_close_date", ["acme", "bolt", "crane"]),
    ],
)
def test_ordering_prospects(world, as_user, funnel, ordering, expected):
    # given
    Prospect.objects.filter(pk=funnel["crane"].pk).update(created_at=factories.moment(12))
    params = {"ordering": ordering} if ordering else {}
    # when
    response = as_user(world["me"]).get("/api/prospects/", params)
    # then
    order = ids(response)
    wanted = [funnel[name].pk for name in expected]
    if ordering in ("-expected_value", "expected_close_date"):
        # where NULLs sort differs between databases; compare the rows with a value
        order = [pk for pk in order if pk != funnel["crane"].pk]
        wanted = [pk for pk in wanted if pk != funnel["crane"].pk]
    assert order == wanted


def test_pages_and_page_size(world, as_user):
    # given
    for n in range(5):
        records.prospect(world["me"], n)
    api = as_user(world["me"])
    # when
    first = api.get("/api/prospects/", {"page_size": 2})
    last = api.get("/api/prospects/", {"page_size": 2, "page": 3})
    # then
    assert first.json()["count"] == 5
    assert len(first.json()["results"]) == 2
    assert first.json()["next"]
    assert len(last.json()["results"]) == 1
    assert last.json()["next"] is None


# --- contacts ------------------------------------------------------------------------


def test_contacts_create_update_filter_order_delete(world, as_user):
    # given
    acme, bolt = records.prospect(world["me"], 1), records.prospect(world["me"], 2)
    api = as_user(world["me"])
    # when
    created = api.post(
        "/api/contacts/",
        {"prospect": acme.pk, "name": "Zoe", "email": "zoe@acme.test", "is_decision_maker": True},
        format="json",
    )
    other = factories.contact(bolt, name="Adam")
    updated = api.patch(f"/api/contacts/{created.json()['id']}/", {"title": "CEO"}, format="json")
    by_prospect = api.get("/api/contacts/", {"prospect": acme.pk})
    deciders = api.get("/api/contacts/", {"is_decision_maker": "true"})
    by_email = api.get("/api/contacts/", {"email": "ZOE@acme.test"})
    by_name = api.get("/api/contacts/", {"ordering": "-name"})
    deleted = api.delete(f"/api/contacts/{other.pk}/")
    # then
    assert created.status_code == 201, created.json()
    zoe = created.json()["id"]
    assert updated.status_code == 200, updated.json()
    assert updated.json()["title"] == "CEO"
    assert ids(by_prospect) == [zoe]
    assert ids(deciders) == [zoe]
    assert ids(by_email) == [zoe]
    assert ids(by_name) == [zoe, other.pk]
    assert deleted.status_code == 204
    assert list(Contact.objects.values_list("pk", flat=True)) == [zoe]


# --- calls ---------------------------------------------------------------------------


def test_a_call_that_reaches_a_lead_moves_it_to_contacted(world, as_user):
    # given
    prospect = factories.prospect(world["me"])
    # when
    response = as_user(world["me"]).post(
        "/api/calls/",
        {"prospect": prospect.pk, "at": AT, "outcome": "talked", "duration": "00:04:30"},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["manager"] == world["me"].pk
    assert response.json()["at"] == "2026-11-20T09:00:00Z"
    prospect.refresh_from_db()
    assert prospect.stage == Stage.CONTACTED
    assert stage_history(prospect)[-1] == (Stage.LEAD, Stage.CONTACTED)


def test_a_lead_logs_a_call_for_a_manager_of_their_team(world, as_user):
    # when
    response = as_user(world["lead"]).post(
        "/api/calls/",
        {"manager": world["me"].pk, "at": AT, "outcome": "no_answer", "kind": "cold"},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    assert Call.objects.get().manager == world["me"]


def test_calls_update_filter_order_delete(world, as_user):
    # given
    me = world["me"]
    short = services.call_log(
        manager=me, at=factories.moment(3), outcome="no_answer", by=me, kind="cold"
    )
    long = services.call_log(
        manager=me,
        at=factories.moment(6),
        outcome="talked",
        by=me,
        kind="follow_up",
        duration=timedelta(minutes=20),
        prospect=records.prospect(me),
    )
    api = as_user(me)
    # when
    updated = api.patch(
        f"/api/calls/{short.pk}/", {"duration": "00:01:00", "notes": "Voicemail"}, format="json"
    )
    talked = api.get("/api/calls/", {"outcome__in": "talked,meeting_booked"})
    follow_ups = api.get("/api/calls/", {"kind": "follow_up"})
    since = api.get("/api/calls/", {"at__gte": "2026-11-05T00:00:00Z"})
    by_prospect = api.get("/api/calls/", {"prospect": long.prospect_id})
    newest_first = api.get("/api/calls/")
    longest_first = api.get("/api/calls/", {"ordering": "-duration"})
    shortest_first = api.get("/api/calls/", {"ordering": "duration"})
    deleted = api.delete(f"/api/calls/{short.pk}/")
    # then
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["duration"], updated.json()["notes"]) == ("00:01:00", "Voicemail")
    assert ids(talked) == ids(follow_ups) == ids(since) == ids(by_prospect) == [long.pk]
    assert ids(newest_first) == ids(longest_first) == [long.pk, short.pk]
    assert ids(shortest_first) == [short.pk, long.pk]
    assert deleted.status_code == 204
    assert list(Call.objects.values_list("pk", flat=True)) == [long.pk]


# --- meetings ------------------------------------------------------------------------


def test_a_meeting_with_a_decision_maker_attending(world, as_user):
    # given
    prospect = factories.prospect(world["me"])
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    # when
    response = as_user(world["me"]).post(
        "/api/meetings/",
        {
            "prospect": prospect.pk,
            "starts_at": AT,
            "ends_at": UNTIL,
            "location": "Their office",
            "attendees": [boss.pk],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["manager"] == world["me"].pk
    assert body["status"] == MeetingStatus.PLANNED
    assert body["attendees"] == [boss.pk]
    assert body["decision_maker_present"] is True


def test_holding_a_meeting_moves_the_prospect_to_meeting(world, as_user):
    # given
    prospect = factories.prospect(world["me"], stage=Stage.CONTACTED)
    meeting = factories.meeting(prospect)
    # when
    response = as_user(world["me"]).post(
        f"/api/meetings/{meeting.pk}/hold/", {"decision_maker_present": True}, format="json"
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == MeetingStatus.HELD
    assert response.json()["decision_maker_present"] is True
    prospect.refresh_from_db()
    assert prospect.stage == Stage.MEETING
    assert stage_history(prospect)[-1] == (Stage.CONTACTED, Stage.MEETING)


@pytest.mark.parametrize(
    ("action", "status", "sequence"),
    [("cancel", MeetingStatus.CANCELLED, 1), ("no-show", MeetingStatus.NO_SHOW, 0)],
)
def test_cancelling_or_a_no_show(world, as_user, action, status, sequence):
    # given
    meeting = factories.meeting(factories.prospect(world["me"]))
    # when
    response = as_user(world["me"]).post(f"/api/meetings/{meeting.pk}/{action}/")
    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["sequence"]) == (status, sequence)


def test_rescheduling_a_cancelled_meeting_plans_it_again(world, as_user):
    # given
    meeting = factories.meeting(factories.prospect(world["me"]))
    services.meeting_cancel(meeting=meeting, by=world["me"])
    # when
    response = as_user(world["lead"]).post(
        f"/api/meetings/{meeting.pk}/reschedule/",
        {"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2026-12-01T11:30:00+01:00"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["sequence"]) == (MeetingStatus.PLANNED, 2)
    assert (body["starts_at"], body["ends_at"]) == ("2026-12-01T09:00:00Z", "2026-12-01T10:30:00Z")


def test_meetings_update_filter_order_delete(world, as_user):
    # given
    prospect = factories.prospect(world["me"])
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    early = factories.meeting(prospect, starts_at=factories.moment(3))
    late = factories.meeting(prospect, starts_at=factories.moment(9))
    services.meeting_hold(meeting=late, by=world["me"], decision_maker_present=True)
    api = as_user(world["me"])
    # when
    updated = api.patch(
        f"/api/meetings/{early.pk}/",
        {"attendees": [boss.pk], "notes": "Bring the samples"},
        format="json",
    )
    held = api.get("/api/meetings/", {"status": "held"})
    planned = api.get("/api/meetings/", {"status__in": "planned,cancelled"})
    since = api.get("/api/meetings/", {"starts_at__gte": "2026-11-05T00:00:00Z"})
    oldest_first = api.get("/api/meetings/")
    newest_first = api.get("/api/meetings/", {"ordering": "-starts_at"})
    deleted = api.delete(f"/api/meetings/{early.pk}/")
    # then
    assert updated.status_code == 200, updated.json()
    assert updated.json()["attendees"] == [boss.pk]
    assert updated.json()["decision_maker_present"] is True
    assert ids(held) == ids(since) == [late.pk]
    assert ids(planned) == [early.pk]
    assert ids(oldest_first) == [early.pk, late.pk]
    assert ids(newest_first) == [late.pk, early.pk]
    assert deleted.status_code == 204
    assert list(Meeting.objects.values_list("pk", flat=True)) == [late.pk]


# --- referrals -----------------------------------------------------------------------


def test_asking_for_a_referral(world, as_user):
    # given
    client = factories.prospect(world["me"])
    # when
    response = as_user(world["me"]).post(
        "/api/referrals/", {"from_prospect": client.pk, "asked_on": "2026-11-20"}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["manager"] == world["me"].pk
    assert response.json()["status"] == ReferralStatus.ASKED


def test_receiving_a_referral_by_name_creates_the_referred_prospect(world, as_user):
    # given
    referral = records.referral(world["me"])
    # when
    response = as_user(world["me"]).post(
        f"/api/referrals/{referral.pk}/receive/",
        {"name": "Referred Ltd", "received_on": "2026-11-20"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == ReferralStatus.RECEIVED
    assert response.json()["answered_on"] == "2026-11-20"
    referred = Prospect.objects.get(pk=response.json()["referred_prospect"])
    assert (referred.name, referred.owner, referred.source) == (
        "Referred Ltd",
        world["me"],
        Source.REFERRAL,
    )
    assert stage_history(referred) == [("", Stage.LEAD)]


def test_receiving_a_referral_as_an_existing_prospect(world, as_user):
    # given
    referral = records.referral(world["me"])
    existing = factories.prospect(world["me"], name="Known Co", source=Source.COLD_CALL)
    # when
    response = as_user(world["lead"]).post(
        f"/api/referrals/{referral.pk}/receive/",
        {"referred_prospect": existing.pk},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["referred_prospect"] == existing.pk
    existing.refresh_from_db()
    assert existing.source == Source.REFERRAL
    # the prospect now shows where it came from
    prospect = as_user(world["me"]).get(f"/api/prospects/{existing.pk}/").json()
    assert prospect["referral"] == referral.pk


def test_referrals_decline_update_filter_order(world, as_user):
    # given
    first = records.referral(world["me"], 1)
    second = factories.referral(records.prospect(world["me"], 2), asked_on=date(2026, 11, 10))
    api = as_user(world["me"])
    # when
    declined = api.post(
        f"/api/referrals/{first.pk}/decline/", {"declined_on": "2026-11-12"}, format="json"
    )
    updated = api.patch(f"/api/referrals/{second.pk}/", {"notes": "Ask again"}, format="json")
    asked = api.get("/api/referrals/", {"status": "asked"})
    from_client = api.get("/api/referrals/", {"from_prospect": first.from_prospect_id})
    answered = api.get("/api/referrals/", {"answered_on__gte": "2026-11-01"})
    oldest_first = api.get("/api/referrals/", {"ordering": "asked_on"})
    newest_first = api.get("/api/referrals/")
    deleted = api.delete(f"/api/referrals/{second.pk}/")
    # then
    assert declined.status_code == 200, declined.json()
    assert (declined.json()["status"], declined.json()["answered_on"]) == (
        ReferralStatus.DECLINED,
        "2026-11-12",
    )
    assert updated.json()["notes"] == "Ask again"
    assert ids(asked) == [second.pk]
    assert ids(from_client) == ids(answered) == [first.pk]
    assert ids(oldest_first) == [first.pk, second.pk]
    assert ids(newest_first) == [second.pk, first.pk]
    assert deleted.status_code == 204
    assert list(Referral.objects.values_list("pk", flat=True)) == [first.pk]


# --- events --------------------------------------------------------------------------

EVENT = {"name": "Regional meetup", "kind": "meetup", "starts_at": AT, "ends_at": UNTIL}


def test_a_manager_adds_an_event_of_their_team(world, as_user):
    # when
    response = as_user(world["me"]).post(
        "/api/events/", {**EVENT, "cost": "120", "location": "Berlin"}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["team"], body["created_by"], body["cost"], body["attending"]) == (
        world["home"].pk,
        world["me"].pk,
        "120.00",
        0,
    )


@pytest.mark.parametrize("team", [None, "away"])
def test_an_admin_adds_a_company_wide_or_any_teams_event(world, as_user, team):
    # when
    response = as_user(world["admin"]).post(
        "/api/events/", {**EVENT, "team": world[team].pk if team else None}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["team"] == (world[team].pk if team else None)


def test_rescheduling_an_event_raises_its_sequence(world, as_user):
    # given
    event = factories.event(team=world["home"], by=world["me"])
    # when
    response = as_user(world["me"]).patch(
        f"/api/events/{event.pk}/",
        {"starts_at": "2026-11-10T11:00:00+01:00", "name": "Expo (moved)"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["sequence"], response.json()["name"]) == (1, "Expo (moved)")


def test_saying_you_go_and_then_that_you_do_not(world, as_user):
    # given
    event = factories.event()
    api = as_user(world["me"])
    # when
    going = api.post(f"/api/events/{event.pk}/attend/", {"status": "planned"}, format="json")
    mate = as_user(world["mate"]).post(
        f"/api/events/{event.pk}/attend/", {"status": "attended"}, format="json"
    )
    api = as_user(world["me"])
    not_going = api.post(f"/api/events/{event.pk}/attend/", {"status": "cancelled"}, format="json")
    # then
    assert going.json()["attending"] == 1
    assert mate.json()["attending"] == 2
    assert not_going.status_code == 200, not_going.json()
    assert not_going.json()["attending"] == 1
    assert event.attendances.count() == 2


def test_events_filter_order_delete(world, as_user):
    # given
    fair = factories.event(name="Autumn fair", starts_at=factories.moment(3), team=world["home"])
    expo = factories.event(name="Expo", starts_at=factories.moment(12))
    Event.objects.filter(pk=expo.pk).update(cost=Decimal(900))
    api = as_user(world["me"])
    api.post(f"/api/events/{expo.pk}/attend/", {"status": "planned"}, format="json")
    admin = as_user(world["admin"])
    # when
    shows = admin.get("/api/events/", {"kind": "trade_show"})
    of_home = admin.get("/api/events/", {"team": world["home"].pk})
    attended = admin.get("/api/events/", {"attended_by": world["me"].pk})
    named = admin.get("/api/events/", {"name": "FAIR"})
    later = admin.get("/api/events/", {"starts_at__gte": "2026-11-05T00:00:00Z"})
    soonest = admin.get("/api/events/")
    dearest = admin.get("/api/events/", {"ordering": "-cost"})
    deleted = admin.delete(f"/api/events/{fair.pk}/")
    # then
    assert ids(shows) == [fair.pk, expo.pk]
    assert ids(of_home) == ids(named) == [fair.pk]
    assert ids(attended) == ids(later) == [expo.pk]
    assert ids(soonest) == [fair.pk, expo.pk]
    assert ids(dearest) == [expo.pk, fair.pk]
    assert deleted.status_code == 204
    assert list(Event.objects.values_list("pk", flat=True)) == [expo.pk]


# --- plans and reviews ---------------------------------------------------------------


def test_a_lead_sets_changes_and_removes_a_managers_plan(world, as_user):
    # given
    api = as_user(world["lead"])
    # when
    created = api.post(
        "/api/plans/",
        {
            "manager": world["me"].pk,
            "start": "2026-12-01",
            "end": "2026-12-31",
            "contracts": 4,
            "revenue": "20000",
        },
        format="json",
    )
    plan = created.json()["id"]
    updated = api.patch(f"/api/plans/{plan}/", {"contracts": 5, "meetings": 30}, format="json")
    deleted = api.delete(f"/api/plans/{plan}/")
    # then
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["manager"], body["set_by"], body["revenue"], body["calls"]) == (
        world["me"].pk,
        world["lead"].pk,
        "20000.00",
        None,
    )
    assert updated.status_code == 200, updated.json()
    assert (updated.json()["contracts"], updated.json()["meetings"]) == (5, 30)
    assert deleted.status_code == 204
    assert not Plan.objects.exists()


def test_plans_filter_and_order(world, as_user):
    # given
    november = records.plan(world["me"], 0, by=world["lead"])
    december = records.plan(world["me"], 1, by=world["lead"])
    mates = records.plan(world["mate"], 0, by=world["lead"])
    api = as_user(world["lead"])
    # when
    mine = api.get("/api/plans/", {"manager": world["me"].pk})
    covering = api.get("/api/plans/", {"active_on": "2026-12-24"})
    from_december = api.get("/api/plans/", {"start__gte": "2026-12-01"})
    of_team = api.get("/api/plans/", {"team": world["home"].pk, "ordering": "start"})
    as_me = as_user(world["me"]).get("/api/plans/")
    # then
    assert ids(mine) == [december.pk, november.pk]
    assert ids(covering) == ids(from_december) == [december.pk]
    assert set(ids(of_team)) == {november.pk, december.pk, mates.pk}
    assert ids(of_team)[-1] == december.pk
    assert ids(as_me) == [december.pk, november.pk]


def test_reviews_write_read_filter_delete(world, as_user):
    # given
    lead = as_user(world["lead"])
    # when
    created = lead.post(
        "/api/reviews/",
        {
            "manager": world["me"].pk,
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "notes": "Strong pipeline.",
        },
        format="json",
    )
    review = created.json()["id"]
    updated = lead.patch(f"/api/reviews/{review}/", {"notes": "Strong, late slips."}, format="json")
    older = records.review(world["me"], -1, by=world["lead"])
    of_me = lead.get("/api/reviews/", {"manager": world["me"].pk})
    recent = lead.get("/api/reviews/", {"period_start__gte": "2026-11-01"})
    read = as_user(world["me"]).get(f"/api/reviews/{review}/")
    deleted = as_user(world["lead"]).delete(f"/api/reviews/{older.pk}/")
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["author"] == world["lead"].pk
    assert updated.status_code == 200, updated.json()
    assert updated.json()["notes"] == "Strong, late slips."
    assert ids(of_me) == [review, older.pk]
    assert ids(recent) == [review]
    assert read.json()["notes"] == "Strong, late slips."
    assert deleted.status_code == 204
    assert list(PerformanceReview.objects.values_list("pk", flat=True)) == [review]


# --- teams, sectors, benchmarks ------------------------------------------------------


def test_an_admin_creates_changes_filters_and_deletes_a_team(world, as_user):
    # given
    api = as_user(world["admin"])
    consulting = factories.sector("consulting")
    # when
    created = api.post(
        "/api/teams/",
        {
            "name": "Consultants",
            "sector": consulting.pk,
            "timezone": "Europe/Vienna",
            "work_week": "1234",
            "holiday_country": "AT",
        },
        format="json",
    )
    team = created.json()["id"]
    updated = api.patch(f"/api/teams/{team}/", {"rotting_days": {"proposal": 7}}, format="json")
    by_sector = api.get("/api/teams/", {"sector": consulting.pk})
    by_name = api.get("/api/teams/", {"name": "CONSULT"})
    everyone = api.get("/api/teams/")
    deleted = api.delete(f"/api/teams/{team}/")
    # then
    assert created.status_code == 201, created.json()
    assert (created.json()["timezone"], created.json()["work_week"]) == ("Europe/Vienna", "1234")
    assert updated.json()["rotting_days"] == {"proposal": 7}
    assert ids(by_sector) == ids(by_name) == [team]
    assert ids(everyone) == [world["away"].pk, team, world["home"].pk]
    assert deleted.status_code == 204
    assert not Team.objects.filter(pk=team).exists()


def test_a_member_sees_their_own_team(world, as_user):
    # when
    response = as_user(world["me"]).get("/api/teams/")
    # then
    assert ids(response) == [world["home"].pk]


def test_sectors_and_benchmarks_are_read_by_all_and_kept_by_admins(world, as_user):
    # given
    api = as_user(world["admin"])
    # when
    sector = api.post("/api/sectors/", {"code": "retail", "name": "Retail"}, format="json")
    renamed = api.patch(
        f"/api/sectors/{sector.json()['id']}/", {"name": "Retail trade"}, format="json"
    )
    benchmark = api.post(
        "/api/benchmarks/",
        {
            "sector": sector.json()["id"],
            "metric": "meetings_per_day",
            "low": "3",
            "high": "5",
            "note": "Retail: 3-5 visits a day",
        },
        format="json",
    )
    raised = api.patch(f"/api/benchmarks/{benchmark.json()['id']}/", {"high": "6"}, format="json")
    reader = as_user(world["me"])
    retail = reader.get("/api/benchmarks/", {"sector": "retail"})
    meetings = reader.get("/api/benchmarks/", {"metric": "meetings_per_day"})
    sectors = reader.get("/api/sectors/")
    api = as_user(world["admin"])
    removed_benchmark = api.delete(f"/api/benchmarks/{benchmark.json()['id']}/")
    removed_sector = api.delete(f"/api/sectors/{sector.json()['id']}/")
    # then
    assert sector.status_code == 201, sector.json()
    assert renamed.json()["name"] == "Retail trade"
    assert benchmark.status_code == 201, benchmark.json()
    assert raised.json()["high"] == "6.0000"
    assert ids(retail) == [benchmark.json()["id"]]
    assert len(ids(meetings)) == 3  # b2b and consumer_goods are seeded
    assert "retail" in [row["code"] for row in sectors.json()["results"]]
    assert removed_benchmark.status_code == removed_sector.status_code == 204
    assert not Sector.objects.filter(code="retail").exists()
    assert not Benchmark.objects.filter(sector__code="retail").exists()
