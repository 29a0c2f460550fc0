"""Sectors and their benchmarks, personal plans, and a lead's performance reviews."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q


class BenchmarkMetric(models.TextChoices):
    """Metrics of SPEC section 3 that a sector benchmark can rate."""

    MEETINGS_PER_DAY = "meetings_per_day", "held meetings per working day"
    CALLS_PER_DAY = "calls_per_day", "calls per working day"
    LEAD_TO_CONTRACT = "lead_to_contract", "cohort lead→contract conversion"
    WIN_RATE = "win_rate", "win rate"
    CYCLE_DAYS_MEDIAN = "cycle_days_median", "median sales cycle (days)"
    DM_REACH = "dm_reach", "decision-maker reach"
    ASKS_PER_CONTRACT = "asks_per_contract", "referral asks per contract"
    REFERRAL_CONVERSION = "referral_conversion", "referral conversion"
    ALTERNATION = "alternation", "meeting/call alternation"
    MEETING_DAY_SHARE = "meeting_day_share", "share of meeting days"
    COVERAGE = "coverage", "funnel coverage"


class PlanMetric(models.TextChoices):
    """Targets a plan can hold (SPEC section 3.4); each is a field of Plan."""

    CONTRACTS = "contracts", "contracts signed"
    REVENUE = "revenue", "revenue (sum of contract values)"
    MEETINGS = "meetings", "held meetings"
    CALLS = "calls", "calls"
    NEW_PROSPECTS = "new_prospects", "new prospects"
    REFERRALS_ASKED = "referrals_asked", "referrals asked"


def _plain(value) -> str:
    """1.0000 → "1", 0.1000 → "0.1" (no exponent, unlike Decimal.normalize)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Sector(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Benchmark(models.Model):
    """A sector's good range for one metric: `low` ≤ value ≤ `high` (no `high`: at least low)."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="benchmarks")
    metric = models.CharField(max_length=40, choices=BenchmarkMetric.choices)
    low = models.DecimalField(max_digits=12, decimal_places=4)
    high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sector__code", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["sector", "metric"], name="benchmark_one_per_metric"),
            models.CheckConstraint(
                condition=Q(high__isnull=True) | Q(high__gte=F("low")),
                name="benchmark_high_not_below_low",
            ),
            models.CheckConstraint(
                condition=Q(metric__in=BenchmarkMetric.values), name="benchmark_metric_known"
            ),
        ]

    def __str__(self) -> str:
        upper = "…" if self.high is None else _plain(self.high)
        return f"{self.sector.code}: {self.metric} {_plain(self.low)}-{upper}"

    def clean(self) -> None:
        if self.high is not None and self.low is not None and self.high < self.low:
            raise ValidationError({"high": "The upper bound cannot be below the lower bound."})


_TARGET_VALIDATORS = [MinValueValidator(0)]


class Plan(models.Model):
    """Personal targets of one manager for a range of dates (both inclusive).

    Any target may be empty (no target for that metric). Two plans of the same manager may
    overlap in dates only if they never set the same metric.
    """

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plans"
    )
    start = models.DateField()
    end = models.DateField()
    contracts = models.PositiveIntegerField(null=True, blank=True)
    revenue = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=_TARGET_VALIDATORS
    )
    meetings = models.PositiveIntegerField(null=True, blank=True)
    calls = models.PositiveIntegerField(null=True, blank=True)
    new_prospects = models.PositiveIntegerField(null=True, blank=True)
    referrals_asked = models.PositiveIntegerField(null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["manager_id", "-start"]
        indexes = [models.Index(fields=["manager", "start", "end"], name="plan_manager_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="plan_dates_ordered"),
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0),
                name="plan_revenue_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of {self.manager} {self.start}…{self.end}"

    @property
    def targets(self) -> dict[str, object]:
        """The metrics this plan sets, by name."""
        return {
            metric: getattr(self, metric)
            for metric in PlanMetric.values
            if getattr(self, metric) is not None
        }

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "The plan must end on or after its start."})
        if not self.targets:
            raise ValidationError(
                {"contracts": "Set at least one target: " + ", ".join(PlanMetric.values) + "."}
            )
        if self.manager_id and self.start and self.end:
            self._check_no_overlap()

    def _check_no_overlap(self) -> None:
        """A manager's plans do not overlap in dates for the same metric (SPEC section 2)."""
        errors: dict[str, str] = {}
        overlapping = Plan.objects.filter(
            manager_id=self.manager_id, start__lte=self.end, end__gte=self.start
        ).exclude(pk=self.pk)
        for other in overlapping:
            for metric in self.targets:
                if metric not in errors and getattr(other, metric) is not None:
                    errors[metric] = (
                        f"Plan #{other.pk} ({other.start}…{other.end}) already sets a "
                        f"{metric} target for these dates."
                    )
        if errors:
            raise ValidationError(errors)


class PerformanceReview(models.Model):
    """A lead's notes on one manager's period."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews_written",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    notes = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "manager_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "period_start", "period_end"], name="review_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="review_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.manager} {self.period_start}…{self.period_end}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period must end on or after its start."})
