"""The event pages (SPEC section 4, "events"): the list of the events the user may see,
one event with who goes and what it brought, adding and changing an event, and saying
"I'm going".

Reads are ``events.selectors.visible_events`` (company-wide events and the user's team's;
anything else is a 404) and ``funnel.reports.events_report`` (SPEC 3.8) for the figures;
writes are ``events.services``. Times are shown and typed in the user's own time zone.
"Who goes" lists the members of the user's team (everyone for an admin), with the status
planned or attended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Role
from crm.page_tools import PERIOD_PARAMS, local_next, page_url, put_service_errors, user_zone
from crm.selectors import profile_of, role_of, team_id_of, visible_prospects
from events import services
from events.forms import AttendForm, EventFilterForm, EventForm
from events.models import AttendanceStatus, Event, EventAttendance
from events.selectors import visible_events
from funnel import chart_data, reports
from funnel.charts import event_roi

PER_PAGE = 20
GOING = (AttendanceStatus.PLANNED, AttendanceStatus.ATTENDED)
STATUS_LABELS = {
    AttendanceStatus.PLANNED: "going",
    AttendanceStatus.ATTENDED: "went",
    AttendanceStatus.CANCELLED: "not going",
}
DASH = "\N{EM DASH}"


# --- helpers -------------------------------------------------------------------------------


def percent(ratio: Decimal | None) -> str:
    """1.5 → "150%", -0.25 → "-25%" (a real minus sign); None → "—" (the definition
    divides by zero)."""
    if ratio is None:
        return DASH
    value = (Decimal(ratio) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"\N{MINUS SIGN}{-value}%" if value < 0 else f"{value}%"


def money(value: str | Decimal | None) -> str:
    """A report's money string as is (two places); None → "—"."""
    if value is None:
        return DASH
    return str(Decimal(value).quantize(Decimal("0.01")))


def person(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def may_edit(user: AbstractBaseUser, event: Event) -> bool:
    """The API's rule: its creator, the lead of its team, or an admin."""
    role = role_of(user)
    return (
        role == Role.ADMIN
        or event.created_by_id == user.pk
        or (role == Role.LEAD and event.team_id is not None and event.team_id == team_id_of(user))
    )


def may_add(user: AbstractBaseUser) -> bool:
    """An admin (any team, or company-wide), or a member of a team (for that team)."""
    role = role_of(user)
    return role == Role.ADMIN or (role is not None and team_id_of(user) is not None)


def _local_next(request: HttpRequest, fallback: str) -> str:
    return local_next(request, request.POST.get("next", ""), fallback)


def _period_params(query) -> dict[str, str]:
    return {name: query[name] for name in PERIOD_PARAMS if query.get(name)}


def _period_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(" ".join(messages) for messages in error.message_dict.values())
    return " ".join(error.messages)


# --- reads ---------------------------------------------------------------------------------


def team_attendances(user: AbstractBaseUser) -> QuerySet[EventAttendance]:
    """Attendances of the user's team's members (an admin: everyone's), going or gone."""
    rows = EventAttendance.objects.filter(status__in=GOING).select_related("manager")
    if role_of(user) != Role.ADMIN:
        rows = rows.filter(manager__profile__team_id=team_id_of(user))
    return rows.order_by("manager__first_name", "manager__username")


def listed_events(user: AbstractBaseUser) -> QuerySet[Event]:
    """The visible events with, prefetched, who of the team goes and the user's own row."""
    return (
        visible_events(user)
        .select_related("team")
        .prefetch_related(
            Prefetch("attendances", queryset=team_attendances(user), to_attr="team_going"),
            Prefetch(
                "attendances",
                queryset=EventAttendance.objects.filter(manager_id=user.pk),
                to_attr="mine",
            ),
        )
    )


def month_bounds(year: int, month: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one, in the zone."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=zone),
        datetime(after.year, after.month, 1, tzinfo=zone),
    )


@dataclass(frozen=True, slots=True)
class RoiRow:
    """One event of the events report, as the page shows it."""

    event: int
    name: str
    url: str
    starts_at: Any
    cost: str
    managers_attended: int
    prospects_sourced: int
    held_meetings: int
    contracts: int
    revenue: str
    cost_per_prospect: str
    cost_per_contract: str
    roi: str  # (revenue - cost) ÷ cost as a percentage; "—" for a free event


def roi_rows(report: dict[str, Any]) -> list[RoiRow]:
    rows = []
    for row in report["events"]:
        cost, revenue = Decimal(row["cost"]), Decimal(row["revenue"])
        rows.append(
            RoiRow(
                event=row["event"],
                name=row["name"],
                url=reverse("event-detail-page", args=[row["event"]]),
                starts_at=row["starts_at"],
                cost=money(row["cost"]),
                managers_attended=row["managers_attended"],
                prospects_sourced=row["prospects_sourced"],
                held_meetings=row["held_meetings"],
                contracts=row["contracts"],
                revenue=money(row["revenue"]),
                cost_per_prospect=money(row["cost_per_prospect"]),
                cost_per_contract=money(row["cost_per_contract"]),
                roi=percent(event_roi(cost, revenue)),
            )
        )
    return rows


def events_chart(report: dict[str, Any], period: dict[str, str]) -> dict[str, str]:
    """The events ROI chart's addresses (funnel.chart_data.links) and the alt text of the
    report the page already has."""
    src, txt = chart_data.links("events", period)
    return {"src": src, "txt": txt, "alt": chart_data.events_drawing(report).alt()}


def event_figures(user: AbstractBaseUser, event: Event) -> RoiRow | None:
    """The event's row of the events report: the report of the days around its start
    (an event's day is its team's, which may differ from the user's), that event only."""
    day = event.starts_at.astimezone(UTC).date()
    report = reports.events_report(
        user,
        {
            "start": (day - timedelta(days=1)).isoformat(),
            "end": (day + timedelta(days=1)).isoformat(),
        },
    )
    report["events"] = [row for row in report["events"] if row["event"] == event.pk]
    rows = roi_rows(report)
    return rows[0] if rows else None


def _going_label(event: Event) -> list[str]:
    return [person(row.manager) for row in event.team_going]


@dataclass(frozen=True, slots=True)
class ListedEvent:
    event: Event
    going: list[str]
    my_status: str  # "" when the user never said
    my_status_label: str
    is_past: bool


def _listed(event: Event, instant: datetime) -> ListedEvent:
    mine = event.mine[0].status if event.mine else ""
    return ListedEvent(
        event=event,
        going=_going_label(event),
        my_status=mine,
        my_status_label=STATUS_LABELS.get(mine, ""),
        is_past=event.ends_at < instant,
    )


# --- pages ---------------------------------------------------------------------------------


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """Upcoming (soonest first) or past (latest first) events, filtered by kind and month,
    20 a page; below, the events report for the picked period with its chart."""
    user = request.user
    zone = user_zone(user)
    instant = timezone.now()
    status = 200
    filters = EventFilterForm(request.GET)
    events = listed_events(user)
    when = "upcoming"
    if filters.is_valid():
        when = filters.cleaned_data["when"]
        if filters.cleaned_data["kind"]:
            events = events.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["month"]:
            start, end = month_bounds(*filters.cleaned_data["month"], zone)
            events = events.filter(starts_at__gte=start, starts_at__lt=end)
    else:
        status = 400
    if when == "past":
        events = events.filter(ends_at__lt=instant).order_by("-starts_at", "-pk")
    else:
        events = events.filter(ends_at__gte=instant).order_by("starts_at", "pk")
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    keep = {
        name: request.GET[name]
        for name in ("kind", "month", *PERIOD_PARAMS)
        if request.GET.get(name)
    }
    period = _period_params(request.GET)
    context: dict[str, Any] = {
        "filters": filters,
        "when": when,
        "tabs": [
            {"value": value, "label": label, "query": urlencode({**keep, "when": value})}
            for value, label in (("upcoming", "Upcoming"), ("past", "Past"))
        ],
        "page_obj": page,
        "rows": [_listed(event, instant) for event in page.object_list],
        "page_query": urlencode({**keep, "when": when}),
        "zone_name": str(zone),
        "may_add": may_add(user),
        "going_header": "Who goes" if role_of(user) == Role.ADMIN else "Who of your team goes",
        "report": None,
        "roi": [],
        "period_error": "",
        "chart": None,
        "period_kept": list(period.items()),
        "filtered": bool(request.GET.get("kind") or request.GET.get("month")),
        "here": request.get_full_path(),
    }
    try:
        report = reports.events_report(user, period)
    except ValidationError as error:
        context["period_error"] = _period_error(error)
        status = 400
    except Http404:
        context["period_error"] = "Nothing to show for that scope."
        status = 400
    else:
        context["report"] = report
        context["roi"] = roi_rows(report)
        if context["roi"]:
            context["chart"] = events_chart(report, period)
    with timezone.override(zone):
        return render(request, "events/event_list.html", context, status=status)


def _detail_context(request: HttpRequest, event: Event) -> dict[str, Any]:
    user = request.user
    attendances = [
        {"name": person(row.manager), "status": row.status, "label": STATUS_LABELS[row.status]}
        for row in _attendance_rows(user, event)
    ]
    mine = EventAttendance.objects.filter(event=event, manager_id=user.pk).first()
    prospects = [
        {
            "name": prospect.name,
            "owner": person(prospect.owner),
            "stage": prospect.get_stage_display(),
            "url": page_url("prospect-detail-page", prospect.pk),
        }
        for prospect in visible_prospects(user)
        .filter(source_event=event)
        .select_related("owner")
        .order_by("name", "pk")
    ]
    ics_url = reverse("event-ics", args=[event.pk])
    return {
        "event": event,
        "attendances": attendances,
        "my_status": mine.status if mine else "",
        "my_status_label": STATUS_LABELS.get(mine.status, "") if mine else "",
        "is_past": event.ends_at < timezone.now(),
        "figures": event_figures(user, event),
        "prospects": prospects,
        "ics_url": ics_url,
        "may_edit": may_edit(user, event),
        "zone_name": str(user_zone(user)),
        "here": request.get_full_path(),
    }


def _attendance_rows(user: AbstractBaseUser, event: Event) -> QuerySet[EventAttendance]:
    """Everyone's row for an admin; the user's team's otherwise (going, gone, or not)."""
    rows = event.attendances.select_related("manager")
    if role_of(user) != Role.ADMIN:
        rows = rows.filter(Q(manager__profile__team_id=team_id_of(user)) | Q(manager=user))
    return rows.order_by("manager__first_name", "manager__username")


@login_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One event: when, where, cost, who goes, what it brought, the prospects from it."""
    event = get_object_or_404(visible_events(request.user).select_related("team"), pk=pk)
    with timezone.override(user_zone(request.user)):
        return render(request, "events/event_detail.html", _detail_context(request, event))


def _form_page(
    request: HttpRequest, form: EventForm, event: Event | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "event": event, "zone_name": str(user_zone(request.user))}
    return render(request, "events/event_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    """Add an event: a manager's or lead's is their team's; an admin picks a team or none."""
    user = request.user
    if not may_add(user):
        raise Http404
    zone = user_zone(user)
    choose_team = role_of(user) == Role.ADMIN
    if request.method == "GET":
        return _form_page(request, EventForm(zone=zone, choose_team=choose_team), None)
    form = EventForm(request.POST, zone=zone, choose_team=choose_team)
    if form.is_valid():
        team = form.cleaned_data.get("team") if choose_team else profile_of(user).team
        try:
            event = services.event_create(by=user, team=team, **form.event_data())
        except ValidationError as error:
            put_service_errors(form, error)
        else:
            messages.success(request, f"Added “{event.name}”.")
            return redirect("event-detail-page", pk=event.pk)
    return _form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an event (its creator, its team's lead, an admin); its team stays."""
    user = request.user
    event = get_object_or_404(visible_events(user), pk=pk)
    if not may_edit(user, event):
        raise PermissionDenied("Only its creator, the team lead or an admin can change it.")
    zone = user_zone(user)
    if request.method == "GET":
        initial = {
            name: getattr(event, name)
            for name in ("name", "kind", "starts_at", "ends_at", "location", "url", "cost")
        }
        return _form_page(request, EventForm(initial=initial, zone=zone), event)
    form = EventForm(request.POST, zone=zone)
    if form.is_valid():
        try:
            event = services.event_update(event=event, data=form.event_data())
        except ValidationError as error:
            put_service_errors(form, error)
        else:
            messages.success(request, f"Saved “{event.name}”.")
            return redirect("event-detail-page", pk=event.pk)
    return _form_page(request, form, event, status=400)


@login_required
@require_POST
def event_attend(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I'm going", "I went", "Not going": the user's own attendance; back to ``next``."""
    user = request.user
    event = get_object_or_404(visible_events(user).select_related("team"), pk=pk)
    form = AttendForm(request.POST)
    if form.is_valid():
        try:
            services.event_attend(event=event, manager=user, status=form.cleaned_data["status"])
        except ValidationError as error:
            put_service_errors(form, error)
        else:
            done = {
                AttendanceStatus.PLANNED: f"You are going to “{event.name}”.",
                AttendanceStatus.ATTENDED: f"You went to “{event.name}”.",
                AttendanceStatus.CANCELLED: f"You are not going to “{event.name}”.",
            }[form.cleaned_data["status"]]
            messages.success(request, done)
            fallback = reverse("event-detail-page", args=[event.pk])
            return _see_other(_local_next(request, fallback))
    problems = " ".join(" ".join(errors) for errors in form.errors.values())
    messages.error(request, f"Not saved: {problems}")
    with timezone.override(user_zone(user)):
        return render(
            request, "events/event_detail.html", _detail_context(request, event), status=400
        )


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response
