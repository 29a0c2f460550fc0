"""ORM → plain values for the reports: each function is one aggregate query.

A report's scope is a set of teams (each with its own time zone and work week) and,
optionally, one manager. Day boundaries are those of each team's time zone, so a
company-wide query ORs one time window per team; the number of teams is small and the
query count stays constant whatever the number of managers, prospects or activities.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404

from crm.models import (
    Call,
    CloseDateChange,
    Meeting,
    MeetingStatus,
    Prospect,
    Referral,
    Role,
    Stage,
    StageChange,
    Team,
)
from crm.selectors import profile_of, role_of, team_id_of, visible_users
from events.models import AttendanceStatus, EventAttendance
from funnel.models import Plan, PlanMetric
from funnel.periods import Period

User = get_user_model()

FUNNEL = Stage.funnel()
_RANK = Case(
    *(When(to_stage=stage, then=Value(rank)) for rank, stage in enumerate(FUNNEL)),
    default=Value(None),
    output_field=IntegerField(),
)


@dataclass(frozen=True, slots=True)
class TeamWindow:
    team_id: int
    timezone: str
    work_week: str
    holiday_country: str


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a report covers: ``manager_id`` (one manager) or all managers of ``teams``."""

    kind: str  # "manager" | "team" | "company"
    teams: tuple[TeamWindow, ...]
    manager_id: int | None = None
    label: str = ""

    def owner_q(self, field: str) -> Q:
        """Rows of this scope, by the user FK path ``field``."""
        if self.manager_id is not None:
            return Q(**{f"{field}_id": self.manager_id})
        return Q(**{f"{field}__profile__team_id__in": [t.team_id for t in self.teams]})

    def users_q(self) -> Q:
        """The users of this scope (on the user model itself)."""
        if self.manager_id is not None:
            return Q(pk=self.manager_id)
        return Q(profile__team_id__in=[t.team_id for t in self.teams])

    def window_q(self, field: str, owner_field: str, period: Period) -> Q:
        """``field`` (a datetime) inside the period, in each team's own time zone."""
        clauses = Q(pk__in=[])
        for team in self.teams:
            start, end = period.bounds(team.timezone)
            clauses |= Q(
                **{
                    f"{owner_field}__profile__team_id": team.team_id,
                    f"{field}__gte": start,
                    f"{field}__lt": end,
                }
            )
        return clauses


def _window(team: Team) -> TeamWindow:
    return TeamWindow(team.pk, team.timezone, team.work_week, team.holiday_country)


def resolve_scope(
    user: AbstractBaseUser, *, manager: int | None = None, team: int | None = None
) -> Scope:
    """The scope asked for, limited to what the caller may see (else a 404)."""
    if manager is not None:
        target = visible_users(user).filter(pk=manager, profile__team__isnull=False).first()
        if target is None:
            raise Http404("No such manager.")
        window = _window(target.profile.team)
        return Scope("manager", (window,), manager_id=target.pk, label=target.get_username())
    role = role_of(user)
    teams = Team.objects.order_by("pk")
    if role != Role.ADMIN:
        teams = teams.filter(pk=team_id_of(user) or 0)
    if team is not None:
        teams = teams.filter(pk=team)
        found = list(teams)
        if not found:
            raise Http404("No such team.")
        return Scope("team", (_window(found[0]),), label=found[0].name)
    if role == Role.MANAGER:
        profile = profile_of(user)
        return Scope(
            "manager", (_window(profile.team),), manager_id=user.pk, label=user.get_username()
        )
    found = list(teams)
    if role == Role.LEAD and found:
        return Scope("team", (_window(found[0]),), label=found[0].name)
    return Scope("company", tuple(_window(t) for t in found), label="company")


def cohort_reached(scope: Scope, period: Period) -> dict[str, int]:
    """Cohort prospects (created in the period) per furthest funnel stage ever reached.

    Counts, for each stage, the prospects whose furthest stage (from StageChange; `lost` is
    not a stage) is at or past it. One query.
    """
    furthest = Subquery(
        StageChange.objects.filter(prospect=OuterRef("pk"), to_stage__in=FUNNEL)
        .annotate(rank=_RANK)
        .order_by("-rank")
        .values("rank")[:1],
        output_field=IntegerField(),
    )
    cohort = Prospect.objects.filter(
        scope.owner_q("owner"), scope.window_q("created_at", "owner", period)
    ).annotate(furthest=furthest)
    counts = cohort.aggregate(
        **{stage: Count("pk", filter=Q(furthest__gte=rank)) for rank, stage in enumerate(FUNNEL)}
    )
    return {stage: counts[stage] or 0 for stage in FUNNEL}


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
            scope.owner_q("prospect__owner"),
            scope.window_q("changed_at", "prospect__owner", period),
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


def _count(queryset, field: str = "pk"):
    """A correlated COUNT (or SUM) subquery that is 0, not NULL, when there is no row."""
    aggregate = Sum(field) if field != "pk" else Count("pk")
    return Coalesce(
        Subquery(
            queryset.order_by()
            .annotate(_one=Value(1))
            .values("_one")
            .annotate(total=aggregate)
            .values("total")[:1]
        ),
        Value(0, output_field=DecimalField() if field != "pk" else IntegerField()),
    )


@dataclass(frozen=True, slots=True)
class ManagerActuals:
    manager_id: int
    username: str
    team_id: int
    hired_on: date | None
    actuals: dict[str, Decimal | int]


def plan_actuals(scope: Scope, period: Period) -> list[ManagerActuals]:
    """Each manager in scope with the six plan actuals of the period (SPEC 3.4). One query.

    contracts/revenue: prospects signed (signed_on in the period) and the sum of their
    contract values; meetings: held meetings starting in the period; calls: calls in the
    period; new_prospects: prospects created; referrals_asked: referrals asked.
    """
    user = OuterRef("pk")
    first, last = period.start, period.end
    managers = (
        User.objects.filter(scope.users_q(), profile__role=Role.MANAGER)
        .annotate(
            actual_contracts=_count(
                Prospect.objects.filter(owner=user, signed_on__range=(first, last))
            ),
            actual_revenue=_count(
                Prospect.objects.filter(owner=user, signed_on__range=(first, last)),
                "contract_value",
            ),
            actual_meetings=_count(
                Meeting.objects.filter(
                    scope.window_q("starts_at", "manager", period),
                    manager=user,
                    status=MeetingStatus.HELD,
                )
            ),
            actual_calls=_count(
                Call.objects.filter(scope.window_q("at", "manager", period), manager=user)
            ),
            actual_new_prospects=_count(
                Prospect.objects.filter(scope.window_q("created_at", "owner", period), owner=user)
            ),
            actual_referrals_asked=_count(
                Referral.objects.filter(manager=user, asked_on__range=(first, last))
            ),
        )
        .values(
            "pk",
            "username",
            "profile__team_id",
            "profile__hired_on",
            *(f"actual_{metric}" for metric in ACTUAL_METRICS),
        )
        .order_by("username")
    )
    return [
        ManagerActuals(
            manager_id=row["pk"],
            username=row["username"],
            team_id=row["profile__team_id"],
            hired_on=row["profile__hired_on"],
            actuals={metric: row[f"actual_{metric}"] for metric in ACTUAL_METRICS},
        )
        for row in managers
    ]


def plan_targets(scope: Scope, period: Period) -> dict[int, dict[str, Decimal]]:
    """Targets per manager for the period. One query.

    A plan inside the period counts whole; one that only overlaps it counts pro rata to
    its calendar days inside the period (a monthly plan is 7/30 of itself in a week of a
    30-day month). A metric no plan sets is absent.
    """
    plans = Plan.objects.filter(
        scope.owner_q("manager"), start__lte=period.end, end__gte=period.start
    ).values("manager_id", "start", "end", *PlanMetric.values)
    targets: dict[int, dict[str, Decimal]] = {}
    for plan in plans:
        days = (plan["end"] - plan["start"]).days + 1
        inside = (min(plan["end"], period.end) - max(plan["start"], period.start)).days + 1
        share = Decimal(inside) / Decimal(days)
        mine = targets.setdefault(plan["manager_id"], {})
        for metric in PlanMetric.values:
            if plan[metric] is not None:
                mine[metric] = mine.get(metric, Decimal(0)) + Decimal(plan[metric]) * share
    return {
        manager: {metric: value.quantize(Decimal("0.01")) for metric, value in values.items()}
        for manager, values in targets.items()
    }


# --- activity per day (SPEC 3.3, 3.9) ----------------------------------------------------


def _local_day(scope: Scope, field: str, owner_field: str):
    """The calendar day of ``field`` in the owner's team time zone (one CASE per team)."""
    return Case(
        *(
            When(
                **{f"{owner_field}__profile__team_id": team.team_id},
                then=TruncDate(field, tzinfo=zoneinfo.ZoneInfo(team.timezone)),
            )
            for team in scope.teams
        ),
        output_field=DateField(),
    )


def daily_activity(scope: Scope, period: Period) -> dict[int, dict[date, list[int]]]:
    """Calls and held meetings per manager and local day of the period. Two queries.

    Returns {manager id: {day: [calls, held meetings]}}; days with neither are absent.
    """
    days: dict[int, dict[date, list[int]]] = {}
    sources = (
        (Call.objects.filter(scope.window_q("at", "manager", period)), "at", 0),
        (
            Meeting.objects.filter(
                scope.window_q("starts_at", "manager", period), status=MeetingStatus.HELD
            ),
            "starts_at",
            1,
        ),
    )
    for queryset, field, slot in sources:
        rows = (
            queryset.filter(scope.owner_q("manager"))
            .annotate(day=_local_day(scope, field, "manager"))
            .values("manager_id", "day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            counts = days.setdefault(row["manager_id"], {}).setdefault(row["day"], [0, 0])
            counts[slot] = row["n"]
    return days


def managers_in(scope: Scope) -> list[dict]:
    """The managers of the scope (id, username, team). One query."""
    return list(
        User.objects.filter(scope.users_q(), profile__role=Role.MANAGER)
        .values("pk", "username", "profile__team_id")
        .order_by("username")
    )


# --- events ROI (SPEC 3.8) ----------------------------------------------------------------


def event_roi(scope: Scope, period: Period, events) -> list[dict]:
    """Events (of the given visible queryset) starting in the period, each with: managers
    of the scope who attended, prospects of the scope sourced there, held meetings with
    those prospects, and the contracts and revenue they brought (all up to now, not only
    in the period). One query; each count is a correlated subquery, so no join multiplies
    another."""
    start, end = period.bounds(scope.teams[0].timezone if len(scope.teams) == 1 else "UTC")
    event = OuterRef("pk")
    sourced = Prospect.objects.filter(scope.owner_q("owner"), source_event=event)
    signed = sourced.filter(signed_on__isnull=False)
    return list(
        events.filter(starts_at__gte=start, starts_at__lt=end)
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


def _before_end(scope: Scope, period: Period, owner_field: str) -> Q:
    """``changed_at`` before the end of the period in the owner's team time zone."""
    clauses = Q(pk__in=[])
    for team in scope.teams:
        _, end = period.bounds(team.timezone)
        clauses |= Q(**{f"{owner_field}__profile__team_id": team.team_id, "changed_at__lt": end})
    return clauses


def slipped_prospects(scope: Scope, period: Period) -> list[dict]:
    """Prospects that slipped out of the period. One query.

    Slipped: a CloseDateChange made during P moved the date from inside P to after P, and
    at P's end (read from the stage and close-date history, so later changes do not undo
    it) the prospect was open with its close date after P. Each counts once; ``slip_at``
    is the last such change.
    """
    prospect = OuterRef("pk")
    slips = CloseDateChange.objects.filter(
        scope.window_q("changed_at", "prospect__owner", period),
        prospect=prospect,
        from_date__range=(period.start, period.end),
        to_date__gt=period.end,
    )
    before_end = _before_end(scope, period, "prospect__owner")
    stage_at_end = StageChange.objects.filter(before_end, prospect=prospect).order_by(
        "-changed_at", "-id"
    )
    close_at_end = CloseDateChange.objects.filter(before_end, prospect=prospect).order_by(
        "-changed_at", "-id"
    )
    return list(
        Prospect.objects.filter(scope.owner_q("owner"), Exists(slips))
        .annotate(
            stage_at_end=Subquery(stage_at_end.values("to_stage")[:1]),
            close_at_end=Subquery(close_at_end.values("to_date")[:1]),
            slip_at=Subquery(slips.order_by("-changed_at").values("changed_at")[:1]),
        )
        .filter(stage_at_end__in=Stage.open_stages(), close_at_end__gt=period.end)
        .values(
            "pk",
            "name",
            "owner_id",
            "owner__profile__team_id",
            "expected_value",
            "expected_close_date",
            "slip_at",
        )
        .order_by("owner_id", "slip_at")
    )


def pulled_in_by_manager(scope: Scope, period: Period) -> dict[int, int]:
    """Changes made during P that moved a close date from after P into P. One query."""
    rows = (
        CloseDateChange.objects.filter(
            scope.owner_q("prospect__owner"),
            scope.window_q("changed_at", "prospect__owner", period),
            from_date__gt=period.end,
            to_date__range=(period.start, period.end),
        )
        .values("prospect__owner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["prospect__owner_id"]: row["n"] for row in rows}


def unreliable_prospects(scope: Scope, threshold: int = 3) -> list[dict]:
    """Open prospects whose close date was pushed later ``threshold`` times or more
    (all their CloseDateChanges, whenever made). One query."""
    return list(
        Prospect.objects.filter(scope.owner_q("owner"), stage__in=Stage.open_stages())
        .annotate(
            push_count=Count(
                "close_date_changes",
                filter=Q(close_date_changes__to_date__gt=F("close_date_changes__from_date")),
            )
        )
        .filter(push_count__gte=threshold)
        .values("pk", "name", "owner_id", "expected_value", "expected_close_date", "push_count")
        .order_by("-push_count", "pk")
    )
