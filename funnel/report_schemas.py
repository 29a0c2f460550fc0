"""OpenAPI shapes of the report answers (documentation only: the reports build plain dicts).

Ratios, multiples and counts are JSON numbers (``null`` where a definition divides by
zero), money is a decimal string with two places. The contract test checks every answer
against these shapes.
"""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from crm.models import Stage
from funnel.metrics import CONVERSION_STEPS
from funnel.models import PlanMetric

FUNNEL = [stage.value for stage in Stage.funnel()]
PLAN_STATUSES = ["exceeded", "met", "on_track", "cautioned", "off_track"]


def _number(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, **kwargs)


def _money(**kwargs) -> serializers.CharField:
    return serializers.CharField(allow_null=True, **kwargs)


def _object(name: str, fields: dict, **kwargs):
    return inline_serializer(name, fields, **kwargs)


# Components used by several reports are built once (a component is its class).
SCOPE = _object(
    "ReportScope",
    {
        "kind": serializers.ChoiceField(["manager", "team", "company"]),
        "manager": serializers.IntegerField(allow_null=True),
        "teams": serializers.ListField(child=serializers.IntegerField()),
        "label": serializers.CharField(allow_blank=True),
    },
)
PERIOD = _object(
    "ReportPeriod",
    {
        "label": serializers.CharField(),
        "start": serializers.DateField(),
        "end": serializers.DateField(),
    },
)


def _header() -> dict:
    return {
        "report": serializers.CharField(),
        "scope": SCOPE,
        "period": PERIOD,
        "working_days": serializers.IntegerField(),
        "elapsed_working_days": serializers.IntegerField(),
    }


def _reached(name: str, **kwargs):
    return _object(name, {stage: serializers.IntegerField() for stage in FUNNEL}, **kwargs)


def _conversion(name: str, **kwargs):
    return _object(name, {step: _number() for step in CONVERSION_STEPS}, **kwargs)


FUNNEL_REPORT = _object(
    "FunnelReport",
    {
        **_header(),
        "view": serializers.ChoiceField(["cohort", "flow"]),
        "reached": _reached("FunnelReached", required=False),
        "conversion": _conversion("FunnelConversion", required=False),
        "overall": _number(required=False),
        "one_in_n": _number(required=False),
        "entered": _reached("FunnelEntered", required=False),
    },
)


def _metric(name: str, money: bool):
    value = _money if money else _number
    return _object(
        name,
        {
            "target": value(),
            "actual": value(),
            "attainment": _number(),
            "overage": value(),
            "expected_to_date": value(),
            "pace": _number(),
            "status": serializers.ChoiceField(PLAN_STATUSES, allow_null=True),
        },
    )


def _metrics(name: str):
    return _object(
        name,
        {
            metric: _metric(f"{name}{metric.title().replace('_', '')}", metric == "revenue")
            for metric in PlanMetric.values
        },
    )


def _totals(name: str):
    return _object(
        name,
        {
            metric: _object(
                f"{name}{metric.title().replace('_', '')}",
                {
                    "target": (_money if metric == "revenue" else _number)(),
                    "actual": (_money if metric == "revenue" else _number)(),
                    "attainment": _number(),
                },
            )
            for metric in PlanMetric.values
        },
    )


EXCEEDED = _object(
    "PlanExceeded",
    {
        "manager": serializers.IntegerField(),
        "username": serializers.CharField(),
        "metric": serializers.CharField(),
        "overage": serializers.JSONField(help_text="a number; money as a decimal string"),
        "attainment": _number(),
    },
    many=True,
)


PLAN_METRICS = _metrics("PlanMetrics")


def _plan_row() -> dict:
    return {
        "manager": serializers.IntegerField(),
        "username": serializers.CharField(),
        "team": serializers.IntegerField(),
        "working_days": serializers.IntegerField(),
        "elapsed_working_days": serializers.IntegerField(),
        "metrics": PLAN_METRICS,
    }


PLAN_REPORT = _object(
    "PlanReport",
    {
        **_header(),
        "managers": _object("PlanManager", _plan_row(), many=True),
        "totals": _totals("PlanTotals"),
        "exceeded": EXCEEDED,
    },
)

SLIPPAGE = _object(
    "Slippage",
    {
        "slipped_count": serializers.IntegerField(),
        "slipped_value": _money(),
        "late_slips": serializers.IntegerField(),
        "pulled_in": serializers.IntegerField(),
        "postponing": serializers.BooleanField(),
    },
)

RATING = _object(
    "BenchmarkRating",
    {
        "metric": serializers.CharField(),
        "value": _number(),
        "low": serializers.FloatField(),
        "high": _number(),
        "note": serializers.CharField(allow_blank=True),
        "rating": serializers.ChoiceField(["below", "within", "above"], allow_null=True),
    },
    many=True,
)


CARD_REACHED = _reached("CardReached")
CARD_CONVERSION = _conversion("CardConversion")
CARD_REFERRALS = _object(
    "CardReferrals",
    {
        "asked": serializers.IntegerField(),
        "received": serializers.IntegerField(),
        "declined": serializers.IntegerField(),
    },
)


def _card_row() -> dict:
    return {
        **_plan_row(),
        "slippage": SLIPPAGE,
        "reached": CARD_REACHED,
        "conversion": CARD_CONVERSION,
        "overall": _number(),
        "one_in_n": _number(),
        "won": serializers.IntegerField(),
        "lost": serializers.IntegerField(),
        "win_rate": _number(),
        "cycle_days_median": _number(),
        "cycle_days_mean": _number(),
        "open_at_start": serializers.IntegerField(),
        "velocity": _money(),
        "meetings_per_day": _number(),
        "calls_per_day": _number(),
        "dm_reach": _number(),
        "met_prospects": serializers.IntegerField(),
        "stalled": serializers.IntegerField(),
        "stale": serializers.IntegerField(),
        "referrals": CARD_REFERRALS,
        "asks_per_contract": _number(),
        "referral_conversion": _number(),
        "alternation": _number(),
        "meeting_day_share": _number(),
        "active_days": serializers.IntegerField(),
        "open_now": serializers.IntegerField(),
        "remaining_contracts": _number(),
        "conversion_rate_used": _number(),
        "conversion_rate_source": serializers.ChoiceField(
            ["own", "sector", "team", "company"], allow_null=True
        ),
        "required_new_prospects": serializers.IntegerField(allow_null=True),
        "coverage": _number(),
        "ratings": RATING,
    }


SLIPPED = _object(
    "SlippedDeal",
    {
        "prospect": serializers.IntegerField(),
        "name": serializers.CharField(),
        "manager": serializers.IntegerField(),
        "expected_value": _money(),
        "expected_close_date": serializers.DateField(allow_null=True),
        "slipped_on": serializers.DateField(),
        "late": serializers.BooleanField(),
    },
    many=True,
)


def _card_body(prefix: str) -> dict:
    return {
        **_header(),
        "managers": _object(f"{prefix}Manager", _card_row(), many=True),
        "totals": _object(
            f"{prefix}Totals",
            {
                "managers": serializers.IntegerField(),
                "reached": _reached(f"{prefix}TotalsReached"),
                "conversion": _conversion(f"{prefix}TotalsConversion"),
                "overall": _number(),
                "one_in_n": _number(),
                "win_rate": _number(),
                "cycle_days_mean": _number(),
                "meetings_per_day": _number(),
                "calls_per_day": _number(),
                "dm_reach": _number(),
                "stalled": serializers.IntegerField(),
                "stale": serializers.IntegerField(),
                "alternation": _number(),
                "meeting_day_share": _number(),
                "plan": _totals(f"{prefix}TotalsPlan"),
            },
        ),
        "exceeded": EXCEEDED,
        "postponing": serializers.ListField(child=serializers.CharField()),
        "slipped": SLIPPED,
    }


SCORECARD_REPORT = _object("ScorecardReport", _card_body("Scorecard"))

_DEAL = {
    "prospect": serializers.IntegerField(),
    "name": serializers.CharField(),
    "manager": serializers.IntegerField(),
}

TEAM_REVIEW_REPORT = _object(
    "TeamReviewReport",
    {
        **_card_body("TeamReview"),
        "unreliable": _object(
            "UnreliableDeal",
            {
                **_DEAL,
                "expected_close_date": serializers.DateField(allow_null=True),
                "push_count": serializers.IntegerField(),
            },
            many=True,
        ),
        "unreliable_total": serializers.IntegerField(),
        "stalled": _object(
            "StalledDeal",
            {
                **_DEAL,
                "stage": serializers.CharField(),
                "held_meetings": serializers.IntegerField(),
            },
            many=True,
        ),
        "stalled_total": serializers.IntegerField(),
        "stale": _object(
            "StaleDeal",
            {
                **_DEAL,
                "stage": serializers.CharField(),
                "last_touch": serializers.DateField(allow_null=True),
                "days_idle": serializers.IntegerField(),
                "rotting_days": serializers.IntegerField(),
            },
            many=True,
        ),
        "stale_total": serializers.IntegerField(),
    },
)

ALTERNATION_REPORT = _object(
    "AlternationReport",
    {
        **_header(),
        "managers": _object(
            "AlternationManager",
            {
                "manager": serializers.IntegerField(),
                "username": serializers.CharField(),
                "active_days": serializers.IntegerField(),
                "alternation": _number(),
                "meeting_day_share": _number(),
                "days": _object(
                    "AlternationDay",
                    {
                        "day": serializers.DateField(),
                        "calls": serializers.IntegerField(),
                        "meetings": serializers.IntegerField(),
                        "kind": serializers.ChoiceField(["call", "meeting"]),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
        "alternation": _number(),
        "meeting_day_share": _number(),
    },
)

EVENTS_REPORT = _object(
    "EventsReport",
    {
        **_header(),
        "events": _object(
            "EventReturn",
            {
                "event": serializers.IntegerField(),
                "name": serializers.CharField(),
                "kind": serializers.CharField(),
                "starts_at": serializers.DateTimeField(),
                "cost": _money(),
                "managers_attended": serializers.IntegerField(),
                "prospects_sourced": serializers.IntegerField(),
                "held_meetings": serializers.IntegerField(),
                "contracts": serializers.IntegerField(),
                "revenue": _money(),
                "cost_per_prospect": _money(),
                "cost_per_contract": _money(),
            },
            many=True,
        ),
    },
)
