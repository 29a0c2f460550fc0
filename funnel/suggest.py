"""SPEC 3.11 plan suggestion: personal targets for one manager's next plan.

Fetch once, then calculate with no queries (the shape of ``funnel.reports``):

fetch       ``team_history``: the members of the manager's team the suggestion may use,
            each with the six plan actuals (SPEC 3.4) of every history period, counted by
            the plan report's own selector (``selectors.plan_actuals``, two queries a
            period), so a suggestion and the plan report can never count differently: 6
            queries whatever the size of the team.
calculate   ``suggest``: plain values in, plain values out; the maths is
            ``funnel.metrics.suggest_target``, ``median``, ``months_since`` and ``ramp``.
report      ``plan_suggestion``: the answer of ``GET /api/plans/suggest/``.

Decisions where SPEC 3.11 is silent
- History: the last 3 *full* periods of the same kind before the requested one that are
  over by today (``Period.previous_full``): for 2026-12 asked on 1 December, September,
  October and November 2026; asked on 23 November, August to October (November is not
  over, and a part of a month would pull the mean down); for 2027-Q1 the quarters
  2026-Q2…Q4; for 2026-W48 the weeks W45…W47; for a range of n days the 3 ranges of n
  days just before it. Days are the team's time zone; meetings count
  only when held; contracts/revenue by ``signed_on``, referrals by ``asked_on`` (dates).
- A history period is *full* for a manager when it starts on or after their ``hired_on``
  (they were employed every day of it; hired on 1 September → September is full, hired
  on 2 September → it is not). Without a ``hired_on`` every period is full: the hire date
  is unknown, so the manager is treated as long-serving.
- basis ``own`` (3 full periods): the mean of the 3 actuals * (1 + growth).
- basis ``team_median`` (fewer): the team median * the ramp of the manager's calendar
  month since hire at the requested period's first day (1st month 50%, 2nd 75%, from
  the 3rd 100%; a hire after that day counts as the 1st month). No growth on top: the
  median is already what an established colleague does.
- Team median: over the *other* active members of the team with role manager that have 3
  full periods, of each one's exact 3-period mean; for an even count, the mean of the two
  middle ones. Leads, admins, newer hires and the manager asked about are left out, so
  it is the same median for every new hire of the team. It is reported for every manager
  (a veteran sees what their peers do). Null when no colleague qualifies; then a manager
  without 3 full periods gets no suggestion (``basis`` null, every target null).
- Without ``period``/``start``/``end`` the period is the one after the current month (in
  the team's time zone): the plan being set is usually next month's.
- Counts round half-up to whole numbers, revenue to cents (a decimal string); growth is
  a ratio (0.15 for 15%) from -1 (exclusive) to 1, at most 4 decimal places.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from crm.models import Role
from funnel import metrics
from funnel.periods import Period
from funnel.reports import _number, header, parse_request, ratio
from funnel.selectors import ACTUAL_METRICS, Scope, TeamWindow, plan_actuals

User = get_user_model()

REPORT = "plan-suggestion"
MONEY_METRICS = frozenset({"revenue"})
MAX_GROWTH = Decimal(1)
_GROWTH_RE = re.compile(r"-?\d{1,3}(?:\.\d{1,4})?", re.ASCII)

Actuals = dict[str, Decimal | int]


# --- fetch --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """A member of the team with their actuals per history period (oldest first)."""

    manager_id: int
    username: str
    role: str
    is_active: bool
    hired_on: date | None
    actuals: tuple[Actuals, ...]


def team_history(scope: Scope, manager_id: int, periods: Sequence[Period]) -> list[Member]:
    """The manager and the managers of their team, with their plan actuals (SPEC 3.4, as
    the plan report counts them: ``selectors.plan_actuals``) in each of ``periods``.

    Members: the team's users with role manager, plus ``manager_id`` whatever their role.
    Two queries per period.
    """
    team = Scope("team", scope.teams, company=scope.company)
    found: dict[int, Member] = {}
    for period in periods:
        for row in plan_actuals(team, period, also=manager_id):
            member = found.get(row.manager_id)
            found[row.manager_id] = Member(
                manager_id=row.manager_id,
                username=row.username,
                role=row.role,
                is_active=row.is_active,
                hired_on=row.hired_on,
                actuals=(*(member.actuals if member else ()), row.actuals),
            )
    return sorted(found.values(), key=lambda member: member.username)


# --- calculate ------------------------------------------------------------------------------


def is_full(period: Period, hired_on: date | None) -> bool:
    """True when the manager was employed every day of the period (or hire is unknown)."""
    return hired_on is None or period.start >= hired_on


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The suggested targets of one manager (money quantized to 0.01, counts whole).

    basis               "own", "team_median" or None (nothing to base a suggestion on).
    months_since_hire   0 in the month of hire (see ``metrics.months_since``); None
                        without a hire date.
    ramp                the share of the team median applied; None unless the basis is
                        the team median.
    suggested           per metric; None when the basis is None.
    team_median         per metric, the exact median of the colleagues' 3-period means;
                        None when no colleague has 3 full periods.
    """

    basis: str | None
    months_since_hire: int | None
    ramp: Decimal | None
    suggested: dict[str, Decimal | None]
    team_median: dict[str, Fraction | None]


def suggest(
    manager: Member,
    colleagues: Iterable[Member],
    *,
    period: Period,
    history: Sequence[Period],
    growth: Decimal = metrics.DEFAULT_GROWTH,
) -> Suggestion:
    """SPEC 3.11 for one manager (see the module docstring for the rules). No queries."""
    peers = [
        member
        for member in colleagues
        if member.manager_id != manager.manager_id
        and member.role == Role.MANAGER
        and member.is_active
        and all(is_full(p, member.hired_on) for p in history)
    ]
    team_median: dict[str, Fraction | None] = {}
    for metric in ACTUAL_METRICS:
        # The median of the 3-period sums is exact (half a cent terminates); dividing it
        # as a Fraction keeps a third exact, so a ramped half cent still rounds up.
        sums = metrics.median(
            sum((Decimal(a[metric]) for a in m.actuals), Decimal(0)) for m in peers
        )
        team_median[metric] = None if sums is None else Fraction(sums) / len(history)
    full = [
        actuals
        for earlier, actuals in zip(history, manager.actuals, strict=True)
        if is_full(earlier, manager.hired_on)
    ]
    months = (
        None if manager.hired_on is None else metrics.months_since(manager.hired_on, period.start)
    )
    if len(full) >= metrics.SUGGESTION_PERIODS:
        basis = "own"
    elif peers:
        basis = "team_median"
    else:
        basis = None
    suggested = {
        metric: metrics.suggest_target(
            [actuals[metric] for actuals in full],
            growth,
            team_median[metric],  # type: ignore[arg-type]  # a Fraction: exact, see above
            months,
            places=2 if metric in MONEY_METRICS else 0,
        )
        for metric in ACTUAL_METRICS
    }
    return Suggestion(
        basis=basis,
        months_since_hire=months,
        ramp=metrics.ramp(months) if basis == "team_median" else None,
        suggested=suggested,
        team_median=team_median,
    )


# --- request → answer -----------------------------------------------------------------------


def parse_growth(raw: str | None) -> Decimal:
    """The ``growth`` parameter: a ratio (0.15 = 15%), default ``metrics.DEFAULT_GROWTH``."""
    if raw is None or not raw.strip():
        return metrics.DEFAULT_GROWTH
    text = raw.strip()
    if _GROWTH_RE.fullmatch(text) is None or not -MAX_GROWTH < Decimal(text) <= MAX_GROWTH:
        raise ValidationError(
            {
                "growth": f"“{raw}” is not a growth ratio: give a number above -1 and at most "
                "1 with up to 4 decimals, e.g. 0.15 for 15%."
            }
        )
    return Decimal(text)


def _growth_text(growth: Decimal) -> str:
    """At least two places: 0.1 → "0.10", 0.125 → "0.125"."""
    exponent = growth.as_tuple().exponent
    return str(growth.quantize(Decimal("0.01")) if exponent >= -2 else growth)


def _history_periods(period: Period, window: TeamWindow, field: str, today: date) -> list[Period]:
    """The last 3 full periods of the period's length: before it, and over by today."""
    try:
        history = period.previous_full(metrics.SUGGESTION_PERIODS)
        while not history[-1].is_past(today):
            history = history[0].previous_full(1) + history[:-1]
        for earlier in history:
            earlier.bounds(window.timezone)  # the first representable days overflow in UTC
    except (OverflowError, ValueError):
        raise ValidationError(
            {field: "The periods before this one fall outside the calendar."}
        ) from None
    return history


def _given(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    return value is not None and bool(value.strip())


def plan_suggestion(user: AbstractBaseUser, params: Mapping[str, str]) -> dict[str, Any]:
    """``GET /api/plans/suggest/?manager=<id>&period=…[&growth=0.15]`` (SPEC 3.11).

    ``manager`` is required (400 naming it); the caller must see that manager (a manager
    themselves, a lead their team's, an admin anyone), else 404. The period defaults to
    the one after the current month. The scope's queries (``resolve_scope``) plus six,
    whatever the size of the team.
    """
    if not _given(params, "manager"):
        raise ValidationError({"manager": "Give the id of the manager to suggest a plan for."})
    growth = parse_growth(params.get("growth"))
    request = parse_request(user, params)
    if not any(_given(params, name) for name in ("period", "start", "end")):
        request = replace(request, period=request.period.next())
    scope, period = request.scope, request.period
    window = scope.teams[0]
    history = _history_periods(
        period, window, "period" if _given(params, "period") else "start", request.today
    )
    members = team_history(scope, scope.manager_id, history)
    manager = next(m for m in members if m.manager_id == scope.manager_id)
    result = suggest(manager, members, period=period, history=history, growth=growth)
    return header(request, REPORT) | {
        "manager": manager.manager_id,
        "username": manager.username,
        "growth": _growth_text(growth),
        "basis": result.basis,
        "months_since_hire": result.months_since_hire,
        "ramp": ratio(result.ramp),
        "history": [
            {
                "period": earlier.label,
                "start": earlier.start,
                "end": earlier.end,
                "full": is_full(earlier, manager.hired_on),
                "complete": earlier.is_past(request.today),
                "actuals": {m: _number(actuals[m], m) for m in ACTUAL_METRICS},
            }
            for earlier, actuals in zip(history, manager.actuals, strict=True)
        ],
        "suggested": {m: _number(result.suggested[m], m) for m in ACTUAL_METRICS},
        "team_median": {
            m: None if v is None else _number(Decimal(v.numerator) / v.denominator, m)
            for m, v in result.team_median.items()
        },
    }
