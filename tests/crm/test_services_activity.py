"""Activity writes: contacts, calls, meetings and referrals, and how they move the funnel."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.models import (
    Call,
    CallDirection,
    CallKind,
    CallOutcome,
    Meeting,
    MeetingStatus,
    Prospect,
    Referral,
    ReferralStatus,
    Source,
    Stage,
    StageChange,
)
from tests import factories
from tests.factories import moment

NAIVE = datetime(2026, 11, 5, 10)  # noqa: DTZ001 (naive on purpose)


def _stage(prospect: Prospect) -> str:
    return Prospect.objects.values_list("stage", flat=True).get(pk=prospect.pk)


def _changes(prospect: Prospect) -> int:
    return StageChange.objects.filter(prospect=prospect).count()


# --- contacts ------------------------------------------------------------------------


def test_contact_create_and_update(manager):
    # given
    prospect = factories.prospect(manager)

    # when
    contact = services.contact_create(
        prospect=prospect, name="Dana Roe", title="CFO", email="dana@acme.example"
    )
    services.contact_update(contact=contact, data={"is_decision_maker": True, "phone": "+49 1"})

    # then
    contact.refresh_from_db()
    assert (contact.prospect, contact.name, contact.title) == (prospect, "Dana Roe", "CFO")
    assert (contact.is_decision_maker, contact.phone) == (True, "+49 1")


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"email": "not-an-email"}, "email"), ({"name": ""}, "name")]
)
def test_contact_create_refuses_bad_values(manager, nothing_written, kwargs, field):
    # given
    prospect = factories.prospect(manager)
    arguments = {"prospect": prospect, "name": "Dana"} | kwargs

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.contact_create(**arguments)
    assert field in refused.value.message_dict


@pytest.mark.parametrize(
    ("data", "field"), [({"prospect": None}, "prospect"), ({"email": "x"}, "email")]
)
def test_contact_update_refuses_other_fields_and_bad_values(manager, data, field):
    # given
    contact = factories.contact(factories.prospect(manager))

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.contact_update(contact=contact, data=data)
    assert field in refused.value.message_dict
    contact.refresh_from_db()
    assert (contact.email, contact.prospect_id) == ("", contact.prospect.pk)


# --- calls ---------------------------------------------------------------------------


def test_call_log_stores_the_call(manager):
    # given
    prospect = factories.prospect(manager, stage=Stage.MEETING)

    # when
    call = services.call_log(
        manager=manager,
        prospect=prospect,
        at=moment(4, 14),
        outcome=CallOutcome.NO_ANSWER,
        by=manager,
        duration=timedelta(minutes=3),
        direction=CallDirection.INBOUND,
        kind=CallKind.FOLLOW_UP,
        notes="left a message",
    )

    # then
    call.refresh_from_db()
    assert (call.manager, call.prospect, call.at, call.duration) == (
        manager,
        prospect,
        moment(4, 14),
        timedelta(minutes=3),
    )
    assert (call.direction, call.kind, call.outcome, call.notes) == (
        "inbound",
        "follow_up",
        "no_answer",
        "left a message",
    )


def test_a_cold_call_needs_no_prospect(manager):
    # when
    call = services.call_log(manager=manager, at=moment(4), outcome=CallOutcome.REFUSED, by=manager)

    # then
    assert Call.objects.get(pk=call.pk).prospect is None


@pytest.mark.parametrize("outcome", [CallOutcome.TALKED, CallOutcome.MEETING_BOOKED])
def test_reaching_a_lead_by_phone_moves_it_to_contacted(manager, lead, outcome):
    # given
    prospect = factories.prospect(manager)

    # when a lead of the team logs the call on the manager's behalf
    services.call_log(
        manager=manager, prospect=prospect, at=moment(4, 15), outcome=outcome, by=lead
    )

    # then
    assert _stage(prospect) == prospect.stage == Stage.CONTACTED
    change = StageChange.objects.filter(prospect=prospect).last()
    assert (change.from_stage, change.to_stage, change.by, change.changed_at) == (
        Stage.LEAD,
        Stage.CONTACTED,
        lead,
        moment(4, 15),
    )


@pytest.mark.parametrize("outcome", [CallOutcome.NO_ANSWER, CallOutcome.REFUSED])
def test_a_call_that_reached_nobody_does_not_move_a_lead(manager, outcome):
    # given
    prospect = factories.prospect(manager)

    # when
    services.call_log(manager=manager, prospect=prospect, at=moment(4), outcome=outcome, by=manager)

    # then
    assert _stage(prospect) == Stage.LEAD
    assert _changes(prospect) == 1


@pytest.mark.parametrize("stage", [Stage.CONTACTED, Stage.MEETING, Stage.PROPOSAL])
def test_a_call_never_moves_a_prospect_past_lead_back(manager, stage):
    # given
    prospect = factories.prospect(manager, stage=stage)

    # when
    services.call_log(
        manager=manager, prospect=prospect, at=moment(4), outcome=CallOutcome.TALKED, by=manager
    )

    # then
    assert _stage(prospect) == stage
    assert _changes(prospect) == 1


def test_a_call_does_not_reopen_a_lost_or_touch_a_signed_prospect(manager):
    # given
    lost = services.prospect_lose(
        prospect=factories.prospect(manager, name="L"), reason="no", by=manager, at=moment(3)
    )
    signed = services.prospect_sign(
        prospect=factories.prospect(manager, name="S"),
        contract_value=Decimal(10),
        signed_on=date(2026, 11, 3),
        by=manager,
    )

    # when
    for prospect in (lost, signed):
        services.call_log(
            manager=manager,
            prospect=prospect,
            at=moment(5),
            outcome=CallOutcome.MEETING_BOOKED,
            by=manager,
        )

    # then
    assert (_stage(lost), _stage(signed)) == (Stage.LOST, Stage.CONTRACT)
    assert (_changes(lost), _changes(signed)) == (2, 2)


def test_a_manager_cannot_log_a_call_against_another_managers_prospect(
    manager, stranger, nothing_written
):
    # given
    theirs = factories.prospect(stranger)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.call_log(
            manager=manager, prospect=theirs, at=moment(4), outcome=CallOutcome.TALKED, by=manager
        )
    assert "prospect" in refused.value.message_dict
    assert _stage(theirs) == Stage.LEAD


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"at": NAIVE}, "at"),
        ({"at": date(2026, 11, 5)}, "at"),
        ({"duration": timedelta(seconds=-1)}, "duration"),
        ({"outcome": "voicemail"}, "outcome"),
        ({"direction": "sideways"}, "direction"),
        ({"kind": "warm"}, "kind"),
    ],
)
def test_call_log_refuses_bad_values_and_writes_nothing(manager, nothing_written, kwargs, field):
    # given
    prospect = factories.prospect(manager)
    arguments = {"at": moment(4), "outcome": CallOutcome.TALKED} | kwargs

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.call_log(manager=manager, prospect=prospect, by=manager, **arguments)
    assert field in refused.value.message_dict
    assert _stage(prospect) == Stage.LEAD


# --- meetings: planning and editing --------------------------------------------------------


def test_meeting_plan_stores_a_planned_meeting_with_its_attendees(manager):
    # given
    prospect = factories.prospect(manager)
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    clerk = factories.contact(prospect, name="Clerk")

    # when
    meeting = services.meeting_plan(
        manager=manager,
        prospect=prospect,
        starts_at=moment(5, 10),
        ends_at=moment(5, 11),
        by=manager,
        location="Acme HQ",
        attendees=[boss, clerk],
    )

    # then
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.location) == ("planned", 0, "Acme HQ")
    assert (meeting.starts_at, meeting.ends_at) == (moment(5, 10), moment(5, 11))
    assert set(meeting.attendees.all()) == {boss, clerk}
    assert meeting.decision_maker_present is True
    assert _stage(prospect) == Stage.LEAD  # planning is not holding


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (moment(5, 10), moment(5, 10), "ends_at"),
        (moment(5, 10), moment(5, 9), "ends_at"),
        (NAIVE, moment(5, 11), "starts_at"),
        (moment(5, 10), NAIVE + timedelta(hours=1), "ends_at"),
    ],
)
def test_meeting_plan_refuses_bad_times_and_writes_nothing(
    manager, nothing_written, starts_at, ends_at, field
):
    # given
    prospect = factories.prospect(manager)
    contact = factories.contact(prospect)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_plan(
            manager=manager,
            prospect=prospect,
            starts_at=starts_at,
            ends_at=ends_at,
            by=manager,
            attendees=[contact],
        )
    assert field in refused.value.message_dict


def test_a_manager_cannot_plan_a_meeting_with_another_managers_prospect(
    manager, stranger, nothing_written
):
    # given
    theirs = factories.prospect(stranger)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_plan(
            manager=manager, prospect=theirs, starts_at=moment(5), ends_at=moment(6), by=manager
        )
    assert "prospect" in refused.value.message_dict


def test_attendees_must_be_contacts_of_the_meetings_prospect(manager, nothing_written):
    # given
    prospect = factories.prospect(manager, name="Mine")
    elsewhere = factories.contact(factories.prospect(manager, name="Other"))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_plan(
            manager=manager,
            prospect=prospect,
            starts_at=moment(5),
            ends_at=moment(5, 11),
            by=manager,
            attendees=[elsewhere],
        )
    assert "attendees" in refused.value.message_dict


def test_meeting_update_recomputes_the_decision_maker_from_new_attendees(manager):
    # given
    prospect = factories.prospect(manager)
    clerk = factories.contact(prospect, name="Clerk")
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    meeting = factories.meeting(prospect, attendees=[clerk])
    assert meeting.decision_maker_present is False

    # when
    services.meeting_update(meeting=meeting, data={"attendees": [clerk, boss], "notes": "agenda"})

    # then
    meeting.refresh_from_db()
    assert set(meeting.attendees.all()) == {clerk, boss}
    assert (meeting.decision_maker_present, meeting.notes) == (True, "agenda")
    assert meeting.sequence == 0


def test_meeting_update_keeps_a_decision_maker_flag_set_by_hand(manager):
    # given
    prospect = factories.prospect(manager)
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    meeting = factories.meeting(prospect)

    # when
    services.meeting_update(
        meeting=meeting, data={"attendees": [boss], "decision_maker_present": False}
    )

    # then
    meeting.refresh_from_db()
    assert meeting.decision_maker_present is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"starts_at": moment(6)}, "starts_at"),
        ({"ends_at": moment(6)}, "ends_at"),
        ({"status": MeetingStatus.HELD}, "status"),
        ({"prospect": None}, "prospect"),
        ({"manager": None}, "manager"),
        ({"sequence": 9}, "sequence"),
    ],
)
def test_meeting_update_refuses_fields_that_have_their_own_service(manager, data, field):
    # given
    meeting = factories.meeting(factories.prospect(manager))

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.meeting_update(meeting=meeting, data=data)
    assert field in refused.value.message_dict
    meeting.refresh_from_db()
    assert (meeting.status, meeting.starts_at, meeting.sequence) == ("planned", moment(5), 0)


def test_meeting_update_refuses_attendees_of_another_prospect(manager, nothing_written):
    # given
    meeting = factories.meeting(factories.prospect(manager, name="Mine"))
    elsewhere = factories.contact(factories.prospect(manager, name="Other"))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_update(meeting=meeting, data={"attendees": [elsewhere]})
    assert "attendees" in refused.value.message_dict


# --- meetings: holding -------------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.LEAD, Stage.CONTACTED])
def test_a_held_meeting_moves_a_prospect_below_meeting_to_meeting(manager, lead, stage):
    # given
    prospect = factories.prospect(manager, stage=stage)
    meeting = factories.meeting(prospect, starts_at=moment(5, 10))

    # when
    held = services.meeting_hold(meeting=meeting, by=lead, at=moment(5, 12))

    # then
    assert Meeting.objects.get(pk=held.pk).status == MeetingStatus.HELD
    assert _stage(prospect) == Stage.MEETING
    change = StageChange.objects.filter(prospect=prospect).last()
    assert (change.from_stage, change.to_stage, change.by) == (stage, Stage.MEETING, lead)
    assert change.changed_at == moment(5, 10)  # the meeting happened when it started


@pytest.mark.parametrize("stage", [Stage.MEETING, Stage.PROPOSAL])
def test_a_held_meeting_never_moves_a_prospect_back(manager, stage):
    # given
    prospect = factories.prospect(manager, stage=stage)
    meeting = factories.meeting(prospect)

    # when
    services.meeting_hold(meeting=meeting, by=manager, at=moment(6))

    # then
    assert _stage(prospect) == stage
    assert _changes(prospect) == 1


def test_a_held_meeting_does_not_move_a_lost_prospect(manager):
    # given
    prospect = factories.prospect(manager)
    meeting = factories.meeting(prospect)
    services.prospect_lose(prospect=prospect, reason="no", by=manager, at=moment(3))

    # when
    services.meeting_hold(meeting=meeting, by=manager, at=moment(6))

    # then
    assert _stage(prospect) == Stage.LOST


@pytest.mark.parametrize(("boss_attends", "expected"), [(True, True), (False, False)])
def test_holding_defaults_decision_maker_present_to_the_attendees(manager, boss_attends, expected):
    # given
    prospect = factories.prospect(manager)
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    clerk = factories.contact(prospect, name="Clerk")
    meeting = factories.meeting(prospect, attendees=[boss, clerk] if boss_attends else [clerk])

    # when
    services.meeting_hold(meeting=meeting, by=manager, at=moment(6))

    # then
    assert Meeting.objects.get(pk=meeting.pk).decision_maker_present is expected


def test_holding_reads_the_decision_maker_flag_of_contacts_as_they_are_now(manager):
    # given a clerk who was promoted to decision maker after the meeting was planned
    prospect = factories.prospect(manager)
    clerk = factories.contact(prospect, name="Clerk")
    meeting = factories.meeting(prospect, attendees=[clerk])
    services.contact_update(contact=clerk, data={"is_decision_maker": True})

    # when
    services.meeting_hold(meeting=meeting, by=manager, at=moment(6))

    # then
    assert Meeting.objects.get(pk=meeting.pk).decision_maker_present is True


@pytest.mark.parametrize(("boss_attends", "by_hand"), [(True, False), (False, True)])
def test_decision_maker_present_can_be_set_by_hand(manager, boss_attends, by_hand):
    # given
    prospect = factories.prospect(manager)
    boss = factories.contact(prospect, name="Boss", is_decision_maker=True)
    meeting = factories.meeting(prospect, attendees=[boss] if boss_attends else [])

    # when
    services.meeting_hold(meeting=meeting, by=manager, decision_maker_present=by_hand, at=moment(6))

    # then
    assert Meeting.objects.get(pk=meeting.pk).decision_maker_present is by_hand


def test_a_future_meeting_cannot_be_held_or_a_no_show(manager, nothing_written):
    # given
    prospect = factories.prospect(manager)
    meeting = factories.meeting(prospect, starts_at=moment(20, 10))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_hold(meeting=meeting, by=manager, at=moment(20, 9, 59))
    assert "starts_at" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.meeting_no_show(meeting=meeting, by=manager, at=moment(19))
    assert "starts_at" in refused.value.message_dict
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.PLANNED
    assert _stage(prospect) == Stage.LEAD


def test_a_meeting_can_be_held_once_it_has_started(manager):
    # given
    meeting = factories.meeting(factories.prospect(manager), starts_at=moment(20, 10))

    # when
    services.meeting_hold(meeting=meeting, by=manager, at=moment(20, 10))

    # then
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.HELD


def test_holding_refuses_a_naive_time(manager):
    # given
    meeting = factories.meeting(factories.prospect(manager))

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.meeting_hold(meeting=meeting, by=manager, at=NAIVE)
    assert "at" in refused.value.message_dict


@pytest.mark.parametrize(
    "close",
    [
        lambda m, u: services.meeting_hold(meeting=m, by=u, at=moment(6)),
        lambda m, u: services.meeting_cancel(meeting=m, by=u),
        lambda m, u: services.meeting_no_show(meeting=m, by=u, at=moment(6)),
    ],
    ids=["held", "cancelled", "no_show"],
)
@pytest.mark.parametrize(
    "again",
    [
        lambda m, u: services.meeting_hold(meeting=m, by=u, at=moment(6)),
        lambda m, u: services.meeting_cancel(meeting=m, by=u),
        lambda m, u: services.meeting_no_show(meeting=m, by=u, at=moment(6)),
    ],
    ids=["hold", "cancel", "no_show"],
)
def test_only_a_planned_meeting_can_be_held_cancelled_or_a_no_show(
    manager, nothing_written, close, again
):
    # given
    meeting = factories.meeting(factories.prospect(manager))
    close(meeting, manager)
    before = Meeting.objects.values("status", "sequence").get(pk=meeting.pk)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        again(meeting, manager)
    assert "status" in refused.value.message_dict
    assert Meeting.objects.values("status", "sequence").get(pk=meeting.pk) == before


# --- meetings: cancel, no-show, reschedule -------------------------------------------------


def test_cancel_keeps_the_meeting_and_raises_its_sequence(manager):
    # given
    meeting = factories.meeting(factories.prospect(manager))

    # when
    services.meeting_cancel(meeting=meeting, by=manager)

    # then
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (MeetingStatus.CANCELLED, 1)
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_no_show_marks_the_meeting_and_does_not_move_the_prospect(manager):
    # given
    prospect = factories.prospect(manager)
    meeting = factories.meeting(prospect)

    # when
    services.meeting_no_show(meeting=meeting, by=manager, at=moment(6))

    # then
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.NO_SHOW
    assert _stage(prospect) == Stage.LEAD


def test_reschedule_moves_the_meeting_and_raises_sequence_each_time(manager):
    # given
    meeting = factories.meeting(factories.prospect(manager), starts_at=moment(5, 10))
    assert meeting.sequence == 0

    # when
    services.meeting_reschedule(
        meeting=meeting, starts_at=moment(6, 10), ends_at=moment(6, 11), by=manager
    )
    services.meeting_reschedule(
        meeting=meeting, starts_at=moment(9, 14), ends_at=moment(9, 15, 30), by=manager
    )

    # then
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ends_at) == (moment(9, 14), moment(9, 15, 30))
    assert (meeting.status, meeting.sequence) == (MeetingStatus.PLANNED, 2)
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize(
    "close",
    [
        lambda m, u: services.meeting_cancel(meeting=m, by=u),
        lambda m, u: services.meeting_no_show(meeting=m, by=u, at=moment(6)),
    ],
    ids=["cancelled", "no_show"],
)
def test_rescheduling_a_cancelled_or_missed_meeting_plans_it_again(manager, close):
    # given
    meeting = factories.meeting(factories.prospect(manager))
    close(meeting, manager)
    sequence = Meeting.objects.get(pk=meeting.pk).sequence

    # when
    services.meeting_reschedule(
        meeting=meeting, starts_at=moment(12), ends_at=moment(12, 11), by=manager
    )

    # then
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (MeetingStatus.PLANNED, sequence + 1)


def test_a_held_meeting_cannot_be_rescheduled(manager, nothing_written):
    # given
    meeting = factories.meeting(factories.prospect(manager), starts_at=moment(5, 10))
    services.meeting_hold(meeting=meeting, by=manager, at=moment(5, 11))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.meeting_reschedule(
            meeting=meeting, starts_at=moment(7), ends_at=moment(7, 11), by=manager
        )
    assert "status" in refused.value.message_dict
    meeting.refresh_from_db()
    assert (meeting.status, meeting.starts_at, meeting.sequence) == ("held", moment(5, 10), 0)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (moment(7, 10), moment(7, 10), "ends_at"),
        (moment(7, 10), moment(7, 9), "ends_at"),
        (NAIVE, moment(7, 11), "starts_at"),
        (moment(7, 10), NAIVE, "ends_at"),
    ],
)
def test_reschedule_refuses_bad_times(manager, starts_at, ends_at, field):
    # given
    meeting = factories.meeting(factories.prospect(manager), starts_at=moment(5, 10))

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.meeting_reschedule(meeting=meeting, starts_at=starts_at, ends_at=ends_at, by=None)
    assert field in refused.value.message_dict
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ends_at, meeting.sequence) == (
        moment(5, 10),
        moment(5, 11),
        0,
    )


# --- referrals -----------------------------------------------------------------------


def test_referral_ask_records_the_ask(manager):
    # given
    client = factories.prospect(manager, name="Client")

    # when
    referral = services.referral_ask(
        manager=manager, from_prospect=client, asked_on=date(2026, 11, 3), by=manager, notes="n"
    )

    # then
    referral.refresh_from_db()
    assert (referral.manager, referral.from_prospect, referral.asked_on) == (
        manager,
        client,
        date(2026, 11, 3),
    )
    assert (referral.status, referral.referred_prospect, referral.answered_on) == (
        ReferralStatus.ASKED,
        None,
        None,
    )


def test_a_manager_cannot_ask_another_managers_client(manager, stranger, nothing_written):
    # given
    theirs = factories.prospect(stranger)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_ask(
            manager=manager, from_prospect=theirs, asked_on=date(2026, 11, 3), by=manager
        )
    assert "from_prospect" in refused.value.message_dict


def test_receive_links_an_existing_prospect_whose_source_becomes_referral(manager):
    # given
    referral = factories.referral(factories.prospect(manager, name="Client"))
    referred = factories.prospect(manager, name="Friend", source=Source.COLD_CALL)

    # when
    services.referral_receive(
        referral=referral, by=manager, referred_prospect=referred, received_on=date(2026, 11, 8)
    )

    # then
    referral.refresh_from_db()
    assert (referral.status, referral.referred_prospect, referral.answered_on) == (
        ReferralStatus.RECEIVED,
        referred,
        date(2026, 11, 8),
    )
    assert Prospect.objects.get(pk=referred.pk).source == Source.REFERRAL


def test_receive_by_name_creates_the_referred_prospect_with_its_history(manager):
    # given
    referral = factories.referral(factories.prospect(manager, name="Client"))

    # when received late on the 8th UTC, already the 9th in the team's Berlin time
    received_at = datetime(2026, 11, 8, 23, 30, tzinfo=UTC)
    services.referral_receive(referral=referral, by=manager, name="  Friend Ltd ", at=received_at)

    # then
    referral.refresh_from_db()
    referred = referral.referred_prospect
    assert (referred.name, referred.owner, referred.source, referred.stage) == (
        "Friend Ltd",
        manager,
        Source.REFERRAL,
        Stage.LEAD,
    )
    assert referred.created_at == received_at
    assert referral.answered_on == date(2026, 11, 9)
    assert list(referred.stage_changes.values_list("from_stage", "to_stage")) == [("", "lead")]


def test_receive_needs_a_prospect_or_a_name(manager, nothing_written):
    # given
    referral = factories.referral(factories.prospect(manager))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(referral=referral, by=manager, name="  ")
    assert "referred_prospect" in refused.value.message_dict


def test_a_referral_cannot_refer_the_client_who_referred(manager, nothing_written):
    # given
    client = factories.prospect(manager, name="Client")
    referral = factories.referral(client)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(referral=referral, by=manager, referred_prospect=client)
    assert "referred_prospect" in refused.value.message_dict
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ASKED
    assert Prospect.objects.get(pk=client.pk).source == Source.OTHER


def test_a_referral_cannot_link_another_managers_prospect(manager, stranger, nothing_written):
    # given
    referral = factories.referral(factories.prospect(manager, name="Client"))
    theirs = factories.prospect(stranger, name="Theirs")

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(referral=referral, by=manager, referred_prospect=theirs)
    assert "referred_prospect" in refused.value.message_dict
    assert Prospect.objects.get(pk=theirs.pk).source == Source.OTHER


def test_a_prospect_comes_from_one_referral_only(manager, nothing_written):
    # given
    friend = factories.prospect(manager, name="Friend")
    first = factories.referral(factories.prospect(manager, name="Client A"))
    second = factories.referral(factories.prospect(manager, name="Client B"))
    services.referral_receive(referral=first, by=manager, referred_prospect=friend)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(referral=second, by=manager, referred_prospect=friend)
    assert "referred_prospect" in refused.value.message_dict


def test_an_event_sourced_prospect_cannot_be_claimed_by_a_referral(manager, nothing_written):
    # given
    referral = factories.referral(factories.prospect(manager, name="Client"))
    met = factories.prospect(
        manager, name="Met", source=Source.EVENT, source_event=factories.event()
    )

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(referral=referral, by=manager, referred_prospect=met)
    assert "referred_prospect" in refused.value.message_dict


@pytest.mark.parametrize(
    "answer",
    [
        lambda r, u, p: services.referral_receive(referral=r, by=u, referred_prospect=p),
        lambda r, u, p: services.referral_receive(referral=r, by=u, name="Another"),
        lambda r, u, p: services.referral_decline(referral=r, by=u),
    ],
    ids=["receive", "receive_by_name", "decline"],
)
@pytest.mark.parametrize("first", ["received", "declined"])
def test_a_referral_is_answered_once(manager, nothing_written, answer, first):
    # given
    referral = factories.referral(factories.prospect(manager, name="Client"))
    if first == "received":
        services.referral_receive(referral=referral, by=manager, name="Friend")
    else:
        services.referral_decline(referral=referral, by=manager)
    spare = factories.prospect(manager, name="Spare")

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        answer(referral, manager, spare)
    assert "status" in refused.value.message_dict
    assert Referral.objects.get(pk=referral.pk).status == first


def test_decline_records_the_day(manager):
    # given
    referral = factories.referral(factories.prospect(manager), asked_on=date(2026, 11, 3))

    # when
    services.referral_decline(referral=referral, by=manager, declined_on=date(2026, 11, 4))

    # then
    referral.refresh_from_db()
    assert (referral.status, referral.answered_on, referral.referred_prospect) == (
        ReferralStatus.DECLINED,
        date(2026, 11, 4),
        None,
    )


def test_a_referral_is_not_answered_before_it_was_asked(manager, nothing_written):
    # given
    referral = factories.referral(factories.prospect(manager), asked_on=date(2026, 11, 10))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_receive(
            referral=referral, by=manager, name="Early", received_on=date(2026, 11, 9)
        )
    assert "received_on" in refused.value.message_dict
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.referral_decline(referral=referral, by=manager, declined_on=date(2026, 11, 9))
    assert "declined_on" in refused.value.message_dict
