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

from events.selectors import visible_events
from funnel import metrics, selectors
from funnel.periods import Period, PeriodError, WorkCalendar, local_day, parse_period

RATIO_PLACES = Decimal("0.0001")
PLAN_METRICS = selectors.ACTUAL_METRICS
LATE_WORKING_DAYS = 5  # SPEC 3.5: a late slip is dated in the last 5 working days of P
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


def _number(value: Decimal | int | None, metric: str) -> str | Decimal | int | None:
    """Money as a decimal string with two places; counts as whole numbers where whole."""
    if value is None:
        return None
    if metric == "revenue":
        return str(Decimal(value).quantize(Decimal("0.01")))
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value.quantize(Decimal("0.01"))


def plan_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """SPEC 3.4: per manager and metric target, actual, attainment, overage, pace, status;
    team attainment Σactual/Σtarget over the managers with that target; who exceeded."""
    request = parse_request(user, params)
    return header(request, "plan") | _plan_section(request)


def _calendars(request: Request) -> dict[int, WorkCalendar]:
    return {
        window.team_id: WorkCalendar.from_team_fields(window.work_week, window.holiday_country)
        for window in request.scope.teams
    }


def _plan_section(request: Request) -> dict[str, Any]:
    calendars = _calendars(request)
    targets = selectors.plan_targets(request.scope, request.period)
    rows, exceeded = [], []
    pairs: dict[str, list[tuple[Decimal | None, Decimal | int]]] = {m: [] for m in PLAN_METRICS}
    for manager in selectors.plan_actuals(request.scope, request.period):
        calendar = calendars.get(manager.team_id, request.calendar)
        days = calendar.count(request.period)
        elapsed = calendar.elapsed(request.period, request.today)
        metrics_out = {}
        for metric in PLAN_METRICS:
            target = targets.get(manager.manager_id, {}).get(metric)
            actual = manager.actuals[metric]
            result = metrics.Attainment(metric, target, actual, days, elapsed)
            pairs[metric].append((target, actual))
            metrics_out[metric] = {
                "target": _number(target, metric),
                "actual": _number(actual, metric),
                "attainment": ratio(result.attainment),
                "overage": _number(result.overage, metric),
                "expected_to_date": _number(result.expected_to_date, metric),
                "pace": ratio(result.pace),
                "status": result.status,
            }
            if result.status == metrics.EXCEEDED:
                exceeded.append(
                    {
                        "manager": manager.manager_id,
                        "username": manager.username,
                        "metric": metric,
                        "overage": _number(result.overage, metric),
                        "attainment": ratio(result.attainment),
                    }
                )
        rows.append(
            {
                "manager": manager.manager_id,
                "username": manager.username,
                "team": manager.team_id,
                "working_days": days,
                "elapsed_working_days": elapsed,
                "metrics": metrics_out,
            }
        )
    totals = {metric: _team_total(metric, pairs[metric]) for metric in PLAN_METRICS}
    exceeded.sort(key=lambda item: (item["metric"], -(item["attainment"] or 0)))
    return {"managers": rows, "totals": totals, "exceeded": exceeded}


def team_review_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """The lead's monthly review: plan attainment and overage per manager and metric, who
    exceeded, and SPEC 3.5 slippage per manager (slipped_count, slipped_value, late_slips,
    pulled_in, postponing), the slipped deals and the unreliable close dates."""
    request = parse_request(user, params)
    plan = _plan_section(request)
    calendars = _calendars(request)
    zones = {window.team_id: window.timezone for window in request.scope.teams}
    late_from = {
        team_id: (calendar.last_working_days(request.period, LATE_WORKING_DAYS) or [None])[0]
        for team_id, calendar in calendars.items()
    }
    slipped = []
    for row in selectors.slipped_prospects(request.scope, request.period):
        team_id = row["owner__profile__team_id"]
        day = local_day(row["slip_at"], zones[team_id])
        start = late_from.get(team_id)
        slipped.append(
            {
                "prospect": row["pk"],
                "name": row["name"],
                "manager": row["owner_id"],
                "expected_value": _number(row["expected_value"] or 0, "revenue"),
                "expected_close_date": row["expected_close_date"],
                "slipped_on": day,
                "late": start is not None and day >= start,
            }
        )
    pulled_in = selectors.pulled_in_by_manager(request.scope, request.period)
    slipped_by_manager: dict[int, list[dict]] = {}
    for slip in slipped:
        slipped_by_manager.setdefault(slip["manager"], []).append(slip)
    for manager in plan["managers"]:
        mine = slipped_by_manager.get(manager["manager"], [])
        late = sum(s["late"] for s in mine)
        attainment = manager["metrics"]["contracts"]["attainment"]
        manager["slippage"] = {
            "slipped_count": len(mine),
            "slipped_value": _number(
                sum((Decimal(s["expected_value"]) for s in mine), Decimal(0)), "revenue"
            ),
            "late_slips": late,
            "pulled_in": pulled_in.get(manager["manager"], 0),
            "postponing": metrics.postponing(
                None if attainment is None else Decimal(str(attainment)), late
            ),
        }
    unreliable = [
        {
            "prospect": row["pk"],
            "name": row["name"],
            "manager": row["owner_id"],
            "expected_close_date": row["expected_close_date"],
            "push_count": row["push_count"],
        }
        for row in selectors.unreliable_prospects(request.scope)
    ]
    return (
        header(request, "team-review")
        | plan
        | {
            "postponing": [m["username"] for m in plan["managers"] if m["slippage"]["postponing"]],
            "slipped": slipped,
            "unreliable": unreliable,
        }
    )


def _team_total(metric: str, pairs: list[tuple[Decimal | None, Decimal | int]]) -> dict:
    """Σtarget and Σactual over the managers that have the target (None when none has)."""
    planned = [(target, Decimal(actual)) for target, actual in pairs if target is not None]
    if not planned:
        return {"target": None, "actual": None, "attainment": None}
    return {
        "target": _number(sum(t for t, _ in planned), metric),
        "actual": _number(sum(a for _, a in planned), metric),
        "attainment": ratio(metrics.team_attainment(planned)),
    }


def alternation_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """SPEC 3.9: per manager, over the working days with any call or held meeting: the
    day is a meeting day when meetings ÷ (meetings + calls) ≥ 0.5; ``alternation`` =
    switches between consecutive active days ÷ (active days - 1); ``meeting_day_share``
    = meeting days ÷ active days; null below 2 active days. The team's value is the mean
    over its managers that have one."""
    request = parse_request(user, params)
    calendars = _calendars(request)
    activity = selectors.daily_activity(request.scope, request.period)
    rows = []
    for manager in selectors.managers_in(request.scope):
        calendar = calendars.get(manager["profile__team_id"], request.calendar)
        days = activity.get(manager["pk"], {})
        active = [
            (day, calls, meetings)
            for day, (calls, meetings) in sorted(days.items())
            if calendar.is_working_day(day)
        ]
        result = metrics.alternation([(calls, meetings) for _, calls, meetings in active])
        rows.append(
            {
                "manager": manager["pk"],
                "username": manager["username"],
                "active_days": result.active_days,
                "alternation": ratio(result.alternation),
                "meeting_day_share": ratio(result.meeting_day_share),
                "days": [
                    {
                        "day": day,
                        "calls": calls,
                        "meetings": meetings,
                        "kind": "meeting" if metrics.is_meeting_day(calls, meetings) else "call",
                    }
                    for day, calls, meetings in active
                ],
            }
        )
    return header(request, "alternation") | {
        "managers": rows,
        "alternation": ratio(metrics.team_alternation(r["alternation"] for r in rows)),
        "meeting_day_share": ratio(metrics.team_alternation(r["meeting_day_share"] for r in rows)),
    }


def events_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """SPEC 3.8: events starting in the period with their return (counted up to now)."""
    request = parse_request(user, params)
    rows = []
    for event in selectors.event_roi(request.scope, request.period, visible_events(user)):
        cost = Decimal(event["cost"])
        rows.append(
            {
                "event": event["pk"],
                "name": event["name"],
                "kind": event["kind"],
                "starts_at": event["starts_at"],
                "cost": _number(cost, "revenue"),
                "managers_attended": event["managers_attended"],
                "prospects_sourced": event["prospects_sourced"],
                "held_meetings": event["held_meetings"],
                "contracts": event["contracts"],
                "revenue": _number(event["revenue"], "revenue"),
                "cost_per_prospect": _number(
                    metrics.cost_per(cost, event["prospects_sourced"]), "revenue"
                ),
                "cost_per_contract": _number(metrics.cost_per(cost, event["contracts"]), "revenue"),
            }
        )
    return header(request, "events") | {"events": rows}
