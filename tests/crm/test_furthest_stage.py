"""Prospect.furthest_stage: the furthest funnel stage the prospect ever entered (SPEC 3.1's
"reached"), kept by the services on every stage change, whichever way it comes (create,
move, an auto-advancing call, sign, lose, reopen), and recomputed from the history by
``prospect_history_refresh`` after a bulk load."""

from datetime import UTC, date, datetime
from decimal import Decimal

from crm import services
from crm.models import CallOutcome, Prospect, Stage, StageChange
from tests import factories


def utc(day: int) -> datetime:
    return datetime(2026, 11, day, 10, tzinfo=UTC)


def furthest(prospect) -> str:
    return Prospect.objects.get(pk=prospect.pk).furthest_stage


def from_history(prospect) -> str:
    """The definition: the latest funnel stage, in funnel order, of any StageChange."""
    entered = StageChange.objects.filter(prospect=prospect).values_list("to_stage", flat=True)
    return max((s for s in entered if s in Stage.funnel()), key=Stage.rank, default="")


def test_a_new_prospect_starts_at_its_stage(manager):
    prospect = services.prospect_create(
        owner=manager, name="Acme", by=manager, created_at=utc(2), stage=Stage.CONTACTED
    )
    assert furthest(prospect) == Stage.CONTACTED == from_history(prospect)


def test_skips_and_bounces_keep_the_furthest(manager):
    # lead → proposal (skipping two stages) → meeting (back) → lost → reopened (meeting)
    prospect = services.prospect_create(owner=manager, name="Acme", by=manager, created_at=utc(2))
    assert furthest(prospect) == Stage.LEAD
    services.prospect_move(prospect=prospect, to_stage=Stage.PROPOSAL, by=manager, at=utc(3))
    services.prospect_move(prospect=prospect, to_stage=Stage.MEETING, by=manager, at=utc(4))
    assert furthest(prospect) == Stage.PROPOSAL
    services.prospect_lose(prospect=prospect, reason="budget", by=manager, at=utc(5))
    assert furthest(prospect) == Stage.PROPOSAL  # lost is not a funnel stage
    services.prospect_reopen(prospect=prospect, by=manager, at=utc(6))
    assert furthest(prospect) == Stage.PROPOSAL == from_history(prospect)


def test_a_reaching_call_and_a_signature_move_it(manager):
    prospect = services.prospect_create(owner=manager, name="Acme", by=manager, created_at=utc(2))
    services.call_log(
        manager=manager, at=utc(3), outcome=CallOutcome.TALKED, by=manager, prospect=prospect
    )
    assert furthest(prospect) == Stage.CONTACTED == from_history(prospect)
    services.prospect_sign(
        prospect=prospect,
        contract_value=Decimal("1000.00"),
        signed_on=date(2026, 11, 4),
        by=manager,
        at=utc(4),
    )
    assert furthest(prospect) == Stage.CONTRACT == from_history(prospect)


def test_refresh_recomputes_rows_written_behind_the_services_back(manager):
    # given a history loaded in bulk (lead → meeting → contacted) that left the cache empty
    prospect = factories.prospect(manager, created_at=utc(2))
    other = factories.prospect(manager, created_at=utc(2))
    Prospect.objects.filter(pk__in=[prospect.pk, other.pk]).update(furthest_stage="")
    StageChange.objects.bulk_create(
        StageChange(
            prospect=prospect,
            owner=manager,
            from_stage=before,
            to_stage=after,
            changed_at=utc(day),
        )
        for day, (before, after) in enumerate(
            [(Stage.LEAD, Stage.MEETING), (Stage.MEETING, Stage.CONTACTED)], start=3
        )
    )

    # when the loader recomputes
    services.prospect_history_refresh()

    # then meeting for the first, and the other's own history (its creation) for the other
    assert (furthest(prospect), furthest(other)) == (Stage.MEETING, from_history(other))
