"""Reports: parse a request's scope and period, call the selectors, apply the metrics.

Each report states its scope, period, working days and elapsed working days. Ratios are
numbers between 0 and 1 rounded to 4 places; None where the definition divides by zero.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from events.selectors import visible_events
from funnel import metrics, selectors
from funnel.models import BenchmarkMetric
from funnel.periods import Period, PeriodError, WorkCalendar, local_day, parse_period

RATIO_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
PLAN_METRICS = selectors.ACTUAL_METRICS
LATE_WORKING_DAYS = 5  # SPEC 3.5: a late slip is dated in the last 5 working days of P
VIEWS = ("cohort", "flow")


def ratio(value: Decimal | Fraction | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(RATIO_PLACES)


def now() -> datetime:
    """The reports' clock (tests replace it to pin "today")."""
    return timezone.now()


@dataclass(frozen=True, slots=True)
class Request:
    scope: selectors.Scope
    period: Period
    calendar: WorkCalendar
    today: Any
    now: datetime

    def today_of(self, team_id: int) -> date:
        """Today in that team's time zone."""
        for window in self.scope.teams:
            if window.team_id == team_id:
                return local_day(self.now, window.timezone)
        return self.today


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
    instant = now()
    if len(scope.teams) == 1:
        window = scope.teams[0]
        calendar = WorkCalendar.from_team_fields(window.work_week, window.holiday_country)
        today = local_day(instant, window.timezone)
    else:
        calendar = WorkCalendar()
        today = timezone.localtime(instant).date()
    try:
        period = parse_period(
            period=params.get("period"),
            start=params.get("start"),
            end=params.get("end"),
            today=today,
        )
    except PeriodError as error:
        raise ValidationError({error.field: str(error)}) from error
    return Request(scope, period, calendar, today, instant)


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
        return str(Decimal(value).quantize(CENT))
    if type(value) is int:  # most counts: already whole (the same as the general path)
        return value
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value.quantize(CENT)


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


def _plan_section(request: Request, managers=None) -> dict[str, Any]:
    """Plan rows per manager (from ``managers``, anything with manager_id, username,
    team_id and actuals; else plan_actuals' query), team totals and who exceeded."""
    calendars = _calendars(request)
    targets = selectors.plan_targets(request.scope, request.period)
    rows, exceeded = [], []
    pairs: dict[str, list[tuple[Decimal | None, Decimal | int]]] = {m: [] for m in PLAN_METRICS}
    if managers is None:
        managers = selectors.plan_actuals(request.scope, request.period)
    per_team: dict[int, tuple[int, int]] = {}  # working days and elapsed ones, per team
    for manager in managers:
        if manager.team_id not in per_team:
            calendar = calendars.get(manager.team_id, request.calendar)
            per_team[manager.team_id] = (
                calendar.count(request.period),
                calendar.elapsed(request.period, request.today_of(manager.team_id)),
            )
        days, elapsed = per_team[manager.team_id]
        metrics_out = {}
        actuals = manager.actuals  # a dict made on each read of the property: read once
        planned = targets.get(manager.manager_id, {})
        for metric in PLAN_METRICS:
            target = planned.get(metric)
            actual = actuals[metric]
            pairs[metric].append((target, actual))
            if target is None:  # no target: nothing derived, no status (SPEC 3.4)
                metrics_out[metric] = {
                    "target": None,
                    "actual": _number(actual, metric),
                    "attainment": None,
                    "overage": None,
                    "expected_to_date": None,
                    "pace": None,
                    "status": None,
                }
                continue
            result = metrics.Attainment(metric, target, actual, days, elapsed)
            status = result.status
            attainment, overage = ratio(result.attainment), _number(result.overage, metric)
            metrics_out[metric] = {
                "target": _number(target, metric),
                "actual": _number(actual, metric),
                "attainment": attainment,
                "overage": overage,
                "expected_to_date": _number(result.expected_to_date, metric),
                "pace": ratio(result.pace),
                "status": status,
            }
            if status == metrics.EXCEEDED:
                exceeded.append(
                    {
                        "manager": manager.manager_id,
                        "username": manager.username,
                        "metric": metric,
                        "overage": overage,
                        "attainment": attainment,
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


def _slippage(request: Request, rows: list[dict], pulled_in: Mapping[int, int]) -> list[dict]:
    """SPEC 3.5: add ``slippage`` to each plan row; return the slipped deals. One query."""
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
    slipped_by_manager: dict[int, list[dict]] = {}
    for slip in slipped:
        slipped_by_manager.setdefault(slip["manager"], []).append(slip)
    for manager in rows:
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
    return slipped


COVERAGE_HISTORY_MONTHS = 6  # SPEC 3.10: the 6 full months before the period


def _history(period: Period) -> Period:
    months = period.previous_full(COVERAGE_HISTORY_MONTHS, kind="month")
    return Period.of_range(months[0].start, months[-1].end)


def _rate(part: int | Decimal, whole: int) -> Fraction | None:
    """An exact quotient (a repeating rate such as 2/7 must not round before a ceil)."""
    return None if not whole else Fraction(part) / whole


def _ratings(values: Mapping[str, Any], benchmarks: list[dict]) -> list[dict]:
    """SPEC 3.12: each benchmark of the team's sector against the manager's value."""
    rated = []
    for benchmark in benchmarks:
        value = values.get(benchmark["metric"])
        rated.append(
            {
                "metric": benchmark["metric"],
                "value": value,
                "low": benchmark["low"],
                "high": benchmark["high"],
                "note": benchmark["note"],
                "rating": metrics.rating(value, benchmark["low"], benchmark["high"]),
            }
        )
    return rated


def _scorecard(request: Request) -> dict[str, Any]:
    """Every per-manager metric of SPEC section 3 with benchmark ratings, plus team or
    company totals. Queries: the manager counts, median cycles, daily activity, plan
    targets, benchmarks, slipped deals, and (only when a manager needs it) the team and
    company conversion for coverage."""
    scope, period = request.scope, request.period
    history = _history(period)
    activity = selectors.daily_activity(scope, period)
    stats = selectors.manager_stats(
        scope, period, now=request.now, history=history, activity=activity
    )
    plan = _plan_section(request, stats)
    slipped = _slippage(
        request, plan["managers"], {m.manager_id: m.values["pulled_in"] for m in stats}
    )
    medians = selectors.cycle_medians(scope, period)
    benchmarks = selectors.benchmarks_for(scope)
    working = _team_working_days(request)
    windows = {window.team_id: window for window in scope.teams}
    by_team: dict[int, list[int]] = {}
    for manager in stats:
        counts = by_team.setdefault(manager.team_id, [0, 0])
        counts[0] += manager.values["history_cohort"]
        counts[1] += manager.values["history_signed"]
    fallback: dict[int, tuple[int, int]] | None = None
    rows = []
    for manager, plan_row in zip(stats, plan["managers"], strict=True):
        values = manager.values
        elapsed = plan_row["elapsed_working_days"]
        funnel = metrics.funnel_from_reached(
            {stage: values[f"reached_{stage}"] for stage in selectors.FUNNEL}
        )
        won, lost = values["actual_contracts"], values["lost"]
        win_rate = metrics.win_rate(won, lost)
        cycle_mean = _rate(values["cycle_days_sum"], won)
        mean_value = _rate(values["actual_revenue"], won)
        alternation = metrics.alternation(
            [
                (calls, meetings)
                for _, calls, meetings in _active_days(
                    activity, manager.manager_id, working, manager.team_id
                )
            ]
        )
        sector = windows[manager.team_id].sector_id
        sector_low = next(
            (
                b["low"]
                for b in benchmarks.get(sector, [])
                if b["metric"] == BenchmarkMetric.LEAD_TO_CONTRACT
            ),
            None,
        )
        own = _rate(values["history_signed"], values["history_cohort"])
        team_rate = _rate(by_team[manager.team_id][1], by_team[manager.team_id][0])
        company_rate = None
        needs_fallback = (own is None or values["history_cohort"] < metrics.MIN_OWN_COHORT) and (
            sector_low is None
        )
        if needs_fallback and (scope.kind == "manager" or team_rate is None):
            if fallback is None:
                fallback = selectors.history_conversion_by_team(scope, history)
            cohort, signed = fallback.get(manager.team_id, (0, 0))
            team_rate = _rate(signed, cohort)
            company_rate = _rate(
                sum(s for _, s in fallback.values()), sum(c for c, _ in fallback.values())
            )
        picked = metrics.pick_rate(
            own, values["history_cohort"], sector_low, team_rate, company_rate
        )
        target = plan_row["metrics"]["contracts"]["target"]
        coverage = metrics.coverage(
            None if target is None else Decimal(target),
            won,
            picked.rate,
            values["open_now"],
        )
        scores = {
            "reached": funnel.reached,
            "conversion": {step: ratio(value) for step, value in funnel.conversion.items()},
            "overall": ratio(funnel.overall),
            "one_in_n": ratio(funnel.one_in_n),
            "won": won,
            "lost": lost,
            "win_rate": ratio(win_rate),
            "cycle_days_median": ratio(medians.get(manager.manager_id)),
            "cycle_days_mean": ratio(cycle_mean),
            "open_at_start": values["open_at_start"],
            "velocity": _number(
                metrics.velocity(values["open_at_start"], win_rate, mean_value, cycle_mean),
                "revenue",
            ),
            "meetings_per_day": ratio(metrics.per_working_day(values["actual_meetings"], elapsed)),
            "calls_per_day": ratio(metrics.per_working_day(values["actual_calls"], elapsed)),
            "dm_reach": ratio(metrics.share(values["met_with_dm"], values["met_prospects"])),
            "met_prospects": values["met_prospects"],
            "stalled": values["stalled"],
            "stale": values["stale"],
            "referrals": {
                "asked": values["actual_referrals_asked"],
                "received": values["referrals_received"],
                "declined": values["referrals_declined"],
            },
            "asks_per_contract": ratio(
                metrics.asks_per_contract(values["actual_referrals_asked"], won)
            ),
            "referral_conversion": ratio(
                metrics.referral_conversion(values["referral_cohort"], values["referral_signed"])
            ),
            "alternation": ratio(alternation.alternation),
            "meeting_day_share": ratio(alternation.meeting_day_share),
            "active_days": alternation.active_days,
            "open_now": values["open_now"],
            "remaining_contracts": _number(coverage.remaining, "contracts"),
            "conversion_rate_used": ratio(coverage.rate),
            "conversion_rate_source": picked.source,
            "required_new_prospects": coverage.required_new_prospects,
            "coverage": ratio(coverage.coverage),
        }
        rateable = scores | {"lead_to_contract": scores["overall"]}
        rows.append(plan_row | scores | {"ratings": _ratings(rateable, benchmarks.get(sector, []))})
    return {
        "managers": rows,
        "totals": _scorecard_totals(rows, stats) | {"plan": plan["totals"]},
        "exceeded": plan["exceeded"],
        "postponing": [m["username"] for m in rows if m["slippage"]["postponing"]],
        "slipped": slipped,
    }


def _team_working_days(request: Request) -> dict[int | None, frozenset[date]]:
    """The period's working days of each team of the scope (None: the default calendar)."""
    found: dict[int | None, frozenset[date]] = {
        team_id: frozenset(calendar.working_days(request.period))
        for team_id, calendar in _calendars(request).items()
    }
    found[None] = frozenset(request.calendar.working_days(request.period))
    return found


def _active_days(
    activity: Mapping[int, Mapping[date, list[int]]],
    manager_id: int,
    working: dict[int | None, frozenset[date]],
    team_id: int | None,
) -> list[tuple[date, int, int]]:
    """SPEC 3.9's active days of one manager: working days (of their team) with a call or
    a held meeting, in order, as (day, calls, held meetings)."""
    days = working.get(team_id, working[None])
    return [
        (day, calls, meetings)
        for day, (calls, meetings) in sorted(activity.get(manager_id, {}).items())
        if day in days
    ]


def _scorecard_totals(rows: list[dict], stats: list) -> dict[str, Any]:
    """Team or company values: pooled counts (Σ ÷ Σ, never a mean of ratios), activity per
    manager working day (Σ held ÷ Σ each manager's working days), alternation as the mean
    over the managers that have one (SPEC 3.9)."""
    reached = {
        stage: sum(m.values[f"reached_{stage}"] for m in stats) for stage in selectors.FUNNEL
    }
    funnel = metrics.funnel_from_reached(reached)
    won = sum(m.values["actual_contracts"] for m in stats)
    lost = sum(m.values["lost"] for m in stats)
    manager_days = sum(row["elapsed_working_days"] for row in rows)
    return {
        "managers": len(rows),
        "reached": funnel.reached,
        "conversion": {step: ratio(value) for step, value in funnel.conversion.items()},
        "overall": ratio(funnel.overall),
        "one_in_n": ratio(funnel.one_in_n),
        "win_rate": ratio(metrics.win_rate(won, lost)),
        "cycle_days_mean": ratio(_rate(sum(m.values["cycle_days_sum"] for m in stats), won)),
        "meetings_per_day": ratio(
            metrics.per_working_day(sum(m.values["actual_meetings"] for m in stats), manager_days)
        ),
        "calls_per_day": ratio(
            metrics.per_working_day(sum(m.values["actual_calls"] for m in stats), manager_days)
        ),
        "dm_reach": ratio(
            metrics.share(
                sum(m.values["met_with_dm"] for m in stats),
                sum(m.values["met_prospects"] for m in stats),
            )
        ),
        "stalled": sum(m.values["stalled"] for m in stats),
        "stale": sum(m.values["stale"] for m in stats),
        "alternation": ratio(metrics.team_alternation(r["alternation"] for r in rows)),
        "meeting_day_share": ratio(metrics.team_alternation(r["meeting_day_share"] for r in rows)),
    }


def scorecard_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """Every metric of SPEC section 3 for each manager in scope, with benchmark ratings."""
    request = parse_request(user, params)
    return header(request, "scorecard") | _scorecard(request)


LIST_LIMIT = 100  # each attention list shows the first 100; its *_total counts them all


def team_review_report(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """The lead's monthly review: each manager's scorecard (plan attainment and overage
    per metric, pace, slippage with the postponing flag, benchmark ratings), who exceeded,
    the slipped deals, and the open deals that need attention now: unreliable close dates
    (pushed 3+ times, most pushed first), stalled without a decision maker (most held
    meetings first), stale (idle past the rotting days, most idle first). Each list holds
    its first 100; ``unreliable_total``, ``stalled_total`` and ``stale_total`` count all.
    """
    request = parse_request(user, params)
    zones = {window.team_id: window.timezone for window in request.scope.teams}
    windows = {window.team_id: window for window in request.scope.teams}
    lists, totals = selectors.attention_prospects(request.scope, now=request.now, limit=LIST_LIMIT)

    def item(row: dict) -> dict:
        return {"prospect": row["pk"], "name": row["name"], "manager": row["owner_id"]}

    def stale(row: dict) -> dict:
        team_id, touched = row["owner__profile__team_id"], row["last_touch_at"]
        return item(row) | {
            "stage": row["stage"],
            "last_touch": None if touched is None else local_day(touched, zones[team_id]),
            "days_idle": row["days_idle"],
            "rotting_days": windows[team_id].rotting_days_for(row["stage"]),
        }

    return (
        header(request, "team-review")
        | _scorecard(request)
        | {
            "unreliable": [
                item(row)
                | {
                    "expected_close_date": row["expected_close_date"],
                    "push_count": row["push_count"],
                }
                for row in lists["unreliable"]
            ],
            "unreliable_total": totals["unreliable"],
            "stalled": [
                item(row) | {"stage": row["stage"], "held_meetings": row["held_meetings"]}
                for row in lists["stalled"]
            ],
            "stalled_total": totals["stalled"],
            "stale": [stale(row) for row in lists["stale"]],
            "stale_total": totals["stale"],
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
    working = _team_working_days(request)
    activity = selectors.daily_activity(request.scope, request.period)
    rows = []
    for manager in selectors.managers_in(request.scope):
        active = _active_days(activity, manager["pk"], working, manager["profile__team_id"])
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
