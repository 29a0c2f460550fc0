"""The database itself refuses rows that break SPEC section 2, whatever path writes them.

Each bad row is written around the services (``objects.create``, ``bulk_create``,
``update``), inside ``transaction.atomic()`` so the refused statement rolls back alone.
Each model also has a test that a valid row of the same shape is accepted, so a refusal
is caused by the one bad value and not by the rest of the row.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Model

from crm.models import (
    Call,
    Meeting,
    Profile,
    Prospect,
    Referral,
    ReferralStatus,
    Source,
    Stage,
    StageChange,
    Team,
)
from events.models import Event, EventAttendance
from funnel.models import Benchmark, PerformanceReview, Plan
from tests import factories
from tests.factories import moment


def _refused(model: type[Model], row: dict[str, Any], constraint: str | None) -> None:
    """Assert that inserting ``row`` breaks ``constraint`` (by name when the database says it)."""
    before = model.objects.count()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        model.objects.create(**row)
    assert model.objects.count() == before


def _prospect(owner, **overrides: Any) -> dict[str, Any]:
    return {"owner": owner, "name": "Raw", "stage": Stage.LEAD} | overrides


@pytest.fixture
def prospect(manager) -> Prospect:
    return factories.prospect(manager)


# --- prospects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"expected_value": Decimal(0), "contract_value": Decimal(0)},
        {"stage": Stage.CONTRACT, "contract_value": Decimal(1), "signed_on": date(2026, 11, 5)},
        {"stage": Stage.LOST, "lost_reason": "no budget", "lost_on": date(2026, 11, 5)},
    ],
)
def test_a_valid_prospect_row_is_accepted(manager, overrides):
    # when
    Prospect.objects.create(**_prospect(manager, **overrides))

    # then
    assert Prospect.objects.count() == 1


def test_a_prospect_sourced_at_an_event_row_is_accepted(manager):
    # when
    Prospect.objects.create(
        **_prospect(manager, source=Source.EVENT, source_event=factories.event())
    )

    # then
    assert Prospect.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"expected_value": Decimal("-0.01")}, "prospect_expected_value_not_negative"),
        ({"contract_value": Decimal("-1")}, "prospect_contract_value_not_negative"),
        ({"stage": Stage.CONTRACT}, "prospect_contract_has_value_and_date"),
        (
            {"stage": Stage.CONTRACT, "contract_value": Decimal(1)},
            "prospect_contract_has_value_and_date",
        ),
        (
            {"stage": Stage.CONTRACT, "signed_on": date(2026, 11, 5)},
            "prospect_contract_has_value_and_date",
        ),
        ({"stage": Stage.LOST, "lost_on": date(2026, 11, 5)}, "prospect_lost_has_reason_and_date"),
        ({"stage": Stage.LOST, "lost_reason": "no"}, "prospect_lost_has_reason_and_date"),
        ({"source": Source.EVENT}, "prospect_event_source_names_event"),
        ({"stage": "won"}, "prospect_stage_known"),
        ({"source": "billboard"}, "prospect_source_known"),
    ],
)
def test_the_database_refuses_a_bad_prospect_row(manager, overrides, constraint):
    # when / then
    _refused(Prospect, _prospect(manager, **overrides), constraint)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"stage": Stage.CONTRACT}, "prospect_contract_has_value_and_date"),
        ({"stage": Stage.LOST}, "prospect_lost_has_reason_and_date"),
        ({"expected_value": Decimal("-5")}, "prospect_expected_value_not_negative"),
        ({"source": Source.EVENT}, "prospect_event_source_names_event"),
    ],
)
def test_the_database_refuses_a_bulk_update_that_breaks_a_prospect(prospect, changes, constraint):
    # when / then
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Prospect.objects.filter(pk=prospect.pk).update(**changes)
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.LEAD


def test_the_database_refuses_a_bad_row_in_a_bulk_create(manager):
    # given one good and one signed-without-value row
    rows = [
        Prospect(**_prospect(manager, name="Good")),
        Prospect(**_prospect(manager, name="Bad", stage=Stage.CONTRACT)),
    ]

    # when / then none of them is written
    bad = "prospect_contract_has_value_and_date"
    with pytest.raises(IntegrityError, match=bad), transaction.atomic():
        Prospect.objects.bulk_create(rows)
    assert not Prospect.objects.exists()


# --- history -------------------------------------------------------------------------


def test_a_valid_stage_change_row_is_accepted(prospect):
    # when
    StageChange.objects.create(
        prospect=prospect, owner=prospect.owner, from_stage=Stage.LEAD, to_stage=Stage.MEETING
    )

    # then
    assert StageChange.objects.filter(prospect=prospect).count() == 2


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "constraint"),
    [
        (Stage.MEETING, Stage.MEETING, "stagechange_changes_stage"),
        (Stage.LEAD, "won", "stagechange_to_known"),
    ],
)
def test_the_database_refuses_a_bad_stage_change(prospect, from_stage, to_stage, constraint):
    # when / then
    row = {
        "prospect": prospect,
        "owner": prospect.owner,
        "from_stage": from_stage,
        "to_stage": to_stage,
    }
    _refused(StageChange, row, constraint)


# --- calls and meetings --------------------------------------------------------------


def _call(manager, **overrides: Any) -> dict[str, Any]:
    return {"manager": manager, "at": moment(4), "outcome": "talked"} | overrides


def _meeting(prospect: Prospect, **overrides: Any) -> dict[str, Any]:
    return {
        "manager": prospect.owner,
        "prospect": prospect,
        "starts_at": moment(5, 10),
        "ends_at": moment(5, 11),
    } | overrides


def test_valid_call_and_meeting_rows_are_accepted(prospect):
    # when
    Call.objects.create(**_call(prospect.owner, duration=timedelta(0)))
    Meeting.objects.create(**_meeting(prospect, ends_at=moment(5, 10, 1)))
    Meeting.objects.create(**_meeting(prospect, ics_uid="abc@calendar"))

    # then
    assert (Call.objects.count(), Meeting.objects.count()) == (1, 2)


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"duration": timedelta(seconds=-1)}, "call_duration_not_negative"),
        ({"outcome": "voicemail"}, "call_outcome_known"),
    ],
)
def test_the_database_refuses_a_bad_call(manager, overrides, constraint):
    # when / then
    _refused(Call, _call(manager, **overrides), constraint)


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"ends_at": moment(5, 10)}, "meeting_ends_after_start"),
        ({"ends_at": moment(5, 9)}, "meeting_ends_after_start"),
        ({"status": "postponed"}, "meeting_status_known"),
        ({"sequence": -1}, None),
    ],
)
def test_the_database_refuses_a_bad_meeting(prospect, overrides, constraint):
    # when / then
    _refused(Meeting, _meeting(prospect, **overrides), constraint)


def test_the_database_refuses_a_meeting_ending_before_it_starts_in_bulk(prospect):
    # given
    rows = [Meeting(**_meeting(prospect)), Meeting(**_meeting(prospect, ends_at=moment(5, 9)))]

    # when / then
    with pytest.raises(IntegrityError, match="meeting_ends_after_start"), transaction.atomic():
        Meeting.objects.bulk_create(rows)
    assert not Meeting.objects.exists()


def test_the_database_refuses_moving_a_meeting_end_before_its_start(prospect):
    # given
    meeting = Meeting.objects.create(**_meeting(prospect))

    # when / then
    with pytest.raises(IntegrityError, match="meeting_ends_after_start"), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(ends_at=moment(5, 8))


def test_an_imported_uid_is_unique_per_manager_only(prospect, stranger):
    # given
    Meeting.objects.create(**_meeting(prospect, ics_uid="x@cal"))
    Meeting.objects.create(**_meeting(prospect))  # an empty uid may repeat
    Meeting.objects.create(**_meeting(prospect))
    theirs = factories.prospect(stranger)
    Meeting.objects.create(**_meeting(theirs, ics_uid="x@cal"))

    # when / then
    _refused(Meeting, _meeting(prospect, ics_uid="x@cal"), None)


# --- referrals -----------------------------------------------------------------------


def _referral(prospect: Prospect, **overrides: Any) -> dict[str, Any]:
    row = {"manager": prospect.owner, "from_prospect": prospect, "asked_on": date(2026, 11, 3)}
    return row | overrides


def test_valid_referral_rows_are_accepted(manager, prospect):
    # given
    friend = factories.prospect(manager, name="Friend")

    # when
    Referral.objects.create(**_referral(prospect))
    Referral.objects.create(
        **_referral(prospect),
        status=ReferralStatus.RECEIVED,
        referred_prospect=friend,
        answered_on=date(2026, 11, 4),
    )
    Referral.objects.create(
        **_referral(prospect), status=ReferralStatus.DECLINED, answered_on=date(2026, 11, 4)
    )

    # then
    assert Referral.objects.count() == 3


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        (
            {"status": "received", "referred_prospect": "self", "answered_on": date(2026, 11, 4)},
            "referral_not_self",
        ),
        ({"referred_prospect": "self"}, "referral_not_self"),
        (
            {"status": ReferralStatus.RECEIVED, "answered_on": date(2026, 11, 4)},
            "referral_received_names_prospect",
        ),
        ({"status": ReferralStatus.DECLINED}, "referral_answer_dated"),
        ({"status": "maybe", "answered_on": date(2026, 11, 4)}, "referral_status_known"),
    ],
)
def test_the_database_refuses_a_bad_referral(prospect, overrides, constraint):
    # given
    if overrides.get("referred_prospect") == "self":
        overrides = overrides | {"referred_prospect": prospect}

    # when / then
    _refused(Referral, _referral(prospect) | overrides, constraint)


def test_the_database_refuses_a_referral_updated_to_refer_its_own_client(prospect):
    # given
    referral = Referral.objects.create(**_referral(prospect))

    # when / then
    with pytest.raises(IntegrityError, match="referral_not_self"), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(referred_prospect=prospect)


# --- people --------------------------------------------------------------------------


def test_the_database_refuses_an_unknown_role(manager):
    # when / then
    with pytest.raises(IntegrityError, match="profile_role_known"), transaction.atomic():
        Profile.objects.filter(user=manager).update(role="intern")


def test_calendar_tokens_are_unique_in_the_database(manager, stranger, team):
    # given
    token = Profile.objects.get(user=manager).calendar_token

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.filter(user=stranger).update(calendar_token=token)
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.exclude(pk=team.pk).update(team_calendar_token=team.team_calendar_token)


# --- events --------------------------------------------------------------------------


def _event(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Raw expo",
        "kind": "conference",
        "starts_at": moment(10, 9),
        "ends_at": moment(10, 17),
    } | overrides


def test_valid_event_and_attendance_rows_are_accepted(manager):
    # when
    event = Event.objects.create(**_event(cost=Decimal(0)))
    EventAttendance.objects.create(event=event, manager=manager)

    # then
    assert (Event.objects.count(), EventAttendance.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"ends_at": moment(10, 9)}, "event_ends_after_start"),
        ({"ends_at": moment(9, 9)}, "event_ends_after_start"),
        ({"cost": Decimal("-0.01")}, "event_cost_not_negative"),
        ({"kind": "party"}, "event_kind_known"),
    ],
)
def test_the_database_refuses_a_bad_event(db, overrides, constraint):
    # when / then
    _refused(Event, _event(**overrides), constraint)


def test_the_database_refuses_a_second_attendance_and_an_unknown_status(manager):
    # given
    event = Event.objects.create(**_event())
    EventAttendance.objects.create(event=event, manager=manager)

    # when / then
    _refused(EventAttendance, {"event": event, "manager": manager}, None)
    other = Event.objects.create(**_event(name="Other"))
    _refused(
        EventAttendance,
        {"event": other, "manager": manager, "status": "maybe"},
        "attendance_status_known",
    )


# --- plans, reviews, benchmarks --------------------------------------------------------


def test_valid_plan_review_and_benchmark_rows_are_accepted(manager):
    # when
    Plan.objects.create(manager=manager, start=date(2026, 11, 1), end=date(2026, 11, 1), calls=0)
    PerformanceReview.objects.create(
        manager=manager, period_start=date(2026, 11, 1), period_end=date(2026, 11, 1), notes="ok"
    )
    Benchmark.objects.create(sector=factories.sector("b2b"), metric="win_rate", low=1, high=1)

    # then
    assert (Plan.objects.count(), PerformanceReview.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"end": date(2026, 10, 31)}, "plan_dates_ordered"),
        ({"revenue": Decimal("-1")}, "plan_revenue_not_negative"),
        ({"contracts": -1}, None),
        ({"calls": -1}, None),
    ],
)
def test_the_database_refuses_a_bad_plan(manager, overrides, constraint):
    # given
    row = {"manager": manager, "start": date(2026, 11, 1), "end": date(2026, 11, 30)} | overrides

    # when / then
    _refused(Plan, row, constraint)


def test_the_database_refuses_a_bad_review(manager):
    # given
    row = {"manager": manager, "period_start": date(2026, 11, 1), "notes": "n"}
    PerformanceReview.objects.create(**row, period_end=date(2026, 11, 30))

    # when / then
    _refused(PerformanceReview, row | {"period_end": date(2026, 10, 31)}, "review_dates_ordered")
    _refused(PerformanceReview, row | {"period_end": date(2026, 11, 30)}, None)


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"metric": "win_rate", "low": 2, "high": 1}, "benchmark_high_not_below_low"),
        ({"metric": "happiness", "low": 1}, "benchmark_metric_known"),
        ({"metric": "meetings_per_day", "low": 1}, None),  # b2b already has one (seeded)
    ],
)
def test_the_database_refuses_a_bad_benchmark(db, overrides, constraint):
    # when / then
    _refused(Benchmark, {"sector": factories.sector("b2b")} | overrides, constraint)
