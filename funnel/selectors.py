"""ORM → plain values for the reports: each function is one or two aggregate queries.

A report's scope is a set of teams (each with its own time zone and work week) and,
optionally, one manager. Day boundaries are those of each team's time zone: one team is
two instants; several are the widest instant range (an index range) and, only for the
rows near an edge, the row's local day in its owner's team's ``timezone`` column
(``LocalDate``). Per-manager counts are grouped passes, one per source table, sent as one
``UNION ALL``; so the query count stays constant whatever the number of managers,
prospects or activities.
"""

import operator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, JSONObject, RowNumber, TruncDate
from django.db.models.lookups import (
    GreaterThan,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
)
from django.http import Http404

from crm.expressions import LocalDate, local_date
from crm.models import (
    DEFAULT_ROTTING_DAYS,
    ActivityDay,
    Call,
    CloseDateChange,
    Meeting,
    MeetingStatus,
    Profile,
    Prospect,
    Referral,
    ReferralStatus,
    Role,
    Source,
    Stage,
    StageChange,
    Team,
)
from crm.selectors import profile_of, role_of, team_id_of, visible_users
from crm.zones import named_zone
from events.models import AttendanceStatus, EventAttendance
from funnel import metrics
from funnel.metrics import STALLED_MIN_MEETINGS
from funnel.models import Benchmark, Plan, PlanMetric
from funnel.periods import Period

User = get_user_model()

FUNNEL = Stage.funnel()


@dataclass(frozen=True, slots=True)
class TeamWindow:
    team_id: int
    timezone: str
    work_week: str
    holiday_country: str
    sector_id: int | None = None
    rotting_days: tuple[tuple[str, int], ...] = ()
    name: str = ""
    # Every member's ActivityDay rows are counted in the team's time zone (False after a
    # member joined from a team in another zone, or the zone changed, until a refresh).
    days_counted: bool = True

    def rotting_days_for(self, stage: str) -> int:
        return dict(self.rotting_days).get(stage, DEFAULT_ROTTING_DAYS)


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a report covers: ``manager_id`` (one manager) or all managers of ``teams``."""

    kind: str  # "manager" | "team" | "company"
    teams: tuple[TeamWindow, ...]
    manager_id: int | None = None
    label: str = ""
    company: tuple[TeamWindow, ...] = ()

    def owner_q(self, field: str) -> Q:
        """Rows of this scope, by the user FK path ``field``."""
        if self.manager_id is not None:
            return Q(**{f"{field}_id": self.manager_id})
        return Q(**{f"{field}__profile__team_id__in": [t.team_id for t in self.teams]})

    def owner_in_q(self, field: str) -> Q:
        """The same rows, as ``field_id IN (the scope's users)``: lets the database walk an
        index on the owner for each member instead of joining every row to its profile."""
        if self.manager_id is not None:
            return Q(**{f"{field}_id": self.manager_id})
        members = Profile.objects.filter(team_id__in=[t.team_id for t in self.teams])
        return Q(**{f"{field}_id__in": members.values("user_id")})

    def users_q(self) -> Q:
        """The users of this scope (on the user model itself)."""
        if self.manager_id is not None:
            return Q(pk=self.manager_id)
        return Q(profile__team_id__in=[t.team_id for t in self.teams])

    def window_q(self, field: str, owner_field: str, period: Period) -> Q:
        """``field`` (a datetime) inside the period, in each team's own time zone."""
        return self.days_q(field, owner_field, period.start, period.end)

    def days_q(self, field: str, owner_field: str, first: date, last: date) -> Q:
        """``field`` (a datetime) on a local day from ``first`` to ``last``, in the time zone
        of the team of ``owner_field``.

        One team: its two instants. Several: the widest window (an index range), then
        either inside every team's window at once, or, for the few rows near an edge, the
        row's own local day (converted only for those rows)."""
        if not self.teams:
            return Q(pk__in=[])
        period = Period.of_range(first, last)
        bounds = [period.bounds(team.timezone) for team in self.teams]
        if len(set(bounds)) == 1:
            return Q(**{f"{field}__gte": bounds[0][0], f"{field}__lt": bounds[0][1]})
        los, his = [lo for lo, _ in bounds], [hi for _, hi in bounds]
        day = local_date(field, owner_field)
        sure = Q(**{f"{field}__gte": max(los), f"{field}__lt": min(his)})
        edge = Q(GreaterThanOrEqual(day, first), LessThanOrEqual(day, last))
        return Q(**{f"{field}__gte": min(los), f"{field}__lt": max(his)}) & (sure | edge)

    def since_q(self, field: str, owner_field: str, day: date) -> Q:
        """``field`` (a datetime) on or after the local day ``day`` of the owner's team."""
        return self._day_edge_q(field, owner_field, day, before=False)

    def before_q(self, field: str, owner_field: str, day: date, *, zone=None) -> Q:
        """``field`` (a datetime) before the local day ``day`` of the owner's team (or of
        the time zone named by the expression ``zone``)."""
        return self._day_edge_q(field, owner_field, day, before=True, zone=zone)

    def _day_edge_q(self, field: str, owner_field: str, day: date, *, before: bool, zone=None) -> Q:
        """One team: its instant of the start of ``day``. Several: sure below the earliest
        start (or above the latest); between the two, the row's own local day decides."""
        if not self.teams:
            return Q(pk__in=[])
        starts = {Period.of_range(day, day).bounds(team.timezone)[0] for team in self.teams}
        op, sure, unsure = ("lt", min, max) if before else ("gte", max, min)
        if len(starts) == 1:
            return Q(**{f"{field}__{op}": starts.pop()})
        local = local_date(field, owner_field) if zone is None else LocalDate(F(field), zone)
        edge = LessThan(local, day) if before else GreaterThanOrEqual(local, day)
        return Q(**{f"{field}__{op}": sure(starts)}) | Q(
            Q(**{f"{field}__{op}": unsure(starts)}), edge
        )


def _window(team: Team) -> TeamWindow:
    return TeamWindow(
        team.pk,
        team.timezone,
        team.work_week,
        team.holiday_country,
        team.sector_id,
        tuple(sorted((stage, int(days)) for stage, days in (team.rotting_days or {}).items())),
        team.name,
        getattr(team, "days_counted", True),
    )


def resolve_scope(
    user: AbstractBaseUser, *, manager: int | None = None, team: int | None = None
) -> Scope:
    """The scope asked for, limited to what the caller may see (else a 404). One or two
    queries: the teams (all of them, kept in ``company`` for the coverage fallback) and,
    for ``manager``, that manager."""
    uncounted = Profile.objects.filter(team=OuterRef("pk")).exclude(
        activity_days_tz=OuterRef("timezone")
    )
    company = tuple(
        _window(t) for t in Team.objects.annotate(days_counted=~Exists(uncounted)).order_by("pk")
    )
    by_id = {window.team_id: window for window in company}
    if manager is not None:
        target = (
            visible_users(user)
            .filter(pk=manager, profile__team__isnull=False)
            .values("pk", "username", "profile__team_id")
            .first()
        )
        if target is None:
            raise Http404("No such manager.")
        return Scope(
            "manager",
            (by_id[target["profile__team_id"]],),
            manager_id=target["pk"],
            label=target["username"],
            company=company,
        )
    role = role_of(user)
    allowed = (
        company
        if role == Role.ADMIN
        else tuple(window for window in company if window.team_id == team_id_of(user))
    )
    if team is not None:
        found = [window for window in allowed if window.team_id == team]
        if not found:
            raise Http404("No such team.")
        return Scope("team", (found[0],), label=found[0].name, company=company)
    if role == Role.MANAGER:
        profile = profile_of(user)
        return Scope(
            "manager",
            (by_id[profile.team_id],),
            manager_id=user.pk,
            label=user.get_username(),
            company=company,
        )
    if role == Role.LEAD and allowed:
        return Scope("team", (allowed[0],), label=allowed[0].name, company=company)
    return Scope("company", allowed, label="company", company=company)


def _reached_counts(cohort: Q) -> dict[str, Count]:
    """SPEC 3.1 reached(s), over prospects: those of ``cohort`` whose furthest stage ever
    entered (``Prospect.furthest_stage``, kept by the services from the stage history) is
    s or later, so a skipped stage is credited and a bounce counts once (``lost`` is not a
    stage). One count per stage."""
    return {
        f"reached_{stage}": Count("pk", filter=cohort & Q(furthest_stage__in=FUNNEL[rank:]))
        for rank, stage in enumerate(FUNNEL)
    }


def cohort_reached(scope: Scope, period: Period) -> dict[str, int]:
    """Cohort prospects (created in the period) per furthest funnel stage ever reached.
    One query: one pass over the cohort's prospects."""
    counts = Prospect.objects.filter(
        scope.owner_q("owner"), scope.window_q("created_at", "owner", period)
    ).aggregate(**_reached_counts(Q()))
    return {stage: counts[f"reached_{stage}"] or 0 for stage in FUNNEL}


def flow_entered(scope: Scope, period: Period) -> dict[str, int]:
    """Prospects in scope that entered each stage for the first time during the period,
    whenever they were created. One query."""
    earlier = StageChange.objects.filter(
        prospect=OuterRef("prospect"),
        to_stage=OuterRef("to_stage"),
        changed_at__lt=OuterRef("changed_at"),
    )
    rows = (
        StageChange.objects.filter(
            scope.owner_in_q("owner"),
            scope.window_q("changed_at", "owner", period),
            to_stage__in=FUNNEL,
        )
        .exclude(Exists(earlier))
        .values("to_stage")
        .annotate(entered=Count("prospect", distinct=True))
    )
    entered = dict.fromkeys(FUNNEL, 0)
    for row in rows:
        entered[row["to_stage"]] = row["entered"]
    return entered


# --- plan attainment (SPEC 3.4) ---------------------------------------------------------

ACTUAL_METRICS = ("contracts", "revenue", "meetings", "calls", "new_prospects", "referrals_asked")
PLAN_FACTS = tuple(f"actual_{metric}" for metric in ACTUAL_METRICS)
PLAN_TARGETS = tuple(PlanMetric.values)  # read once: the enum builds the list on each read
CENT = Decimal("0.01")
REACHED = tuple(f"reached_{stage}" for stage in FUNNEL)
# The columns of the scorecard's facts UNION (see manager_stats).
FACTS = (
    "actual_contracts",
    "actual_revenue",
    "actual_meetings",
    "actual_calls",
    "actual_new_prospects",
    "actual_referrals_asked",
    "lost",
    "cycle_days_sum",
    "open_now",
    "created_before",
    "signed_before",
    "lost_now",
    "lost_since_start",
    *REACHED,
    "referral_cohort",
    "referral_signed",
    "history_cohort",
    "history_signed",
    "referrals_received",
    "referrals_declined",
    "met_prospects",
    "met_with_dm",
    "stalled",
    "stale",
    "pulled_in",
)


MONEY_FIELDS = frozenset({"contract_value", "expected_value"})


def _count(queryset, field: str = "pk", *, distinct: str | None = None):
    """A correlated COUNT (or SUM) subquery that is 0, not NULL, when there is no row;
    with ``distinct``, the number of different values of that field."""
    if distinct is not None:
        aggregate = Count(distinct, distinct=True)
    else:
        aggregate = Sum(field) if field != "pk" else Count("pk")
    return Coalesce(
        Subquery(
            queryset.order_by()
            .annotate(_one=Value(1))
            .values("_one")
            .annotate(total=aggregate)
            .values("total")[:1]
        ),
        Value(0, output_field=DecimalField() if field in MONEY_FIELDS else IntegerField()),
    )


@dataclass(frozen=True, slots=True)
class ManagerActuals:
    manager_id: int
    username: str
    team_id: int
    hired_on: date | None
    actuals: dict[str, Decimal | int]
    role: str = Role.MANAGER
    is_active: bool = True


def plan_actuals(scope: Scope, period: Period, *, also: int | None = None) -> list[ManagerActuals]:
    """Each manager in scope with the six plan actuals of the period (SPEC 3.4). Two
    queries: the managers, and one UNION ALL of grouped passes.

    contracts/revenue: prospects signed (signed_on in the period) and the sum of their
    contract values; meetings: held meetings starting in the period; calls: calls in the
    period (both from ActivityDay, and for a user not counted in their team's zone of now
    from the calls and meetings themselves); new_prospects: prospects created;
    referrals_asked: referrals asked. ``also``:
    a user of the scope to include whatever their role (a lead whose plan is suggested).
    """
    signed = Q(signed_on__range=(period.start, period.end))
    created = scope.window_q("created_at", "owner", period)
    asked = Q(asked_on__range=(period.start, period.end))
    parts = [
        _facts(
            Prospect.objects.filter(scope.owner_q("owner")).filter(signed | created),
            "owner_id",
            columns=PLAN_FACTS,
            actual_contracts=Count("pk", filter=signed),
            actual_revenue=Coalesce(Sum("contract_value", filter=signed), Value(Decimal(0))),
            actual_new_prospects=Count("pk", filter=created),
        ),
        _facts(
            Referral.objects.filter(scope.owner_q("manager"), asked),
            "manager_id",
            columns=PLAN_FACTS,
            actual_referrals_asked=Count("pk"),
        ),
        _facts(
            _counted_days(scope, period),
            "manager_id",
            columns=PLAN_FACTS,
            actual_calls=Sum("calls"),
            actual_meetings=Sum("held_meetings"),
        ),
    ]
    live = _uncounted_activity(scope, period)
    if live is not None:
        calls, held = live
        parts.append(_facts(calls, "manager_id", columns=PLAN_FACTS, actual_calls=Count("pk")))
        parts.append(_facts(held, "manager_id", columns=PLAN_FACTS, actual_meetings=Count("pk")))
    managers = managers_in(scope, also=also)
    totals = _union_totals(managers, parts, PLAN_FACTS)
    return [
        ManagerActuals(
            manager_id=manager["pk"],
            username=manager["username"],
            team_id=manager["profile__team_id"],
            hired_on=manager["profile__hired_on"],
            role=manager["profile__role"],
            is_active=manager["is_active"],
            actuals={
                metric: (
                    Decimal(totals[manager["pk"]][f"actual_{metric}"])
                    if metric == "revenue"
                    else totals[manager["pk"]][f"actual_{metric}"]
                )
                for metric in ACTUAL_METRICS
            },
        )
        for manager in managers
    ]


def _union_totals(
    managers: list[dict], parts: list, columns: tuple[str, ...] = FACTS
) -> dict[int, dict[str, Any]]:
    """Run the grouped passes as one UNION ALL and add them up per manager (every
    manager present, with 0 for what they have no row of)."""
    totals = {m["pk"]: dict.fromkeys(columns, 0) for m in managers}
    first, *rest = parts
    for row in first.union(*rest, all=True) if rest else first:
        mine = totals.get(row["who"])
        if mine is None:
            continue
        for name in columns:
            mine[name] += row[name] or 0
    return totals


def plan_targets(scope: Scope, period: Period) -> dict[int, dict[str, Decimal]]:
    """Targets per manager for the period. One query.

    A plan inside the period counts whole; one that only overlaps it counts pro rata to
    its calendar days inside the period (a monthly plan is 7/30 of itself in a week of a
    30-day month). A metric no plan sets is absent.
    """
    plans = Plan.objects.filter(
        scope.owner_q("manager"), start__lte=period.end, end__gte=period.start
    ).values_list("manager_id", "start", "end", *PLAN_TARGETS)
    targets: dict[int, dict[str, Decimal]] = {}
    for manager_id, start, end, *values in plans:
        days = (end - start).days + 1
        inside = (min(end, period.end) - max(start, period.start)).days + 1
        share = None if inside == days else Decimal(inside) / Decimal(days)  # None: whole
        mine = targets.setdefault(manager_id, {})
        for metric, value in zip(PLAN_TARGETS, values, strict=True):
            if value is not None:
                part = Decimal(value) if share is None else Decimal(value) * share
                mine[metric] = mine[metric] + part if metric in mine else part
    return {
        manager: {metric: value.quantize(CENT) for metric, value in values.items()}
        for manager, values in targets.items()
    }


# --- activity per day (SPEC 3.3, 3.9) ----------------------------------------------------


def _local_day(scope: Scope, field: str, owner_field: str):
    """The calendar day of ``field`` in the owner's team time zone."""
    if len(scope.teams) == 1:
        return TruncDate(field, tzinfo=named_zone(scope.teams[0].timezone))
    return local_date(field, owner_field)


def _counted_q(owner_field: str = "manager") -> Q:
    """Users whose ActivityDay rows are counted in their team's time zone of now (every
    user once the services have written; not those whose team or its zone changed since)."""
    return Q(
        **{
            f"{owner_field}__profile__activity_days_tz": F(
                f"{owner_field}__profile__team__timezone"
            )
        }
    )


def _counted_days(scope: Scope, period: Period):
    """The ActivityDay rows of the period of the scope's users counted in their zone."""
    return ActivityDay.objects.filter(
        scope.owner_q("manager"), _counted_q(), day__range=(period.start, period.end)
    )


def _uncounted_activity(scope: Scope, period: Period):
    """(calls, held meetings) of the period of the scope's users whose days are not counted
    in their team's zone of now (their team moved zone, or they moved team, since the last
    refresh); None when every team of the scope is counted, as usual."""
    teams = tuple(team for team in scope.teams if not team.days_counted)
    if not teams:
        return None
    uncounted = replace(scope, teams=teams)
    calls = Call.objects.filter(
        uncounted.owner_q("manager"), uncounted.window_q("at", "manager", period)
    )
    held = Meeting.objects.filter(
        uncounted.owner_q("manager"),
        uncounted.window_q("starts_at", "manager", period),
        status=MeetingStatus.HELD,
    )
    return calls.exclude(_counted_q()), held.exclude(_counted_q())


def daily_activity(scope: Scope, period: Period) -> dict[int, dict[date, list[int]]]:
    """Calls and held meetings per manager and local day of the period. One query: the
    ActivityDay rows of the period, and for a user not counted in their team's zone of
    now (moved, or the team's zone changed, since) the calls and meetings themselves.

    Returns {manager id: {day: [calls, held meetings]}}; days with neither are absent.
    """
    rows = _counted_days(scope, period).values_list("manager_id", "day", "calls", "held_meetings")
    live = _uncounted_activity(scope, period)
    if live is not None:
        calls, held = live
        calls = (
            calls.values("manager_id", day=local_date("at", "manager"))
            .annotate(calls=Count("pk"), meetings=Value(0))
            .values_list("manager_id", "day", "calls", "meetings")
            .order_by()
        )
        held = (
            held.values("manager_id", day=local_date("starts_at", "manager"))
            .annotate(calls=Value(0), meetings=Count("pk"))
            .values_list("manager_id", "day", "calls", "meetings")
            .order_by()
        )
        rows = rows.union(calls, held, all=True)
    days: dict[int, dict[date, list[int]]] = {}
    for manager, day, n_calls, n_meetings in rows:
        counts = days.setdefault(manager, {}).setdefault(day, [0, 0])
        counts[0] += n_calls
        counts[1] += n_meetings
    return days


def managers_in(scope: Scope, *, also: int | None = None) -> list[dict]:
    """The managers of the scope (id, username, team, hired_on, role, is_active), and the
    user ``also`` whatever their role. One query."""
    role = (
        Q(profile__role=Role.MANAGER) | Q(pk=also)
        if also is not None
        else Q(profile__role=Role.MANAGER)
    )
    return list(
        User.objects.filter(scope.users_q(), role)
        .values(
            "pk", "username", "profile__team_id", "profile__hired_on", "profile__role", "is_active"
        )
        .order_by("username")
    )


# --- events ROI (SPEC 3.8) ----------------------------------------------------------------


def event_roi(scope: Scope, period: Period, events) -> list[dict]:
    """Events (of the given visible queryset) starting in the period, each with: managers
    of the scope who attended, prospects of the scope sourced there, held meetings with
    those prospects, and the contracts and revenue they brought (all up to now, not only
    in the period). One query; each count is a correlated subquery, so no join multiplies
    another."""
    # An event's days are its team's; a company-wide event's those of the scope's team,
    # or UTC for several teams.
    default = scope.teams[0].timezone if len(scope.teams) == 1 else "UTC"
    zones = {team.timezone for team in scope.company} | {default, "UTC"}
    bounds = [period.bounds(zone) for zone in zones]
    day = LocalDate(F("starts_at"), Coalesce(F("team__timezone"), Value(default)))
    in_period = Q(
        Q(starts_at__gte=min(lo for lo, _ in bounds)),
        Q(starts_at__lt=max(hi for _, hi in bounds)),
        GreaterThanOrEqual(day, period.start),
        LessThanOrEqual(day, period.end),
    )
    event = OuterRef("pk")
    sourced = Prospect.objects.filter(scope.owner_q("owner"), source_event=event)
    signed = sourced.filter(signed_on__isnull=False)
    return list(
        events.filter(in_period)
        .annotate(
            managers_attended=_count(
                EventAttendance.objects.filter(
                    scope.owner_q("manager"), event=event, status=AttendanceStatus.ATTENDED
                )
            ),
            prospects_sourced=_count(sourced),
            held_meetings=_count(
                Meeting.objects.filter(
                    scope.owner_q("prospect__owner"),
                    prospect__source_event=event,
                    status=MeetingStatus.HELD,
                )
            ),
            contracts=_count(signed),
            revenue=_count(signed, "contract_value"),
        )
        .values(
            "pk",
            "name",
            "kind",
            "starts_at",
            "cost",
            "managers_attended",
            "prospects_sourced",
            "held_meetings",
            "contracts",
            "revenue",
        )
        .order_by("starts_at", "pk")
    )


# --- slippage (SPEC 3.5) ------------------------------------------------------------------


def _before_end(scope: Scope, period: Period, owner_field: str, *, zone=None) -> Q:
    """``changed_at`` before the end of the period in the owner's team time zone (or the
    zone named by the expression ``zone``)."""
    return scope.before_q("changed_at", owner_field, period.end + timedelta(days=1), zone=zone)


def slipped_prospects(scope: Scope, period: Period) -> list[dict]:
    """Prospects that slipped out of the period. One query.

    Slipped: a CloseDateChange made during P moved the date from inside P to after P, and
    at P's end (read from the stage and close-date history, so later changes do not undo
    it) the prospect was open with its close date after P. Each counts once; ``slip_at``
    is the last such change.

    Read from the slips themselves (the scope's changes of P, by the owner and time
    index), grouped by prospect: the history at P's end is looked up for those slips
    alone, not for every prospect of the scope. Rows: pk, name, owner_id,
    owner__profile__team_id, expected_value, expected_close_date, slip_at.
    """
    prospect = OuterRef("prospect_id")
    # A prospect's history has its owner, so the zone of its end of P is the slip's.
    before_end = _before_end(
        scope, period, "owner", zone=OuterRef("owner__profile__team__timezone")
    )
    stage_at_end = StageChange.objects.filter(before_end, prospect=prospect).order_by(
        "-changed_at", "-id"
    )
    close_at_end = CloseDateChange.objects.filter(before_end, prospect=prospect).order_by(
        "-changed_at", "-id"
    )
    slips = (
        CloseDateChange.objects.filter(
            scope.owner_in_q("owner"),
            scope.window_q("changed_at", "owner", period),
            from_date__range=(period.start, period.end),
            to_date__gt=period.end,
        )
        .values(
            "owner_id",
            "owner__profile__team_id",
            pk=F("prospect_id"),
            name=F("prospect__name"),
            expected_value=F("prospect__expected_value"),
            expected_close_date=F("prospect__expected_close_date"),
        )
        .annotate(slip_at=Max("changed_at"))
        .alias(
            # Open at P's end with the date still after P, as an aggregate (HAVING): as a
            # condition on each change (WHERE) the planner guessed it kept next to nothing
            # and joined the slips to the scope's managers row by row (300 ms instead of
            # 10 for a company). Every change of a prospect shares its state at the end.
            _at_end=Max(
                Case(
                    When(
                        Q(In(Subquery(stage_at_end.values("to_stage")[:1]), Stage.open_stages()))
                        & Q(GreaterThan(Subquery(close_at_end.values("to_date")[:1]), period.end)),
                        then=Value(1),
                    ),
                    default=Value(0),
                )
            ),
        )
        .filter(_at_end=1)
        .order_by("owner_id", "slip_at", "pk")
    )
    return list(slips)


# --- the scorecard: every per-manager metric of SPEC section 3 ----------------------------


class DaysBetween(Func):
    """Whole calendar days from the second date to the first (``end - start``)."""

    arity = 2
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def stale_cutoffs(scope: Scope, now: datetime) -> dict[int, dict[str, datetime]]:
    """Per team and open stage, the instant before which the last touch makes a prospect
    stale: the start of the local day ``today - rotting days`` (idle days > rotting days
    ⇔ last touch day < today - rotting days)."""
    cutoffs: dict[int, dict[str, datetime]] = {}
    for team in scope.teams:
        local = named_zone(team.timezone)
        today = now.astimezone(local).date()
        cutoffs[team.team_id] = {
            stage: datetime.combine(
                today - timedelta(days=team.rotting_days_for(stage)), time.min, tzinfo=local
            ).astimezone(UTC)
            for stage in Stage.open_stages()
        }
    return cutoffs


def _stale_q(cutoff_ref: str = "_cutoff") -> Q:
    """Open, created before the cutoff, and neither a call nor a held meeting since (read
    from the prospect's activity cache, ``last_touch_at``).

    A touch is a call or a held meeting; planned, cancelled and no-show meetings are not."""
    return Q(stage__in=Stage.open_stages(), created_at__lt=F(cutoff_ref)) & (
        Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=F(cutoff_ref))
    )


STALLED_Q = Q(
    stage__in=Stage.open_stages(), held_meetings__gte=STALLED_MIN_MEETINGS, held_with_dm=0
)


# Open with the close date pushed later 3 times or more (the prospect's push_count, kept by
# the services from its CloseDateChanges).
UNRELIABLE_Q = Q(stage__in=Stage.open_stages(), push_count__gte=metrics.UNRELIABLE_MIN_PUSHES)


STAGE_DELTA_IN = Q(to_stage__in=Stage.open_stages()) & ~Q(from_stage__in=Stage.open_stages())
STAGE_DELTA_OUT = Q(from_stage__in=Stage.open_stages()) & ~Q(to_stage__in=Stage.open_stages())


@dataclass(frozen=True, slots=True)
class ManagerStats:
    """One manager's counts for the scorecard (SPEC section 3), all from one query."""

    manager_id: int
    username: str
    team_id: int
    hired_on: date | None
    values: dict[str, Any]

    @property
    def actuals(self) -> dict[str, Any]:
        return {metric: self.values[f"actual_{metric}"] for metric in ACTUAL_METRICS}


def _facts(queryset, owner_field: str, *, columns: tuple[str, ...] = FACTS, **aggregates):
    """One part of a facts UNION: ``aggregates`` per manager, every other column 0."""
    unknown = set(aggregates) - set(columns)
    if unknown:
        raise ValueError(f"Unknown facts: {sorted(unknown)}")
    select = {name: aggregates.get(name, Value(0)) for name in columns}
    return queryset.values(who=F(owner_field)).annotate(**select).order_by()


def manager_stats(
    scope: Scope,
    period: Period,
    *,
    now: datetime,
    history: Period,
    activity: dict[int, dict[date, list[int]]],
) -> list[ManagerStats]:
    """Each manager in scope with every count the scorecard needs. Two queries: the
    managers, and one UNION ALL of grouped counts (each part one pass over one table,
    grouped by manager), summed per manager. Calls and held meetings come from
    ``activity`` (daily_activity's per-day counts of the same period).

    ``history`` is the span of the 6 full months before the period (SPEC 3.10 coverage:
    the manager's own cohort conversion). Counts (P = the period, in local days of the
    manager's team):
      actual_* (6)       the plan actuals of SPEC 3.4 (contracts and revenue signed in P,
                         held meetings and calls in P, prospects created, referrals asked).
      lost               prospects with lost_on in P (SPEC 3.2; won = actual_contracts).
      cycle_days_sum     Σ days from the local day of creation to signed_on of the won ones.
      open_now           prospects open now.
      created_before, signed_before, lost_now, lost_since_start
                         for the prospects open at P's start (velocity): created before P,
                         signed before P (signing is final), lost now, and the net number
                         lost since P's start (Σ +1 per change to lost, -1 per reopening,
                         from P's start on); lost at the start is their difference.
      reached_<stage>    cohort (created in P) by furthest stage ever reached (SPEC 3.1).
      referral_cohort, referral_signed   cohort with source referral; of them signed.
      history_cohort, history_signed     created in ``history``; of them signed.
      referrals_received, referrals_declined   answered in P (SPEC 3.7).
      met_prospects      prospects with ≥ 1 held meeting starting in P (SPEC 3.6) …
      met_with_dm        … of which ≥ 1 held meeting up to P's end had a decision maker.
      stalled            open, ≥ 3 held meetings, none with a decision maker (now).
      stale              open, no call or held meeting for longer than the team's rotting
                         days of its stage (now).
      pulled_in          close-date changes made in P that moved a date from after P into P.
    """
    local_created = _local_day(scope, "created_at", "owner")
    prospects = Prospect.objects.filter(scope.owner_q("owner")).annotate(
        _cutoff=_cutoff_case(stale_cutoffs(scope, now))
    )
    signed = Q(signed_on__range=(period.start, period.end))
    cohort = scope.window_q("created_at", "owner", period)
    referral = cohort & Q(source=Source.REFERRAL)
    in_history = scope.window_q("created_at", "owner", history)
    prospect_facts = _facts(
        prospects,  # nearly every prospect counts somewhere: one pass over all of them
        "owner_id",
        actual_contracts=Count("pk", filter=signed),
        actual_revenue=Coalesce(Sum("contract_value", filter=signed), Value(Decimal(0))),
        actual_new_prospects=Count("pk", filter=cohort),
        lost=Count("pk", filter=Q(lost_on__range=(period.start, period.end))),
        cycle_days_sum=Coalesce(
            Sum(DaysBetween(F("signed_on"), local_created), filter=signed), Value(0)
        ),
        open_now=Count("pk", filter=Q(stage__in=Stage.open_stages())),
        lost_now=Count("pk", filter=Q(stage=Stage.LOST)),
        created_before=Count("pk", filter=scope.before_q("created_at", "owner", period.start)),
        signed_before=Count("pk", filter=Q(signed_on__lt=period.start)),
        referral_cohort=Count("pk", filter=referral),
        referral_signed=Count("pk", filter=referral & Q(signed_on__isnull=False)),
        history_cohort=Count("pk", filter=in_history),
        history_signed=Count("pk", filter=in_history & Q(signed_on__isnull=False)),
        stalled=Count("pk", filter=STALLED_Q),
        stale=Count("pk", filter=_stale_q()),
        **_reached_counts(cohort),
    )
    # Lost at P's start, from the state now and the changes since (few, by an index on
    # the time): every change to lost is +1 and every reopening -1, so what was lost at
    # the start is what is lost now minus the net change since.
    since = StageChange.objects.filter(
        scope.owner_in_q("owner"),
        Q(to_stage=Stage.LOST) | Q(from_stage=Stage.LOST),
        scope.since_q("changed_at", "owner", period.start),
    )
    lost_facts = _facts(
        since,
        "owner_id",
        lost_since_start=Count("pk", filter=Q(to_stage=Stage.LOST))
        - Count("pk", filter=Q(from_stage=Stage.LOST)),
    )
    referral_facts = _facts(
        Referral.objects.filter(scope.owner_q("manager")).filter(
            Q(asked_on__range=(period.start, period.end))
            | Q(answered_on__range=(period.start, period.end))
        ),
        "manager_id",
        actual_referrals_asked=Count("pk", filter=Q(asked_on__range=(period.start, period.end))),
        referrals_received=Count(
            "pk",
            filter=Q(answered_on__range=(period.start, period.end), status=ReferralStatus.RECEIVED),
        ),
        referrals_declined=Count(
            "pk",
            filter=Q(answered_on__range=(period.start, period.end), status=ReferralStatus.DECLINED),
        ),
    )
    # Decision-maker reach (SPEC 3.6), from the held meetings of P alone: a meeting's
    # manager is its prospect's owner (the services refuse any other), so no pass over
    # the prospects. Each prospect met in P counts once (distinct), and with a decision
    # maker when one of its held meetings up to P's end (in the team's time zone, read
    # from the outer row) had one.
    held = Meeting.objects.filter(status=MeetingStatus.HELD)
    ends = {period.bounds(team.timezone)[1] for team in scope.teams}
    dm_meetings = held.filter(prospect=OuterRef("prospect_id"), decision_maker_present=True)
    if len(ends) == 1:
        dm_meetings = dm_meetings.filter(starts_at__lt=min(ends))
    else:
        dm_meetings = dm_meetings.filter(
            Q(starts_at__lt=min(ends))
            | Q(
                Q(starts_at__lt=max(ends)),
                LessThanOrEqual(LocalDate(F("starts_at"), OuterRef("_tz")), period.end),
            )
        )
    met = held.filter(
        scope.owner_q("manager"), scope.window_q("starts_at", "manager", period)
    ).annotate(_tz=F("manager__profile__team__timezone"))
    meeting_facts = _facts(
        met,
        "manager_id",
        met_prospects=Count("prospect_id", distinct=True),
        # A meeting of P with a decision maker answers for itself (it started before P's
        # end); only the others look up the prospect's earlier ones.
        met_with_dm=Count(
            "prospect_id",
            distinct=True,
            filter=Q(decision_maker_present=True) | Q(Exists(dm_meetings)),
        ),
    )
    pulled_facts = _facts(
        CloseDateChange.objects.filter(
            scope.owner_in_q("owner"),
            scope.window_q("changed_at", "owner", period),
            from_date__gt=period.end,
            to_date__range=(period.start, period.end),
        ),
        "owner_id",
        pulled_in=Count("pk"),
    )
    parts = [
        prospect_facts,
        lost_facts,
        referral_facts,
        meeting_facts,
        pulled_facts,
    ]
    managers = managers_in(scope)
    totals = _union_totals(managers, parts)
    stats = []
    for manager in managers:
        values = totals[manager["pk"]]
        values["actual_revenue"] = Decimal(values["actual_revenue"])
        days = activity.get(manager["pk"], {}).values()
        values["actual_calls"] = sum(calls for calls, _ in days)
        values["actual_meetings"] = sum(meetings for _, meetings in days)
        values["lost_at_start"] = values["lost_now"] - values["lost_since_start"]
        values["open_at_start"] = (
            values["created_before"] - values["signed_before"] - values["lost_at_start"]
        )
        stats.append(
            ManagerStats(
                manager_id=manager["pk"],
                username=manager["username"],
                team_id=manager["profile__team_id"],
                hired_on=manager["profile__hired_on"],
                values=values,
            )
        )
    return stats


def _cutoff_case(cutoffs: dict[int, dict[str, datetime]], owner_field: str = "owner") -> Case:
    """Each open prospect's stale cutoff by its stage and team, as a short CASE: stages
    whose cutoffs agree for every team share one branch, and inside it teams that share a
    cutoff (same time zone and rotting days) share one WHEN."""
    stages: dict[tuple, list[str]] = {}
    for stage in Stage.open_stages():
        per_team = tuple(sorted((team, by_stage[stage]) for team, by_stage in cutoffs.items()))
        stages.setdefault(per_team, []).append(stage)

    def by_team(per_team: tuple) -> Case:
        teams: dict[datetime, list[int]] = {}
        for team_id, moment in per_team:
            teams.setdefault(moment, []).append(team_id)
        return Case(
            *(
                When(**{f"{owner_field}__profile__team_id__in": ids}, then=Value(moment))
                for moment, ids in teams.items()
            ),
            output_field=DateTimeField(),
        )

    branches = list(stages.items())
    if len(branches) == 1:
        return by_team(branches[0][0])
    return Case(
        *(When(stage__in=names, then=by_team(per_team)) for per_team, names in branches),
        output_field=DateTimeField(),
    )


def cycle_medians(scope: Scope, period: Period) -> dict[int, Decimal]:
    """Median sales cycle (days from the local day of creation to signed_on) of the
    prospects won in the period, per manager. One query: the middle one or two cycles per
    manager are picked in the database by row number."""
    cycle = DaysBetween(F("signed_on"), _local_day(scope, "created_at", "owner"))
    middle = (
        Prospect.objects.filter(scope.owner_q("owner"), signed_on__range=(period.start, period.end))
        .annotate(
            _cycle=cycle,
            _row=Window(
                RowNumber(), partition_by=[F("owner_id")], order_by=[cycle.asc(), F("pk").asc()]
            ),
            _n=Window(Count("pk"), partition_by=[F("owner_id")]),
        )
        .filter(_row__gte=(F("_n") + 1) / 2, _row__lte=(F("_n") + 2) / 2)
        .values("owner_id", "_cycle")
    )
    picked: dict[int, list[int]] = {}
    for row in middle:
        picked.setdefault(row["owner_id"], []).append(row["_cycle"])
    return {owner: metrics.mean(values) for owner, values in picked.items()}


def benchmarks_for(scope: Scope) -> dict[int, list[dict]]:
    """The benchmarks of each sector of the scope's teams, by sector id. One query."""
    sectors = {team.sector_id for team in scope.teams if team.sector_id is not None}
    found: dict[int, list[dict]] = {}
    for row in (
        Benchmark.objects.filter(sector_id__in=sectors)
        .values("sector_id", "metric", "low", "high", "note")
        .order_by("metric")
    ):
        found.setdefault(row["sector_id"], []).append(row)
    return found


ATTENTION_LISTS = {
    # list: (flag, ordering inside the list; the report shows the first ``limit``)
    "unreliable": ("unreliable", ("-push_count", "pk")),
    "stalled": ("stalled", ("-held_meetings", "pk")),
    "stale": ("stale", ("-days_idle", "pk")),
}


def with_attention_flags(prospects: QuerySet, scope: Scope, *, now: datetime) -> QuerySet:
    """``prospects`` annotated with the booleans ``stale``, ``stalled`` and ``unreliable``,
    by the same definitions as ``attention_prospects`` (the team review's lists), so the
    prospect list can filter on them. No query of its own; a prospect of a team outside
    ``scope`` is never stale (it has no cutoff)."""
    cutoffs = stale_cutoffs(scope, now)
    cutoff = _cutoff_case(cutoffs) if cutoffs else Value(None, output_field=DateTimeField())
    return prospects.annotate(_cutoff=cutoff, **_flag_annotations())


def _attention_flags() -> dict[str, Q]:
    """Each attention flag's condition (``stale`` reads the ``_cutoff`` annotation)."""
    return {"unreliable": UNRELIABLE_Q, "stalled": STALLED_Q, "stale": _stale_q()}


def _flag_annotations() -> dict[str, ExpressionWrapper]:
    return {
        name: ExpressionWrapper(condition, output_field=BooleanField())
        for name, condition in _attention_flags().items()
    }


def attention_prospects(
    scope: Scope, *, now: datetime, limit: int
) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """Open prospects in scope that need a lead's attention now: per list of
    ATTENTION_LISTS its first ``limit`` rows in the list's order, and how many the list
    has in all. One query: the scope's open prospects that are among the first ``limit``
    of some list (one ordered, limited subquery per list, so the database keeps only the
    top of each instead of ranking every flagged row), with the lists' sizes from one
    scalar subquery (a JSON object, one pass over the flagged rows); a prospect may stand
    in several lists.

    unreliable   close date pushed later 3 times or more (all its CloseDateChanges); most
                 pushes first.
    stalled      ≥ 3 held meetings, none with a decision maker present; most meetings
                 first.
    stale        no call or held meeting for longer than the team's rotting days of its
                 stage; ``last_touch_at`` is the latest call or held meeting (None: never),
                 ``days_idle`` the whole local days since it (or since creation); most
                 idle first.
    """
    since = Greatest(Coalesce("last_touch_at", "created_at"), F("created_at"))
    zones = {team.team_id: named_zone(team.timezone) for team in scope.teams}
    todays = {team_id: now.astimezone(local).date() for team_id, local in zones.items()}
    if len(zones) == 1:
        since_day = TruncDate(since, tzinfo=next(iter(zones.values())))
    else:
        since_day = LocalDate(since, F("owner__profile__team__timezone"))
    if len(set(todays.values())) <= 1:
        today = Value(next(iter(todays.values()), now.date()))
    else:
        today = Case(
            *(
                When(owner__profile__team_id=team_id, then=Value(day))
                for team_id, day in todays.items()
            ),
            output_field=DateField(),
        )
    flags = _attention_flags()
    open_prospects = Prospect.objects.filter(
        scope.owner_in_q("owner"), stage__in=Stage.open_stages()
    ).annotate(
        _cutoff=_cutoff_case(stale_cutoffs(scope, now)),
        days_idle=DaysBetween(today, since_day),
    )
    tops = []
    counts = {}
    for name, (flag, order) in ATTENTION_LISTS.items():
        members = open_prospects.filter(flags[flag])
        # Wrapped in a plain part, since SQLite's compound queries take no LIMIT per part.
        top = members.order_by(*order).values("pk")[:limit]
        tops.append(Prospect.objects.filter(pk__in=top).values("pk").order_by())
        counts[name] = Coalesce(
            Func(
                Case(When(flags[flag], then=Value(1)), default=Value(0)),
                function="SUM",
                output_field=IntegerField(),
            ),
            Value(0),
        )
    # Every list's size from one pass over the flagged rows, as one JSON object.
    flagged = open_prospects.filter(reduce(operator.or_, flags.values()))
    sizes = Subquery(
        flagged.order_by().annotate(_sizes=JSONObject(**counts)).values("_sizes"),
        output_field=JSONField(),
    )
    rows = list(
        open_prospects.filter(pk__in=tops[0].union(*tops[1:], all=True))
        .annotate(**_flag_annotations(), _sizes=sizes)
        .values(
            "pk",
            "name",
            "owner_id",
            "owner__profile__team_id",
            "stage",
            "created_at",
            "expected_value",
            "expected_close_date",
            "push_count",
            "held_meetings",
            "stalled",
            "stale",
            "unreliable",
            "days_idle",
            "last_touch_at",
            "_sizes",
        )
        .order_by()
    )
    # Every row of a list's first ``limit`` is here, and any other row of that list that
    # came with another list ranks after them: sorting the list's rows by its order and
    # cutting at ``limit`` gives exactly the database's top.
    lists: dict[str, list[dict]] = {}
    for name, (flag, order) in ATTENTION_LISTS.items():
        found = [row for row in rows if row[flag]]
        for field in reversed(order):
            key = field.lstrip("-")
            found.sort(key=lambda row, key=key: row[key], reverse=field.startswith("-"))
        lists[name] = found[:limit]
    # No row: every list is empty (a list with members has its first rows here).
    counted = rows[0]["_sizes"] if rows else {}
    totals = {name: int(counted.get(name, 0)) for name in ATTENTION_LISTS}
    return lists, totals


def history_conversion_by_team(scope: Scope, history: Period) -> dict[int, tuple[int, int]]:
    """Per team of the company: (prospects created in ``history``, of which reached
    contract), each team in its own time zone. One query; the coverage fallback (SPEC
    3.10: the team's rate, else the company's)."""
    company = Scope("company", scope.company, company=scope.company)
    rows = (
        Prospect.objects.filter(company.window_q("created_at", "owner", history))
        .values("owner__profile__team_id")
        .annotate(cohort=Count("pk"), signed=Count("pk", filter=Q(signed_on__isnull=False)))
        .order_by()
    )
    return {row["owner__profile__team_id"]: (row["cohort"], row["signed"]) for row in rows}
