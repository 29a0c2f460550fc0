"""Writes for plans and performance reviews."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.editing import apply, lock, refuse_unknown
from funnel.models import Benchmark, PerformanceReview, Plan, PlanMetric, Sector

User = get_user_model()
PLAN_EDITABLE = frozenset({"start", "end", *PlanMetric.values})


def _lock_manager(manager: AbstractBaseUser) -> None:
    """Serialise plan writes of one manager, so two overlapping plans cannot both pass."""
    User.objects.select_for_update().filter(pk=manager.pk).first()


@transaction.atomic
def plan_create(
    *,
    manager: AbstractBaseUser,
    start: date,
    end: date,
    by: AbstractBaseUser | None,
    targets: Mapping[str, Any],
) -> Plan:
    """Set a manager's personal targets for start…end (inclusive); empty targets are unset."""
    unknown = set(targets) - set(PlanMetric.values)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Not a plan metric."})
    _lock_manager(manager)
    plan = Plan(manager=manager, start=start, end=end, set_by=by, **targets)
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, by: AbstractBaseUser | None, data: Mapping[str, Any]) -> Plan:
    refuse_unknown(data, PLAN_EDITABLE)
    _lock_manager(plan.manager)
    locked = lock(plan)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.set_by = by
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def review_save(
    *,
    manager: AbstractBaseUser,
    author: AbstractBaseUser | None,
    period_start: date,
    period_end: date,
    notes: str,
) -> PerformanceReview:
    """Write (or rewrite) the lead's notes on one manager's period."""
    if not notes.strip():
        raise ValidationError({"notes": "Write the review notes."})
    review = PerformanceReview.objects.filter(
        manager=manager, period_start=period_start, period_end=period_end
    ).first() or PerformanceReview(
        manager=manager, period_start=period_start, period_end=period_end
    )
    review.author = author
    review.notes = notes
    review.full_clean()
    review.save()
    return review


@transaction.atomic
def review_update(
    *,
    review: PerformanceReview,
    author: AbstractBaseUser | None,
    manager: AbstractBaseUser,
    period_start: date,
    period_end: date,
    notes: str,
) -> PerformanceReview:
    if not notes.strip():
        raise ValidationError({"notes": "Write the review notes."})
    locked = PerformanceReview.objects.select_for_update().get(pk=review.pk)
    locked.manager = manager
    locked.period_start = period_start
    locked.period_end = period_end
    locked.notes = notes
    locked.author = author
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def sector_save(*, sector: Sector | None, data: Mapping[str, Any]) -> Sector:
    """Create (sector=None) or change a sector."""
    return apply(sector or Sector(), data)


@transaction.atomic
def benchmark_save(*, benchmark: Benchmark | None, data: Mapping[str, Any]) -> Benchmark:
    """Create (benchmark=None) or change a benchmark; one per sector and metric."""
    return apply(benchmark or Benchmark(), data)


@transaction.atomic
def sector_delete(*, sector: Sector) -> None:
    """Delete a sector no team is in; its benchmarks go with it."""
    if sector.teams.exists():
        raise ValidationError("Teams are in this sector; move them to another sector first.")
    sector.delete()
