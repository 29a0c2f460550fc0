"""Plan and review writes: a plan's dates form a range, it sets a target, and a manager's
plans never set the same metric for overlapping dates."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funnel import services
from funnel.models import PerformanceReview, Plan, PlanMetric
from tests import factories

NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def _plan(manager, start: date = NOV_1, end: date = NOV_30, by=None, **targets) -> Plan:
    return services.plan_create(manager=manager, start=start, end=end, by=by, targets=targets)


# --- plan_create ---------------------------------------------------------------------


def test_plan_create_stores_the_targets_set(manager, lead):
    # when
    plan = _plan(manager, by=lead, contracts=3, revenue=Decimal("45000.00"), meetings=20)

    # then
    plan.refresh_from_db()
    assert (plan.manager, plan.start, plan.end, plan.set_by) == (manager, NOV_1, NOV_30, lead)
    assert plan.targets == {"contracts": 3, "revenue": Decimal("45000.00"), "meetings": 20}
    assert (plan.calls, plan.new_prospects, plan.referrals_asked) == (None, None, None)


def test_a_plan_may_set_every_metric_and_a_zero_target(manager):
    # when
    plan = _plan(manager, **dict.fromkeys(PlanMetric.values, 0))

    # then
    assert set(Plan.objects.get(pk=plan.pk).targets) == set(PlanMetric.values)


def test_a_one_day_plan_is_a_non_empty_range(manager):
    # when
    plan = _plan(manager, start=NOV_1, end=NOV_1, calls=10)

    # then
    assert Plan.objects.get(pk=plan.pk).end == NOV_1


@pytest.mark.parametrize(
    ("start", "end", "targets", "field"),
    [
        (NOV_30, NOV_1, {"contracts": 1}, "end"),
        (NOV_1, NOV_30, {}, "contracts"),
        (NOV_1, NOV_30, {"contracts": None, "revenue": None}, "contracts"),
        (NOV_1, NOV_30, {"revenue": Decimal("-0.01")}, "revenue"),
        (NOV_1, NOV_30, {"revenue": Decimal("1.001")}, "revenue"),
        (NOV_1, NOV_30, {"contracts": -1}, "contracts"),
        (NOV_1, NOV_30, {"calls": -5}, "calls"),
        (NOV_1, NOV_30, {"happiness": 1}, "happiness"),
    ],
)
def test_plan_create_refuses_a_bad_plan_and_writes_nothing(
    manager, nothing_written, start, end, targets, field
):
    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        _plan(manager, start=start, end=end, **targets)
    assert field in refused.value.message_dict


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOV_1, NOV_30),  # the same dates
        (date(2026, 11, 10), date(2026, 11, 20)),  # inside
        (date(2026, 10, 1), date(2026, 12, 31)),  # around
        (date(2026, 10, 15), NOV_1),  # shares the first day
        (NOV_30, date(2026, 12, 31)),  # shares the last day
    ],
)
def test_plans_of_a_manager_never_overlap_for_the_same_metric(manager, nothing_written, start, end):
    # given
    _plan(manager, calls=100, meetings=20)

    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        _plan(manager, start=start, end=end, calls=50, contracts=2)
    assert set(refused.value.message_dict) == {"calls"}


def test_plans_for_different_metrics_may_overlap(manager):
    # given
    _plan(manager, calls=100, meetings=20)

    # when
    _plan(manager, start=date(2026, 11, 15), end=date(2026, 12, 15), contracts=2, revenue=10)

    # then
    assert Plan.objects.filter(manager=manager).count() == 2


def test_adjacent_plans_for_the_same_metric_are_allowed(manager):
    # given
    _plan(manager, calls=100)

    # when
    _plan(manager, start=date(2026, 12, 1), end=date(2026, 12, 31), calls=110)
    _plan(manager, start=date(2026, 10, 1), end=date(2026, 10, 31), calls=90)

    # then
    assert Plan.objects.filter(manager=manager).count() == 3


def test_plans_of_different_managers_are_independent(manager, stranger):
    # given
    _plan(manager, calls=100)

    # when
    _plan(stranger, calls=100)

    # then
    assert Plan.objects.count() == 2


# --- plan_update ---------------------------------------------------------------------


def test_plan_update_changes_targets_and_who_set_them(manager, lead):
    # given
    plan = _plan(manager, by=manager, calls=100)

    # when
    services.plan_update(
        plan=plan, by=lead, data={"calls": 120, "meetings": 25, "end": date(2026, 12, 15)}
    )

    # then
    plan.refresh_from_db()
    assert plan.targets == {"calls": 120, "meetings": 25}
    assert (plan.end, plan.set_by) == (date(2026, 12, 15), lead)


def test_plan_update_does_not_collide_with_itself_but_with_the_others(manager, nothing_written):
    # given
    november = _plan(manager, calls=100)
    _plan(manager, start=date(2026, 12, 1), end=date(2026, 12, 31), calls=100, meetings=10)

    # when / then
    services.plan_update(plan=november, by=None, data={"start": date(2026, 11, 2)})
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.plan_update(plan=november, by=None, data={"end": date(2026, 12, 1)})
    assert "calls" in refused.value.message_dict
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.plan_update(
            plan=november, by=None, data={"end": date(2026, 12, 5), "calls": None, "meetings": 5}
        )
    assert "meetings" in refused.value.message_dict
    assert Plan.objects.get(pk=november.pk).end == NOV_30


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"end": date(2026, 10, 1)}, "end"),
        ({"calls": None}, "contracts"),
        ({"revenue": Decimal(-1)}, "revenue"),
        ({"manager": None}, "manager"),
        ({"set_by": None}, "set_by"),
    ],
)
def test_plan_update_refuses_a_bad_plan_and_changes_nothing(manager, data, field):
    # given
    plan = _plan(manager, calls=100)

    # when / then
    with pytest.raises(ValidationError) as refused:
        services.plan_update(plan=plan, by=None, data=data)
    assert field in refused.value.message_dict
    plan.refresh_from_db()
    assert (plan.start, plan.end, plan.targets) == (NOV_1, NOV_30, {"calls": 100})


# --- reviews -------------------------------------------------------------------------


def test_review_save_writes_the_notes(manager, lead):
    # when
    review = services.review_save(
        manager=manager, author=lead, period_start=NOV_1, period_end=NOV_30, notes="Strong month."
    )

    # then
    review.refresh_from_db()
    assert (review.manager, review.author, review.notes) == (manager, lead, "Strong month.")
    assert (review.period_start, review.period_end) == (NOV_1, NOV_30)


def test_review_save_rewrites_the_review_of_the_same_period(manager, lead):
    # given
    first = services.review_save(
        manager=manager, author=None, period_start=NOV_1, period_end=NOV_30, notes="Draft"
    )

    # when
    second = services.review_save(
        manager=manager, author=lead, period_start=NOV_1, period_end=NOV_30, notes="Final"
    )
    services.review_save(
        manager=manager,
        author=lead,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        notes="Quarter",
    )

    # then
    assert second.pk == first.pk
    assert PerformanceReview.objects.get(pk=first.pk).notes == "Final"
    assert PerformanceReview.objects.filter(manager=manager).count() == 2


@pytest.mark.parametrize(
    ("period_end", "notes", "field"),
    [
        (NOV_30, "", "notes"),
        (NOV_30, "  \n ", "notes"),
        (date(2026, 10, 31), "Fine", "period_end"),
    ],
)
def test_review_save_refuses_empty_notes_and_reversed_periods(
    manager, lead, nothing_written, period_end, notes, field
):
    # when / then
    with nothing_written(), pytest.raises(ValidationError) as refused:
        services.review_save(
            manager=manager, author=lead, period_start=NOV_1, period_end=period_end, notes=notes
        )
    assert field in refused.value.message_dict


def test_the_seeded_sectors_exist_for_teams(db):
    # when / then the factories' default sector comes from the data migration
    assert {factories.sector(code).code for code in ("b2b", "consumer_goods", "consulting")} == {
        "b2b",
        "consumer_goods",
        "consulting",
    }
