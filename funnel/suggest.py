"""SPEC 3.11 plan suggestion: personal targets for one manager's next plan.

Fetch once, then calculate with no queries (the shape of ``funnel.reports``):

fetch       ``team_history``: the members of the manager's team the suggestion may use,
            each with the six plan actuals (SPEC 3.4) of every history period. One query
            for the members and one per source table (prospects → contracts, revenue, new
            prospects; held meetings; calls; referrals asked). Each source query buckets
            its rows into the history periods with conditional ``Count``/``Sum`` and
            groups them by manager, so the manager's own history and the team median come
            from the same rows: 5 queries whatever the size of the team.
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum

from crm.models import Call, Meeting, MeetingStatus, Prospect, Referral, Role
from funnel import metrics
from funnel.periods import Period
from funnel.reports import _number, header, parse_request, ratio
from funnel.selectors import ACTUAL_METRICS, TeamWindow

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


@dataclass(frozen=True, slots=True)
class _Source:
    """One table: its rows in scope, the user FK, and an aggregate per metric and period."""

    rows: QuerySet
    owner: str
    aggregates: Mapping[str, Callable[[int], Any]]


def _sources(
    periods: Sequence[Period], instants: Sequence[tuple[datetime, datetime]]
) -> tuple[_Source, ...]:
    first, last = periods[0].start, periods[-1].end
    lo, hi = instants[0][0], instants[-1][1]

    def on_day(field: str, k: int) -> Q:  # a date column
        return Q(**{f"{field}__range": (periods[k].start, periods[k].end)})

    def at(field: str, k: int) -> Q:  # a datetime column, in the team's time zone
        return Q(**{f"{field}__gte": instants[k][0], f"{field}__lt": instants[k][1]})

    return (
        _Source(
            Prospect.objects.filter(
                Q(signed_on__range=(first, last)) | Q(created_at__gte=lo, created_at__lt=hi)
            ),
            "owner",
            {
                "contracts": lambda k: Count("pk", filter=on_day("signed_on", k)),
                "revenue": lambda k: Sum("contract_value", filter=on_day("signed_on", k)),
                "new_prospects": lambda k: Count("pk", filter=at("created_at", k)),
            },
        ),
        _Source(
            Meeting.objects.filter(status=MeetingStatus.HELD, starts_at__gte=lo, starts_at__lt=hi),
            "manager",
            {"meetings": lambda k: Count("pk", filter=at("starts_at", k))},
        ),
        _Source(
            Call.objects.filter(at__gte=lo, at__lt=hi),
            "manager",
            {"calls": lambda k: Count("pk", filter=at("at", k))},
        ),
        _Source(
            Referral.objects.filter(asked_on__range=(first, last)),
            "manager",
            {"referrals_asked": lambda k: Count("pk", filter=on_day("asked_on", k))},
        ),
    )


def team_history(window: TeamWindow, manager_id: int, periods: Sequence[Period]) -> list[Member]:
    """The manager and the team's managers, with their actuals in each of ``periods``.

    ``periods`` are consecutive (``Period.previous_full``). Members: the team's users with
    role manager, plus ``manager_id`` whatever their role. Actuals as in SPEC 3.4: counts
    are ints, revenue a Decimal (0 when nothing was signed). Five queries.
    """
    members = list(
        User.objects.filter(
            Q(pk=manager_id) | Q(profile__role=Role.MANAGER),
            profile__team_id=window.team_id,
        )
        .values("pk", "username", "is_active", "profile__role", "profile__hired_on")
        .order_by("username")
    )
    instants = [period.bounds(window.timezone) for period in periods]
    zero: Actuals = {
        metric: Decimal(0) if metric in MONEY_METRICS else 0 for metric in ACTUAL_METRICS
    }
    found: dict[int, list[Actuals]] = {
        member["pk"]: [dict(zero) for _ in periods] for member in members
    }
    for source in _sources(periods, instants):
        rows = (
            source.rows.filter(**{f"{source.owner}__profile__team_id": window.team_id})
            .values(f"{source.owner}_id")
            .annotate(
                **{
                    f"{metric}_{k}": aggregate(k)
                    for metric, aggregate in source.aggregates.items()
                    for k in range(len(periods))
                }
            )
            .order_by()
        )
        for row in rows:
            history = found.get(row[f"{source.owner}_id"])
            if history is None:  # a lead's or an admin's own rows: not used
                continue
            for metric in source.aggregates:
                for k, actuals in enumerate(history):
                    value = row[f"{metric}_{k}"]
                    if value is not None:  # SUM over no row
                        actuals[metric] = Decimal(value) if metric in MONEY_METRICS else value
    return [
        Member(
            manager_id=member["pk"],
            username=member["username"],
            role=member["profile__role"],
            is_active=member["is_active"],
            hired_on=member["profile__hired_on"],
            actuals=tuple(found[member["pk"]]),
        )
        for member in members
    ]


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
    the one after the current month. The scope's queries (``resolve_scope``) plus five,
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
    members = team_history(window, scope.manager_id, history)
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
