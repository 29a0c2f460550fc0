"""Reports: parse a request's scope and period, call the selectors, apply the metrics.

Each report states its scope, period, working days and elapsed working days. Ratios are
numbers between 0 and 1 rounded to 4 places; None where the definition divides by zero.
"""

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from funnel import metrics, selectors
from funnel.periods import Period, PeriodError, WorkCalendar, parse_period

RATIO_PLACES = Decimal("0.0001")
VIEWS = ("cohort", "flow")


def ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATIO_PLACES)


@dataclass(frozen=True, slots=True)
class Request:
    scope: selectors.Scope
    period: Period
    calendar: WorkCalendar
    today: Any


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 2**63 - 1:
        raise ValidationError({name: f"Give the {name}'s id, a whole number."})
    return int(raw)


def parse_request(user: AbstractBaseUser, params: Mapping[str, str]) -> Request:
    """Scope (``manager`` or ``team``, else everything the caller may see) and period."""
    manager, team = _int_param(params, "manager"), _int_param(params, "team")
    if manager is not None and team is not None:
        raise ValidationError({"team": "Give either manager or team, not both."})
    scope = selectors.resolve_scope(user, manager=manager, team=team)
    if len(scope.teams) == 1:
        window = scope.teams[0]
        calendar = WorkCalendar.from_team_fields(window.work_week, window.holiday_country)
        today = timezone.localtime(timezone=zoneinfo.ZoneInfo(window.timezone)).date()
    else:
        calendar = WorkCalendar()
        today = timezone.localdate()
    try:
        period = parse_period(
            period=params.get("period"),
            start=params.get("start"),
            end=params.get("end"),
            today=today,
        )
    except PeriodError as error:
        raise ValidationError({error.field: str(error)}) from error
    return Request(scope, period, calendar, today)


def header(request: Request, report: str) -> dict[str, Any]:
    scope, period = request.scope, request.period
    return {
        "report": report,
        "scope": {
            "kind": scope.kind,
            "manager": scope.manager_id,
            "teams": [t.team_id for t in scope.teams],
            "label": scope.label,
        },
        "period": {"label": period.label, "start": period.start, "end": period.end},
        "working_days": request.calendar.count(period),
        "elapsed_working_days": request.calendar.elapsed(period, request.today),
    }


def funnel_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """SPEC 3.1: the cohort funnel (default) or the flow funnel (``view=flow``)."""
    view = params.get("view") or "cohort"
    if view not in VIEWS:
        raise ValidationError({"view": "Use view=cohort (default) or view=flow."})
    request = parse_request(user, params)
    body = header(request, "funnel") | {"view": view}
    if view == "flow":
        return body | {"entered": selectors.flow_entered(request.scope, request.period)}
    funnel = metrics.funnel_from_reached(selectors.cohort_reached(request.scope, request.period))
    return body | {
        "reached": funnel.reached,
        "conversion": {step: ratio(value) for step, value in funnel.conversion.items()},
        "overall": ratio(funnel.overall),
        "one_in_n": ratio(funnel.one_in_n),
    }
