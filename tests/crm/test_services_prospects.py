"""Prospect writes: creation, plain updates, close dates and the stage rules of SPEC section 2."""

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.models import CloseDateChange, Prospect, Source, Stage, StageChange
from tests import factories
from tests.factories import moment


def _history(prospect: Prospect) -> list[tuple[str, str]]:
    return list(
        StageChange.objects.filter(prospect=prospect)
        .order_by("changed_at", "id")
        .values_list("from_stage", "to_stage")
    )


def _stages(prospect: Prospect) -> list[str]:
    """The path of a prospect through the stages, from its first history row."""
    history = _history(prospect)
    return [history[0][1], *(to for _, to in history[1:])]


def _signed(manager) -> Prospect:
    prospect = factories.prospect(manager)
    return services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal("1000.00"),
        signed_on=date(2026, 11, 10),
        by=manager,
        at=moment(10),
    )


def _lost(manager, *, from_stage: str = Stage.LEAD) -> Prospect:
    prospect = factories.prospect(manager, stage=from_stage)
    return services.prospect_lose(prospect=prospect, reason="no budget", by=manager, at=moment(6))


# --- create --------------------------------------------------------------------------


def test_create_writes_the_first_stage_change_and_first_close_date(manager, lead):
    # given
    created_at = moment(2, 9)

    # when
    prospect = services.prospect_create(
        owner=manager,
        name="Acme",
        by=lead,
        source=Source.COLD_CALL,
        expected_value=Decimal("2500.50"),
        expected_close_date=date(2026, 11, 30),
        created_at=created_at,
    )

    # then
    prospect.refresh_from_db()
    assert (prospect.owner, prospect.stage, prospect.source) == (manager, Stage.LEAD, "cold_call")
    assert prospect.expected_value == Decimal("2500.50")
    assert prospect.expected_close_date == date(2026, 11, 30)
    assert prospect.created_at == created_at
    change = StageChange.objects.get(prospect=prospect)
    assert (change.from_stage, change.to_stage, change.by, change.changed_at) == (
        "",
        Stage.LEAD,
        lead,
        created_at,
    )
    close = CloseDateChange.objects.get(prospect=prospect)
    assert (close.from_date, close.to_date, close.by, close.changed_at) == (
        None,
        date(2026, 11, 30),
        lead,
        created_at,
    )
    assert not close.is_push


def test_every_history_row_carries_the_prospects_owner_whoever_made_the_change(manager, lead):
    # given a prospect of the manager, worked by their lead as well
    prospect = services.prospect_create(
        owner=manager,
        name="Acme",
        by=lead,
        expected_close_date=date(2026, 11, 30),
        created_at=moment(2),
    )

    # when its close date and stage change, lost, reopened and signed
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 12, 4), by=lead, at=moment(3)
    )
    services.prospect_move(prospect=prospect, to_stage=Stage.MEETING, by=lead, at=moment(4))
    services.prospect_lose(prospect=prospect, reason="budget", by=lead, at=moment(5))
    services.prospect_reopen(prospect=prospect, by=manager, at=moment(6))
    services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal("10.00"),
        signed_on=date(2026, 11, 10),
        by=lead,
        at=moment(10),
    )

    # then every change, whoever made it, names the prospect's owner
    stages = StageChange.objects.filter(prospect=prospect)
    closes = CloseDateChange.objects.filter(prospect=prospect)
    assert stages.count() == 5
    assert closes.count() == 2
    assert {change.owner_id for change in [*stages, *closes]} == {manager.pk}
    assert {change.by_id for change in [*stages, *closes]} == {manager.pk, lead.pk}


def test_create_without_close_date_writes_no_close_date_history(manager):
    # when
    prospect = factories.prospect(manager)

    # then
    assert not CloseDateChange.objects.filter(prospect=prospect).exists()


@pytest.mark.parametrize("stage", [Stage.CONTACTED, Stage.MEETING, Stage.PROPOSAL])
def test_create_in_a_later_open_stage_records_it(manager, stage):
    # when
    prospect = factories.prospect(manager, stage=stage)

    # then
    assert prospect.stage == stage
    assert _history(prospect) == [("", stage)]


def test_create_at_an_event_names_the_event(manager):
    # given
    expo = factories.event()

    # when
    prospect = factories.prospect(manager, source=Source.EVENT, source_event=expo)

    # then
    assert Prospect.objects.get(pk=prospect.pk).source_event == expo


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"stage": Stage.CONTRACT}, "stage"),
        ({"stage": Stage.LOST}, "stage"),
        ({"expected_value": Decimal("-0.01")}, "expected_value"),
        ({"expected_value": Decimal("10.005")}, "expected_value"),
        ({"source": Source.EVENT}, "source_event"),
        ({"created_at": datetime(2026, 11, 2, 9)}, "created_at"),  # noqa: DTZ001 (naive on purpose)
        ({"name": ""}, "name"),
    ],
)
def test_create_refuses_a_bad_value_and_writes_nothing(manager, nothing_written, kwargs, field):
    # given
    arguments = {"owner": manager, "name": "Acme", "by": manager, "created_at": moment(2)}
    arguments.update(kwargs)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_create(expected_close_date=date(2026, 11, 30), **arguments)
    assert field in refused.value.message_dict


def test_create_refuses_a_source_event_for_another_source(manager, nothing_written):
    # given
    expo = factories.event()

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        factories.prospect(manager, source=Source.INBOUND, source_event=expo)
    assert "source_event" in refused.value.message_dict


def test_create_refuses_an_owner_outside_any_team(nothing_written):
    # given
    admin = factories.UserFactory(profile__team=None, profile__role="admin")

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        factories.prospect(admin)
    assert "owner" in refused.value.message_dict


# --- update and close dates ------------------------------------------------------------


def test_update_changes_plain_fields_without_history(manager):
    # given
    prospect = factories.prospect(manager)

    # when
    updated = services.prospect_update(
        prospect=prospect,
        by=manager,
        data={"name": "Acme GmbH", "expected_value": Decimal("99.90")},
        at=moment(3),
    )

    # then
    updated.refresh_from_db()
    assert (updated.name, updated.expected_value) == ("Acme GmbH", Decimal("99.90"))
    assert _history(prospect) == [("", Stage.LEAD)]
    assert not CloseDateChange.objects.filter(prospect=prospect).exists()


def test_update_of_the_close_date_records_who_and_when(manager, lead):
    # given
    prospect = factories.prospect(manager, expected_close_date=date(2026, 11, 20))

    # when
    services.prospect_update(
        prospect=prospect,
        by=lead,
        data={"expected_close_date": date(2026, 12, 4)},
        at=moment(12, 15),
    )

    # then
    prospect.refresh_from_db()
    assert prospect.expected_close_date == date(2026, 12, 4)
    changes = list(CloseDateChange.objects.filter(prospect=prospect))
    assert [(c.from_date, c.to_date) for c in changes] == [
        (None, date(2026, 11, 20)),
        (date(2026, 11, 20), date(2026, 12, 4)),
    ]
    assert (changes[1].by, changes[1].changed_at, changes[1].is_push) == (
        lead,
        moment(12, 15),
        True,
    )


def test_update_to_the_same_close_date_records_nothing(manager):
    # given
    prospect = factories.prospect(manager, expected_close_date=date(2026, 11, 20))

    # when
    services.prospect_update(
        prospect=prospect, by=manager, data={"expected_close_date": date(2026, 11, 20)}
    )

    # then
    assert CloseDateChange.objects.filter(prospect=prospect).count() == 1


def test_update_setting_the_source_to_event_needs_the_event(manager, nothing_written):
    # given
    prospect = factories.prospect(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_update(prospect=prospect, by=manager, data={"source": Source.EVENT})
    assert "source_event" in refused.value.message_dict
    prospect.refresh_from_db()
    assert prospect.source == Source.OTHER


def test_update_with_a_bad_value_writes_no_close_date_change_either(manager, nothing_written):
    # given
    prospect = factories.prospect(
        manager, expected_value=Decimal("10.00"), expected_close_date=date(2026, 11, 20)
    )

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_update(
            prospect=prospect,
            by=manager,
            data={"expected_close_date": date(2026, 12, 31), "expected_value": Decimal("-5")},
        )
    assert "expected_value" in refused.value.message_dict
    prospect.refresh_from_db()
    assert (prospect.expected_value, prospect.expected_close_date) == (
        Decimal("10.00"),
        date(2026, 11, 20),
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"stage": Stage.PROPOSAL}, "stage"),
        ({"contract_value": Decimal(1)}, "contract_value"),
        ({"signed_on": date(2026, 11, 5)}, "signed_on"),
        ({"lost_reason": "no"}, "lost_reason"),
        ({"lost_on": date(2026, 11, 5)}, "lost_on"),
        ({"owner": None}, "owner"),
        ({"created_at": moment(1)}, "created_at"),
    ],
)
def test_update_refuses_fields_that_have_their_own_service(manager, nothing_written, data, field):
    # given
    prospect = factories.prospect(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_update(prospect=prospect, by=manager, data=data)
    assert field in refused.value.message_dict


def test_change_close_date_records_pushes_and_pull_ins(manager, lead):
    # given
    prospect = factories.prospect(manager, expected_close_date=date(2026, 11, 10))

    # when
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 11, 25), by=manager, at=moment(3)
    )
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 11, 18), by=lead, at=moment(9)
    )

    # then
    prospect.refresh_from_db()
    assert prospect.expected_close_date == date(2026, 11, 18)
    changes = list(CloseDateChange.objects.filter(prospect=prospect))
    assert [(c.from_date, c.to_date, c.by, c.changed_at, c.is_push) for c in changes] == [
        (None, date(2026, 11, 10), manager, moment(2, 9), False),
        (date(2026, 11, 10), date(2026, 11, 25), manager, moment(3), True),
        (date(2026, 11, 25), date(2026, 11, 18), lead, moment(9), False),
    ]


def test_first_close_date_set_later_is_recorded_from_none(manager):
    # given
    prospect = factories.prospect(manager)

    # when
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 11, 28), by=manager, at=moment(4)
    )

    # then
    change = CloseDateChange.objects.get(prospect=prospect)
    assert (change.from_date, change.to_date, change.changed_at) == (
        None,
        date(2026, 11, 28),
        moment(4),
    )


def test_close_date_history_stays_in_order_when_a_change_is_backdated(manager):
    # given a change recorded on the 12th
    prospect = factories.prospect(manager, expected_close_date=date(2026, 11, 10))
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 11, 25), by=manager, at=moment(12)
    )

    # when a later change claims to have happened on the 5th
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 12, 10), by=manager, at=moment(5)
    )

    # then the history, read in date order, still replays to the current close date
    prospect.refresh_from_db()
    changes = list(CloseDateChange.objects.filter(prospect=prospect).order_by("changed_at", "id"))
    assert [c.changed_at for c in changes] == sorted(c.changed_at for c in changes)
    for previous, change in pairwise(changes):
        assert change.from_date == previous.to_date
    assert changes[-1].to_date == prospect.expected_close_date == date(2026, 12, 10)
    assert changes[-1].changed_at == moment(12)


def test_a_close_date_change_is_never_dated_before_the_prospect_existed(manager):
    # given a prospect created on the 2nd, without a close date
    prospect = factories.prospect(manager, created_at=moment(2, 9))

    # when its first close date claims to have been set on the 1st
    services.prospect_change_close_date(
        prospect=prospect, expected_close_date=date(2026, 11, 20), by=manager, at=moment(1)
    )

    # then
    assert CloseDateChange.objects.get(prospect=prospect).changed_at == moment(2, 9)


@pytest.mark.parametrize("closed", [_signed, _lost])
def test_a_closed_prospect_has_no_close_date_to_move(manager, nothing_written, closed):
    # given
    prospect = closed(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_change_close_date(
            prospect=prospect, expected_close_date=date(2026, 12, 1), by=manager
        )
    assert "expected_close_date" in refused.value.message_dict
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_update(
            prospect=prospect, by=manager, data={"expected_close_date": date(2026, 12, 1)}
        )
    assert "expected_close_date" in refused.value.message_dict


# --- moving between open stages ----------------------------------------------------------


def test_move_forward_may_skip_stages_and_records_who_and_when(manager, lead):
    # given
    prospect = factories.prospect(manager)

    # when
    moved = services.prospect_move(
        prospect=prospect, to_stage=Stage.PROPOSAL, by=lead, at=moment(4, 11)
    )

    # then
    assert moved.stage == Prospect.objects.get(pk=prospect.pk).stage == Stage.PROPOSAL
    change = StageChange.objects.filter(prospect=prospect).last()
    assert (change.from_stage, change.to_stage, change.by, change.changed_at) == (
        Stage.LEAD,
        Stage.PROPOSAL,
        lead,
        moment(4, 11),
    )


def test_move_back_is_allowed(manager):
    # given
    prospect = factories.prospect(manager, stage=Stage.PROPOSAL)

    # when
    services.prospect_move(prospect=prospect, to_stage=Stage.CONTACTED, by=manager, at=moment(4))

    # then
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.CONTACTED
    assert _history(prospect) == [("", Stage.PROPOSAL), (Stage.PROPOSAL, Stage.CONTACTED)]


@pytest.mark.parametrize("to_stage", [Stage.CONTRACT, Stage.LOST, Stage.MEETING, "won", ""])
def test_move_refuses_closing_stages_the_same_stage_and_unknown_ones(
    manager, nothing_written, to_stage
):
    # given
    prospect = factories.prospect(manager, stage=Stage.MEETING)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_move(prospect=prospect, to_stage=to_stage, by=manager)
    assert "stage" in refused.value.message_dict
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.MEETING


def test_a_prospect_bouncing_back_and_forth_keeps_every_transition(manager):
    # given
    prospect = factories.prospect(manager)
    path = [Stage.PROPOSAL, Stage.MEETING, Stage.PROPOSAL, Stage.CONTACTED, Stage.PROPOSAL]

    # when
    for day, stage in enumerate(path, start=3):
        services.prospect_move(prospect=prospect, to_stage=stage, by=manager, at=moment(day))

    # then
    assert _stages(prospect) == [Stage.LEAD, *path]
    assert [c.changed_at for c in StageChange.objects.filter(prospect=prospect)] == [
        moment(2, 9),
        *(moment(day) for day in range(3, 8)),
    ]


def test_stage_history_is_never_dated_before_the_previous_change(manager):
    # given a move on the 10th
    prospect = factories.prospect(manager)
    services.prospect_move(prospect=prospect, to_stage=Stage.MEETING, by=manager, at=moment(10))

    # when later writes claim earlier moments
    services.prospect_move(prospect=prospect, to_stage=Stage.PROPOSAL, by=manager, at=moment(4))
    services.prospect_lose(prospect=prospect, reason="gone quiet", by=manager, at=moment(3))
    services.prospect_reopen(prospect=prospect, by=manager, at=moment(1))

    # then
    dates = list(
        StageChange.objects.filter(prospect=prospect)
        .order_by("id")
        .values_list("changed_at", flat=True)
    )
    assert dates == [moment(2, 9), moment(10), moment(10), moment(10), moment(10)]
    assert _stages(prospect) == [
        Stage.LEAD,
        Stage.MEETING,
        Stage.PROPOSAL,
        Stage.LOST,
        Stage.PROPOSAL,
    ]


@pytest.mark.parametrize(
    "write",
    [
        lambda p, u, t: services.prospect_move(prospect=p, to_stage=Stage.MEETING, by=u, at=t),
        lambda p, u, t: services.prospect_lose(prospect=p, reason="x", by=u, at=t),
        lambda p, u, t: services.prospect_sign(
            prospect=p, contract_value=Decimal(1), signed_on=date(2026, 11, 5), by=u, at=t
        ),
        lambda p, u, t: services.prospect_change_close_date(
            prospect=p, expected_close_date=date(2026, 11, 5), by=u, at=t
        ),
        lambda p, u, t: services.prospect_update(prospect=p, by=u, data={"name": "B"}, at=t),
    ],
    ids=["move", "lose", "sign", "close_date", "update"],
)
def test_prospect_writes_refuse_naive_times(manager, nothing_written, write):
    # given
    prospect = factories.prospect(manager)
    naive = datetime(2026, 11, 5, 10)  # noqa: DTZ001 (naive on purpose)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        write(prospect, manager, naive)
    assert "at" in refused.value.message_dict


# --- signing ---------------------------------------------------------------------------


def test_sign_enters_contract_with_value_and_date(manager, lead):
    # given
    prospect = factories.prospect(manager, stage=Stage.PROPOSAL)

    # when
    signed = services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal("12000.00"),
        signed_on=date(2026, 11, 20),
        by=lead,
        at=moment(20, 16),
    )

    # then
    signed.refresh_from_db()
    assert (signed.stage, signed.contract_value, signed.signed_on) == (
        Stage.CONTRACT,
        Decimal("12000.00"),
        date(2026, 11, 20),
    )
    change = StageChange.objects.filter(prospect=prospect).last()
    assert (change.from_stage, change.to_stage, change.by, change.changed_at) == (
        Stage.PROPOSAL,
        Stage.CONTRACT,
        lead,
        moment(20, 16),
    )


def test_sign_from_lead_skips_the_stages_between(manager):
    # given
    prospect = factories.prospect(manager)

    # when
    services.prospect_sign(
        prospect=prospect, contract_value=Decimal(0), signed_on=date(2026, 11, 2), by=manager
    )

    # then
    assert _history(prospect) == [("", Stage.LEAD), (Stage.LEAD, Stage.CONTRACT)]


@pytest.mark.parametrize(
    ("value", "signed_on", "field"),
    [
        (None, date(2026, 11, 5), "contract_value"),
        (Decimal(100), None, "signed_on"),
        (Decimal("-1.00"), date(2026, 11, 5), "contract_value"),
        (Decimal("1.001"), date(2026, 11, 5), "contract_value"),
        (Decimal(100), date(2026, 11, 1), "signed_on"),  # before the prospect existed
    ],
)
def test_sign_refuses_a_contract_without_a_valid_value_and_date(
    manager, nothing_written, value, signed_on, field
):
    # given
    prospect = factories.prospect(manager, stage=Stage.PROPOSAL)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_sign(
            prospect=prospect, contract_value=value, signed_on=signed_on, by=manager
        )
    assert field in refused.value.message_dict
    prospect.refresh_from_db()
    assert (prospect.stage, prospect.contract_value, prospect.signed_on) == (
        Stage.PROPOSAL,
        None,
        None,
    )


def test_sign_compares_with_the_creation_day_in_the_teams_time_zone(manager):
    # given created at 23:30 UTC on the 1st, which is already the 2nd in Berlin
    prospect = factories.prospect(manager, created_at=datetime(2026, 11, 1, 23, 30, tzinfo=UTC))

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.prospect_sign(
            prospect=prospect, contract_value=Decimal(1), signed_on=date(2026, 11, 1), by=manager
        )
    assert "signed_on" in refused.value.message_dict
    services.prospect_sign(
        prospect=prospect, contract_value=Decimal(1), signed_on=date(2026, 11, 2), by=manager
    )


@pytest.mark.parametrize(
    "write",
    [
        lambda p, u: services.prospect_move(prospect=p, to_stage=Stage.PROPOSAL, by=u),
        lambda p, u: services.prospect_lose(prospect=p, reason="changed mind", by=u),
        lambda p, u: services.prospect_sign(
            prospect=p, contract_value=Decimal(5), signed_on=date(2026, 11, 11), by=u
        ),
        lambda p, u: services.prospect_reopen(prospect=p, by=u),
    ],
    ids=["move", "lose", "sign", "reopen"],
)
def test_a_signed_prospect_is_final(manager, nothing_written, write):
    # given
    prospect = _signed(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        write(prospect, manager)
    assert "stage" in refused.value.message_dict
    prospect.refresh_from_db()
    assert (prospect.stage, prospect.contract_value) == (Stage.CONTRACT, Decimal("1000.00"))


# --- losing and reopening ----------------------------------------------------------------


def test_lose_records_reason_day_and_the_stage_it_was_lost_from(manager, lead):
    # given
    prospect = factories.prospect(manager, stage=Stage.MEETING)

    # when lost at 23:30 UTC on the 6th, which is the 7th in the team's Berlin time
    lost = services.prospect_lose(
        prospect=prospect,
        reason="  chose a competitor ",
        by=lead,
        revisit_on=date(2027, 5, 1),
        at=datetime(2026, 11, 6, 23, 30, tzinfo=UTC),
    )

    # then
    lost.refresh_from_db()
    assert (lost.stage, lost.lost_from_stage, lost.lost_reason) == (
        Stage.LOST,
        Stage.MEETING,
        "chose a competitor",
    )
    assert (lost.lost_on, lost.revisit_on) == (date(2026, 11, 7), date(2027, 5, 1))
    change = StageChange.objects.filter(prospect=prospect).last()
    assert (change.from_stage, change.to_stage, change.by) == (Stage.MEETING, Stage.LOST, lead)
    assert change.changed_at == datetime(2026, 11, 6, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        (
            {"reason": "x", "lost_on": date(2026, 11, 9), "revisit_on": date(2026, 11, 9)},
            "revisit_on",
        ),
        (
            {"reason": "x", "lost_on": date(2026, 11, 9), "revisit_on": date(2026, 11, 1)},
            "revisit_on",
        ),
    ],
)
def test_lose_needs_a_reason_and_a_later_revisit_day(manager, nothing_written, kwargs, field):
    # given
    prospect = factories.prospect(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_lose(prospect=prospect, by=manager, **kwargs)
    assert field in refused.value.message_dict
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.LEAD


def test_lose_refuses_a_day_before_the_prospect_was_created_in_the_teams_zone(
    manager, nothing_written
):
    # given created at 23:30 UTC on the 1st, which is already the 2nd in Berlin
    prospect = factories.prospect(manager, created_at=datetime(2026, 11, 1, 23, 30, tzinfo=UTC))

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_lose(
            prospect=prospect, reason="no budget", lost_on=date(2026, 11, 1), by=manager
        )
    assert "lost_on" in refused.value.message_dict
    services.prospect_lose(
        prospect=prospect, reason="no budget", lost_on=date(2026, 11, 2), by=manager
    )


@pytest.mark.parametrize(
    "write",
    [
        lambda p, u: services.prospect_move(prospect=p, to_stage=Stage.PROPOSAL, by=u),
        lambda p, u: services.prospect_lose(prospect=p, reason="again", by=u),
        lambda p, u: services.prospect_sign(
            prospect=p, contract_value=Decimal(5), signed_on=date(2026, 11, 11), by=u
        ),
    ],
    ids=["move", "lose", "sign"],
)
def test_a_lost_prospect_must_be_reopened_first(manager, nothing_written, write):
    # given
    prospect = _lost(manager)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        write(prospect, manager)
    assert "stage" in refused.value.message_dict
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.LOST


def test_reopen_returns_to_the_stage_it_was_lost_from(manager, lead):
    # given lead → contacted → proposal → lost
    prospect = factories.prospect(manager)
    services.prospect_move(prospect=prospect, to_stage=Stage.CONTACTED, by=manager, at=moment(3))
    services.prospect_move(prospect=prospect, to_stage=Stage.PROPOSAL, by=manager, at=moment(4))
    services.prospect_lose(
        prospect=prospect, reason="no budget", revisit_on=date(2027, 1, 5), by=manager, at=moment(5)
    )

    # when
    reopened = services.prospect_reopen(prospect=prospect, by=lead, at=moment(20))

    # then
    reopened.refresh_from_db()
    assert reopened.stage == Stage.PROPOSAL
    assert (reopened.lost_reason, reopened.lost_on, reopened.revisit_on) == ("", None, None)
    assert reopened.lost_from_stage == ""
    assert _stages(prospect) == [
        Stage.LEAD,
        Stage.CONTACTED,
        Stage.PROPOSAL,
        Stage.LOST,
        Stage.PROPOSAL,
    ]
    last = StageChange.objects.filter(prospect=prospect).last()
    assert (last.by, last.changed_at) == (lead, moment(20))


def test_a_reopened_prospect_can_be_lost_again_and_reopened_to_its_new_stage(manager):
    # given
    prospect = _lost(manager, from_stage=Stage.CONTACTED)
    services.prospect_reopen(prospect=prospect, by=manager, at=moment(7))
    services.prospect_move(prospect=prospect, to_stage=Stage.MEETING, by=manager, at=moment(8))
    services.prospect_lose(prospect=prospect, reason="again", by=manager, at=moment(9))

    # when
    services.prospect_reopen(prospect=prospect, by=manager, at=moment(10))

    # then
    assert Prospect.objects.get(pk=prospect.pk).stage == Stage.MEETING
    assert _stages(prospect) == [
        Stage.CONTACTED,
        Stage.LOST,
        Stage.CONTACTED,
        Stage.MEETING,
        Stage.LOST,
        Stage.MEETING,
    ]


@pytest.mark.parametrize("stage", Stage.open_stages())
def test_only_a_lost_prospect_can_be_reopened(manager, nothing_written, stage):
    # given
    prospect = factories.prospect(manager, stage=stage)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.prospect_reopen(prospect=prospect, by=manager)
    assert "stage" in refused.value.message_dict


def test_sign_after_reopen_completes_the_history(manager):
    # given
    prospect = _lost(manager, from_stage=Stage.PROPOSAL)
    services.prospect_reopen(prospect=prospect, by=manager, at=moment(8))

    # when
    services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal("500.00"),
        signed_on=date(2026, 11, 9),
        by=manager,
        at=moment(9),
    )

    # then
    assert _stages(prospect) == [Stage.PROPOSAL, Stage.LOST, Stage.PROPOSAL, Stage.CONTRACT]
    assert Prospect.objects.get(pk=prospect.pk).lost_reason == ""
