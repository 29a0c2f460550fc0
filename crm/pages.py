"""The crm app's web pages: the home of every signed-in user (SPEC section 4's manager
home).

The home shows, for the user themselves: this week's agenda (their meetings and the
events they go to, in their time zone, each with its one-off .ics), the quick-log forms
(crm.quick_log), and for the period of the shared picker their own cohort funnel, plan
pace with overage, benchmark ratings, stale prospects, and the calendar feed links. A lead
or admin also gets a prominent way to the team review. Reads only: the numbers are the
reports' own (``funnel_report`` for the funnel; ``team_review_report``, which is the
scorecard (plan section and ratings included) plus the stale list, for the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.models import MeetingStatus, Role, Stage
from crm.page_tools import PERIOD_PARAMS, page_url, user_zone
from crm.quick_log import log_forms
from crm.selectors import profile_of, role_of, visible_meetings
from events.models import AttendanceStatus, EventAttendance
from events.views import feed_links
from funnel import chart_data, reports
from funnel.models import BenchmarkMetric, PlanMetric
from funnel.periods import iso_week_of
from funnel.review_table import PLAN_LABELS, STATUS_LABELS

STALE_SHOWN = 10
BAR_SCALE_MAX = Decimal(2)  # bars stretch to 200% at most; beyond, the number says it
# Benchmarks shown as a share; the others are plain numbers.
SHARE_METRICS = frozenset(
    {
        BenchmarkMetric.LEAD_TO_CONTRACT,
        BenchmarkMetric.WIN_RATE,
        BenchmarkMetric.DM_REACH,
        BenchmarkMetric.REFERRAL_CONVERSION,
        BenchmarkMetric.ALTERNATION,
        BenchmarkMetric.MEETING_DAY_SHARE,
        BenchmarkMetric.COVERAGE,
    }
)


def now() -> datetime:
    """The agenda's clock (tests replace it, with the reports' and the picker's)."""
    return timezone.now()


# --- presentation helpers: numbers as people read them --------------------------------------


def percent(ratio: Decimal | float | None) -> str:
    """0.8 → "80%"; None → "—" (the definition divided by zero)."""
    if ratio is None:
        return "—"
    value = (Decimal(str(ratio)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{value}%"


def number(value: Any) -> str:
    """A count or money string as is; a non-whole number with two places; None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def signed(value: Any) -> str:
    """An overage: "+2", "0", or a shortfall with a real minus sign; money keeps its two places."""
    if value is None:
        return "—"
    amount = Decimal(str(value))
    size = abs(amount)
    text = str(size.quantize(Decimal("0.01"))) if isinstance(value, str) else number(size)
    if amount > 0:
        return f"+{text}"
    if amount < 0:
        return f"\N{MINUS SIGN}{text}"
    return text


# --- the agenda ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """A meeting or an event on the agenda, its times in the user's zone."""

    kind: str  # "meeting" | "event"
    starts: datetime
    ends: datetime
    title: str
    status: str
    status_label: str
    url: str | None  # the prospect's or the event's page
    ics_url: str | None
    location: str = ""
    decision_maker: bool = False
    event_kind: str = ""


@dataclass(slots=True)
class AgendaDay:
    day: date
    is_today: bool
    items: list[AgendaItem] = field(default_factory=list)


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _meeting_item(meeting: Any, zone: tzinfo) -> AgendaItem:
    return AgendaItem(
        kind="meeting",
        starts=timezone.localtime(meeting.starts_at, zone),
        ends=timezone.localtime(meeting.ends_at, zone),
        title=meeting.prospect.name,
        status=meeting.status,
        status_label=MeetingStatus(meeting.status).label,
        url=page_url("prospect-detail-page", meeting.prospect_id),
        ics_url=page_url("api-meeting-ics", meeting.pk),
        location=meeting.location,
        decision_maker=meeting.decision_maker_present,
    )


def _event_item(attendance: EventAttendance, zone: tzinfo) -> AgendaItem:
    event = attendance.event
    return AgendaItem(
        kind="event",
        starts=timezone.localtime(event.starts_at, zone),
        ends=timezone.localtime(event.ends_at, zone),
        title=event.name,
        status=attendance.status,
        status_label="going" if attendance.status == AttendanceStatus.PLANNED else "attended",
        url=page_url("event-detail-page", event.pk),
        ics_url=page_url("event-ics", event.pk),
        location=event.location,
        event_kind=event.get_kind_display(),
    )


def week_agenda(user: AbstractBaseUser, zone: tzinfo, now: datetime) -> dict[str, Any]:
    """This ISO week (Monday to Sunday, in the user's zone) of the user's own meetings (any
    status) and the events they plan to go to or went to. Two queries."""
    today = timezone.localtime(now, zone).date()
    week = iso_week_of(today)
    start = _local_midnight(week.start, zone)
    end = _local_midnight(week.end + timedelta(days=1), zone)
    meetings = (
        visible_meetings(user)
        .filter(manager_id=user.pk, starts_at__gte=start, starts_at__lt=end)
        .select_related("prospect")
        .order_by("starts_at", "pk")
    )
    attendances = (
        EventAttendance.objects.filter(
            manager_id=user.pk,
            status__in=[AttendanceStatus.PLANNED, AttendanceStatus.ATTENDED],
            event__starts_at__lt=end,
            event__ends_at__gt=start,
        )
        .select_related("event")
        .order_by("event__starts_at", "event_id")
    )
    items = [_meeting_item(meeting, zone) for meeting in meetings]
    items += [_event_item(attendance, zone) for attendance in attendances]
    items.sort(key=lambda item: (max(item.starts, start), item.kind))
    days: dict[date, AgendaDay] = {}
    for item in items:
        # An event that began before the week shows on the week's first day.
        day = max(item.starts.date(), week.start)
        days.setdefault(day, AgendaDay(day, day == today)).items.append(item)
    ordered = [days[day] for day in sorted(days)]
    return {
        "today": today,
        "week": week,
        "today_items": days[today].items if today in days else [],
        "days": [day for day in ordered if not day.is_today],
        "count": len(items),
    }


# --- the period's numbers --------------------------------------------------------------------


def funnel_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per funnel stage: reached, and the conversion on to the next stage."""
    stages = Stage.funnel()
    rows = []
    for index, stage in enumerate(stages):
        following = stages[index + 1] if index + 1 < len(stages) else None
        rows.append(
            {
                "stage": stage,
                "reached": report["reached"][stage],
                "next": following,
                "conversion": (
                    percent(report["conversion"][f"{stage}→{following}"]) if following else ""
                ),
            }
        )
    return rows


def plan_rows(metrics_out: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per plan metric with the widths of its bar: the part up to the target, the
    overage past it; the target mark sits at 100% of a scale that stretches to the largest
    attainment (up to 200%) so that overage shows."""
    attainments = [
        Decimal(str(values["attainment"]))
        for values in metrics_out.values()
        if values["attainment"] is not None
    ]
    scale = min(max([Decimal(1), *attainments]), BAR_SCALE_MAX)
    rows = []
    for metric in reports.PLAN_METRICS:
        values = metrics_out[metric]
        attainment = values["attainment"]
        bar = None
        if attainment is not None:
            reached = Decimal(str(attainment))
            bar = {
                "fill": _width(min(reached, Decimal(1)) / scale),
                "over": _width(max(min(reached, scale) - 1, Decimal(0)) / scale),
                "target": _width(1 / scale),
                "beyond_scale": reached > scale,
            }
        rows.append(
            {
                "metric": metric,
                "label": PLAN_LABELS.get(metric) or PlanMetric(metric).label,
                "target": number(values["target"]),
                "has_target": values["target"] is not None,
                "actual": number(values["actual"]),
                "attainment": percent(attainment),
                "overage": signed(values["overage"]),
                "overage_positive": _positive(values["overage"]),
                "expected_to_date": number(values["expected_to_date"]),
                "pace": percent(values["pace"]),
                "status": values["status"],
                "status_label": STATUS_LABELS.get(values["status"] or "", "no target"),
                "bar": bar,
            }
        )
    return rows


def _width(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _positive(value: Any) -> bool:
    return value is not None and Decimal(str(value)) > 0


def rating_rows(ratings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each benchmark of the team's sector: the value, the band, the rating and its rule."""
    rows = []
    for rated in ratings:
        metric = rated["metric"]
        show = percent if metric in SHARE_METRICS else number
        low, high = rated["low"], rated["high"]
        band = f"{show(low)}\N{EN DASH}{show(high)}" if high is not None else f"≥ {show(low)}"
        try:
            label = BenchmarkMetric(metric).label
        except ValueError:
            label = metric.replace("_", " ")
        rows.append(
            {
                "metric": metric,
                "label": label,
                "value": show(rated["value"]),
                "band": band,
                "rating": rated["rating"],
                "rating_label": rated["rating"] or "no data yet",
                "note": rated["note"],
            }
        )
    return rows


def stale_rows(stale: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        row | {"url": page_url("prospect-detail-page", row["prospect"])}
        for row in stale[:STALE_SHOWN]
    ]


def chart(name: str, params: dict[str, str], drawing: chart_data.Drawing) -> dict[str, str]:
    """An SVG chart's addresses (funnel.chart_data.links) and the alt text of its drawing,
    made from the report the page already has."""
    src, txt = chart_data.links(name, params)
    return {"src": src, "txt": txt, "alt": drawing.alt()}


def period_numbers(user: AbstractBaseUser, query: Any) -> dict[str, Any]:
    """The user's own funnel, plan pace, ratings and stale prospects for the period asked
    for (bad period: ValidationError naming the field)."""
    params = {name: query.get(name, "").strip() for name in PERIOD_PARAMS}
    params = {name: value for name, value in params.items() if value}
    params["manager"] = str(user.pk)
    funnel = reports.funnel_report(user, params)
    review = reports.team_review_report(user, params)
    mine = review["managers"][0]
    plan = plan_rows(mine["metrics"])
    return {
        "period": funnel["period"],
        "working_days": mine["working_days"],
        "elapsed_working_days": mine["elapsed_working_days"],
        "funnel": funnel_rows(funnel),
        "overall": percent(funnel["overall"]),
        "one_in_n": number(funnel["one_in_n"]),
        "cohort": funnel["reached"]["lead"],
        "plan": plan,
        "has_plan": any(row["has_target"] for row in plan),
        "untargeted": [row for row in plan if not row["has_target"]],
        "ratings": rating_rows(mine["ratings"]),
        "stale": stale_rows(review["stale"]),
        "stale_total": review["stale_total"],
        "funnel_chart": chart("funnel", params, chart_data.funnel_drawing(funnel)),
        "plan_chart": chart("plan", params, chart_data.plan_drawing(review)),
    }


def _period_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(" ".join(messages) for messages in error.message_dict.values())
    return " ".join(error.messages)


# --- the page --------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's day and period; see the module docstring. A bad period is a
    400 saying why (the agenda and the forms still show)."""
    user = request.user
    profile = profile_of(user)
    role = role_of(user)
    zone = user_zone(user)
    context: dict[str, Any] = {
        "agenda": week_agenda(user, zone, now()),
        "log_forms": log_forms(user),
        "zone_name": str(zone),
        "is_reviewer": role in (Role.LEAD, Role.ADMIN),
        "review_url": None,
        "feed": None,
        "numbers": None,
        "period_error": "",
    }
    if context["is_reviewer"]:
        review_url = page_url("team-review-page")
        team_id = profile.team_id if profile else None
        query = {"team": team_id} if role == Role.LEAD and team_id else {}
        query |= {name: request.GET[name] for name in PERIOD_PARAMS if request.GET.get(name)}
        if review_url and query:
            review_url += "?" + urlencode(query)
        context["review_url"] = review_url
        context["review_team"] = profile.team.name if profile and profile.team_id else ""
    if profile is not None:
        context["feed"] = feed_links(request, "calendar-feed", profile.calendar_token)
    status = 200
    # A lead's or an admin's numbers are their team's, in the team review.
    if role == Role.MANAGER and profile is not None and profile.team_id is not None:
        try:
            context["numbers"] = period_numbers(user, request.GET)
        except ValidationError as error:
            context["period_error"] = _period_error(error)
            status = 400
    # Times in the template (|date, |time) are shown in the user's zone.
    with timezone.override(zone):
        return render(request, "crm/home.html", context, status=status)
