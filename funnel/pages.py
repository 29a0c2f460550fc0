"""The lead's web pages: the team review, a manager's scorecard and plan editing.

Reads are the reports' own (``reports.team_review_report``, ``scorecard_report``,
``events_report``, ``suggest.plan_suggestion``), with their scope rules: a manager or team
the caller may not see is a 404, bad input (a period) a 400 naming the field. Writes go
through ``funnel.services`` (``review_save``, ``plan_create``, ``plan_update``). The
helpers below only turn the reports' plain values into what a person reads (percentages,
money with two places, "▲ +3 (150%)"); they calculate nothing the reports do not.

Who may open what (as the API): the team review and plan editing are for leads (their own
team's managers, never their own plan) and admins (any team); a manager gets a 404. A
scorecard: a manager their own, a lead their team's managers, an admin anyone's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from crm.models import Role
from crm.page_tools import PERIOD_PARAMS, page_url, put_service_errors, user_zone
from crm.selectors import role_of, team_id_of, visible_teams, visible_users
from funnel import chart_data, reports, services, suggest
from funnel.models import BenchmarkMetric, PerformanceReview, Plan, PlanMetric
from funnel.page_forms import PlanForm, ReviewNoteForm
from funnel.review_table import (
    ALIASES,
    NULL,
    PLAN_LABELS,
    STATUS_LABELS,
    STATUS_MARKS,
    amount,
    count,
    days,
    money,
    percent,
    rate,
    scorecard_value,
)

User = get_user_model()

LEADS = frozenset({Role.LEAD, Role.ADMIN})
RATING_LABELS = {"below": "below", "within": "within", "above": "above"}
RATING_MARKS = {"below": "▼", "within": "●", "above": "▲"}
METRIC_LABELS = {
    BenchmarkMetric.MEETINGS_PER_DAY: "Held meetings per working day",
    BenchmarkMetric.CALLS_PER_DAY: "Calls per working day",
    BenchmarkMetric.LEAD_TO_CONTRACT: "Lead → contract",
    BenchmarkMetric.WIN_RATE: "Win rate",
    BenchmarkMetric.CYCLE_DAYS_MEDIAN: "Sales cycle, median (days)",
    BenchmarkMetric.DM_REACH: "Decision-maker reach",
    BenchmarkMetric.ASKS_PER_CONTRACT: "Referral asks per contract",
    BenchmarkMetric.REFERRAL_CONVERSION: "Referral conversion",
    BenchmarkMetric.ALTERNATION: "Meeting/call alternation",
    BenchmarkMetric.MEETING_DAY_SHARE: "Share of meeting days",
    BenchmarkMetric.COVERAGE: "Funnel coverage",
}
RATE_SOURCES = {
    "own": "the manager's own cohort conversion of the last 6 months",
    "sector": "the sector's lead→contract benchmark",
    "team": "the team's conversion of the last 6 months",
    "company": "the company's conversion of the last 6 months",
}
TEAM_CHARTS = (("plan", "Plan attainment with overage, team totals"), ("funnel", "Team funnel"))
MANAGER_CHARTS = (
    ("activity", "Held meetings per day against the sector's band"),
    ("alternation", "Call days and meeting days"),
)
SCORECARD_CHARTS = (
    ("plan", "Plan attainment with overage"),
    ("funnel", "Funnel (cohort)"),
    *MANAGER_CHARTS,
)


# --- small helpers ----------------------------------------------------------------------------


def _period_query(request: HttpRequest) -> dict[str, str]:
    """The period the page was asked for (period, or start and end), as given."""
    return {name: request.GET[name] for name in PERIOD_PARAMS if request.GET.get(name)}


def _report_period(report: Mapping[str, Any]) -> dict[str, str]:
    """The report's period as a query: its label when it is a named one, else its dates."""
    period = report["period"]
    label, start, end = period["label"], period["start"], period["end"]
    if label and "…" not in label and ".." not in label and label[:4].isdigit():
        return {"period": label}
    return {"start": start.isoformat(), "end": end.isoformat()}


def _problem(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {' '.join(messages_)}" if name != "__all__" else " ".join(messages_)
            for name, messages_ in error.message_dict.items()
        ]
    return list(error.messages)


def _bad_request(request: HttpRequest, title: str, error: ValidationError) -> HttpResponse:
    return render(
        request,
        "funnel/team_review.html",
        {
            "title": title,
            "errors": _problem(error),
            "report": None,
            "zone": user_zone(request.user),
        },
        status=400,
    )


def _leads_only(user: AbstractBaseUser) -> str:
    role = role_of(user)
    if role not in LEADS:
        raise Http404("The team review is for sales leads.")
    return role


@dataclass(frozen=True, slots=True)
class ChartLink:
    name: str
    title: str
    img: str
    txt: str
    alt: str


def _charts(specs, query: Mapping[str, Any], who: str) -> list[ChartLink]:
    found = []
    for name, title in specs:
        img, txt = chart_data.links(name, query)
        alt = f"{title}: {who}. The numbers are in the text version linked below."
        found.append(ChartLink(name, title, img, txt, alt))
    return found


# --- plan cells -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanCell:
    """One manager's (or the team's) values of one plan metric, as shown."""

    metric: str
    target: str
    actual: str
    attainment: str
    overage: str
    mark: str  # "▲ +3 (150%)", the visible marker beside the colour
    status: str  # exceeded | met | on_track | cautioned | off_track | ""
    status_label: str
    pace: str = ""

    @property
    def css(self) -> str:
        return f"plan-cell plan-cell--{self.status.replace('_', '-')}" if self.status else ""

    @property
    def has_target(self) -> bool:
        return self.target != NULL


def _signed(metric: str, value: Any) -> str:
    text = amount(metric, value, signed=True)
    return text.replace("-", "\N{MINUS SIGN}", 1) if text.startswith("-") else text


def plan_cell(metric: str, values: Mapping[str, Any] | None) -> PlanCell:
    values = values or {}
    status = values.get("status") or ""
    target = values.get("target")
    if target is None:
        return PlanCell(metric, NULL, amount(metric, values.get("actual")), NULL, NULL, "", "", "")
    overage = _signed(metric, values.get("overage"))
    attained = percent(values.get("attainment"))
    mark = f"{STATUS_MARKS.get(status, '')} {overage} ({attained})".strip()
    return PlanCell(
        metric,
        amount(metric, target),
        amount(metric, values.get("actual")),
        attained,
        overage,
        mark,
        status,
        STATUS_LABELS.get(status, ""),
        percent(values.get("pace")),
    )


def total_cell(metric: str, values: Mapping[str, Any] | None) -> PlanCell:
    """Team totals: Σactual ÷ Σtarget over the managers with that target (the report's)."""
    values = values or {}
    target, actual = values.get("target"), values.get("actual")
    if target is None:
        return PlanCell(metric, NULL, NULL, NULL, NULL, "", "", "")
    overage = Decimal(str(actual or 0)) - Decimal(str(target))
    status = "exceeded" if overage > 0 else "met" if overage == 0 else "short"
    shown = _signed(metric, overage)
    attained = percent(values.get("attainment"))
    marker = {"exceeded": "▲", "met": "✓", "short": "▼"}[status]
    return PlanCell(
        metric,
        amount(metric, target),
        amount(metric, actual),
        attained,
        shown,
        f"{marker} {shown} ({attained})",
        status,
        {"exceeded": "exceeded", "met": "met", "short": "short"}[status],
    )


# --- ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rating:
    metric: str
    label: str
    value: str
    rating: str  # below | within | above | ""
    band: str
    note: str

    @property
    def mark(self) -> str:
        return RATING_MARKS.get(self.rating, "")


def _rating(item: Mapping[str, Any]) -> Rating:
    metric = item.get("metric", "")
    low, high = (scorecard_value(metric, item.get(end)) for end in ("low", "high"))
    band = f"at least {low}" if item.get("high") is None else f"{low} to {high}"
    return Rating(
        metric,
        METRIC_LABELS.get(metric, metric.replace("_", " ")),
        scorecard_value(metric, item.get("value")),
        item.get("rating") or "",
        band,
        item.get("note") or "",
    )


# --- the team review --------------------------------------------------------------------------


@dataclass(slots=True)
class ReviewRow:
    manager: int
    username: str
    scorecard_url: str | None
    plan_url: str | None
    cells: list[PlanCell]
    slippage: Mapping[str, Any]
    slipped_value: str
    postponing: bool
    unreliable: int
    stalled: int
    stale: int
    ratings: list[Rating]
    exceeded: list[PlanCell] = field(default_factory=list)


def _review_params(request: HttpRequest, role: str) -> dict[str, str]:
    """team (default: the lead's own; for an admin the first team) and the period."""
    params = _period_query(request)
    team = (request.GET.get("team") or "").strip()
    if not team:
        if role == Role.LEAD:
            team = str(team_id_of(request.user) or "")
        else:
            first = visible_teams(request.user).order_by("pk").values_list("pk", flat=True)
            team = str(first.first() or "")
    if team:
        params["team"] = team
    return params


def _review_context(
    request: HttpRequest, role: str, params: Mapping[str, str], report: Mapping[str, Any]
) -> dict[str, Any]:
    managers = report["managers"]
    shown = [
        metric
        for metric in reports.PLAN_METRICS
        if report["totals"]["plan"][metric]["target"] is not None
    ] or list(reports.PLAN_METRICS)
    period = _report_period(report)
    team_id = report["scope"]["teams"][0] if report["scope"]["teams"] else None
    unreliable: dict[int, int] = {}
    for item in report["unreliable"]:
        unreliable[item["manager"]] = unreliable.get(item["manager"], 0) + 1
    rows = []
    for m in managers:
        cells = [plan_cell(metric, m["metrics"][metric]) for metric in shown]
        rows.append(
            ReviewRow(
                manager=m["manager"],
                username=m["username"],
                scorecard_url=page_url("scorecard-page", m["manager"], query=period),
                plan_url=page_url("plan-edit-page", m["manager"], query=period),
                cells=cells,
                slippage=m["slippage"],
                slipped_value=money(m["slippage"]["slipped_value"]),
                postponing=bool(m["slippage"]["postponing"]),
                unreliable=unreliable.get(m["manager"], 0),
                stalled=m["stalled"],
                stale=m["stale"],
                ratings=[_rating(item) for item in m["ratings"]],
                exceeded=[c for c in cells if c.status == "exceeded"],
            )
        )
    rated = []
    for row in rows:
        rated += [r for r in row.ratings if r.metric not in {x.metric for x in rated}]
    names = {m["manager"]: m["username"] for m in managers}

    def listed(items):
        return [
            item
            | {
                "url": page_url("prospect-detail-page", item["prospect"]),
                "manager_name": names.get(item["manager"], ""),
                "value": money(item.get("expected_value")),
            }
            for item in items
        ]

    slips = {
        "count": sum(m["slippage"]["slipped_count"] for m in managers),
        "late": sum(m["slippage"]["late_slips"] for m in managers),
        "pulled_in": sum(m["slippage"]["pulled_in"] for m in managers),
        "value": money(sum(Decimal(m["slippage"]["slipped_value"]) for m in managers)),
    }
    team_query = {"team": team_id, **period}
    per_manager = [
        (row, _charts(MANAGER_CHARTS, {"manager": row.manager, **period}, row.username))
        for row in rows
    ]
    return {
        "title": f"Team review: {report['scope']['label']}",
        "report": report,
        "role": role,
        "team_id": team_id,
        "team_choices": (
            list(visible_teams(request.user).order_by("name").values_list("pk", "name"))
            if role == Role.ADMIN
            else []
        ),
        "shown_metrics": [(metric, PLAN_LABELS[metric]) for metric in shown],
        "hidden_metrics": [
            PLAN_LABELS[metric] for metric in reports.PLAN_METRICS if metric not in shown
        ],
        "rows": rows,
        "totals": [total_cell(metric, report["totals"]["plan"][metric]) for metric in shown],
        "team_totals": report["totals"],
        "slips": slips,
        "rated": rated,
        "rated_totals": [
            scorecard_value(
                r.metric,
                report["totals"].get(r.metric, report["totals"].get(ALIASES.get(r.metric, ""))),
            )
            for r in rated
        ],
        "exceeded": _exceeded_by_manager(report),
        "slipped": listed(report["slipped"]),
        "unreliable": listed(report["unreliable"]),
        "stalled": listed(report["stalled"]),
        "stale": listed(report["stale"]),
        "team_charts": _charts(TEAM_CHARTS, team_query, report["scope"]["label"]),
        "manager_charts": per_manager,
        "period_query": period,
        "dm_reach": percent(report["totals"]["dm_reach"]),
        "meetings_per_day": rate(report["totals"]["meetings_per_day"]),
    }


def _exceeded_by_manager(report: Mapping[str, Any]) -> list[tuple[str, list[dict]]]:
    """Who exceeded which target, by manager in the table's order."""
    found: dict[int, list[dict]] = {}
    for item in report["exceeded"]:
        found.setdefault(item["manager"], []).append(
            {
                "label": PLAN_LABELS[item["metric"]],
                "shown": _signed(item["metric"], item["overage"]),
                "attained": percent(item["attainment"]),
            }
        )
    return [
        (m["username"], found[m["manager"]]) for m in report["managers"] if m["manager"] in found
    ]


def _team_managers(report: Mapping[str, Any]):
    return User.objects.filter(pk__in=[m["manager"] for m in report["managers"]]).order_by(
        "username"
    )


def _notes(report: Mapping[str, Any], zone) -> list[dict[str, Any]]:
    """The saved review notes of the team's managers for exactly this period. One query."""
    period = report["period"]
    found = (
        PerformanceReview.objects.filter(
            manager_id__in=[m["manager"] for m in report["managers"]],
            period_start=period["start"],
            period_end=period["end"],
        )
        .select_related("manager", "author")
        .order_by("manager__username")
    )
    return [
        {
            "review": review,
            "updated": timezone.localtime(review.updated_at, zone),
            "author": review.author.get_username() if review.author else NULL,
        }
        for review in found
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_review_page(request: HttpRequest) -> HttpResponse:
    """``/review/?team=<id>&period=2026-11``: the lead's review of one team and period, and
    (POST) the lead's note on one manager's period."""
    role = _leads_only(request.user)
    params = _review_params(request, role)
    try:
        report = reports.team_review_report(request.user, params)
    except ValidationError as error:
        return _bad_request(request, "Team review", error)
    if report["scope"]["kind"] != "team":
        raise Http404("No team to review.")
    managers = _team_managers(report)
    status = 200
    if request.method == "POST":
        form = ReviewNoteForm(request.POST, managers=managers)
        if form.is_valid():
            manager = form.cleaned_data["manager"]
            try:
                if manager.pk == request.user.pk and role != Role.ADMIN:
                    raise ValidationError({"manager": "Your own review is written by an admin."})
                services.review_save(
                    manager=manager,
                    author=request.user,
                    period_start=report["period"]["start"],
                    period_end=report["period"]["end"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                put_service_errors(form, error, name_others=True)
            else:
                messages.success(
                    request,
                    f"Review note on {manager.get_username()} for "
                    f"{report['period']['label']} saved.",
                )
                return redirect(request.get_full_path() + "#notes", permanent=False)
        status = 400
    else:
        form = ReviewNoteForm(managers=managers, initial=_note_initial(request, report))
    context = _review_context(request, role, params, report)
    zone = user_zone(request.user)
    context |= {"note_form": form, "notes": _notes(report, zone), "zone": zone}
    return render(request, "funnel/team_review.html", context, status=status)


def _note_initial(request: HttpRequest, report: Mapping[str, Any]) -> dict[str, Any]:
    """``?note_for=<manager id>`` opens the form on that manager's saved note."""
    raw = request.GET.get("note_for", "")
    if not raw.isdigit() or int(raw) not in {m["manager"] for m in report["managers"]}:
        return {}
    saved = PerformanceReview.objects.filter(
        manager_id=int(raw),
        period_start=report["period"]["start"],
        period_end=report["period"]["end"],
    ).first()
    return {"manager": int(raw), "notes": saved.notes if saved else ""}


# --- the scorecard ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One metric on the scorecard, with its benchmark rating when the sector has one."""

    label: str
    value: str
    rating: Rating | None = None
    hint: str = ""


def _figure(label: str, value: str, ratings: Mapping[str, Rating], metric: str = "", hint=""):
    return Figure(label, value, ratings.get(metric), hint)


def _scorecard_groups(row: Mapping[str, Any], ratings: Mapping[str, Rating]) -> list[dict]:
    conversion = row["conversion"]
    slip = row["slippage"]
    referrals = row["referrals"]
    source = row.get("conversion_rate_source")
    return [
        {
            "id": "funnel",
            "title": "Funnel (prospects created in the period)",
            "figures": [
                *(
                    Figure(f"Reached {stage}", count(value))
                    for stage, value in row["reached"].items()
                ),
                *(
                    Figure(f"Conversion {step}", percent(value))
                    for step, value in conversion.items()
                ),
                _figure("Lead → contract", percent(row["overall"]), ratings, "lead_to_contract"),
                Figure(
                    "One contract in",
                    NULL if row["one_in_n"] is None else f"{rate(row['one_in_n'])} prospects",
                ),
            ],
        },
        {
            "id": "activity",
            "title": "Activity per working day",
            "figures": [
                _figure(
                    "Held meetings per working day",
                    rate(row["meetings_per_day"]),
                    ratings,
                    "meetings_per_day",
                ),
                _figure(
                    "Calls per working day", rate(row["calls_per_day"]), ratings, "calls_per_day"
                ),
            ],
        },
        {
            "id": "slippage",
            "title": "Slippage (deals moved out of the period)",
            "figures": [
                Figure("Slipped deals", count(slip["slipped_count"])),
                Figure("Slipped value", money(slip["slipped_value"])),
                Figure("Late slips (last 5 working days)", count(slip["late_slips"])),
                Figure("Pulled in", count(slip["pulled_in"])),
                Figure(
                    "Postponing",
                    "yes" if slip["postponing"] else "no",
                    hint="contracts at 100% or more and a late slip",
                ),
            ],
        },
        {
            "id": "decision-makers",
            "title": "Decision makers and deal health",
            "figures": [
                _figure(
                    "Decision-maker reach",
                    percent(row["dm_reach"]),
                    ratings,
                    "dm_reach",
                    hint=f"of {count(row['met_prospects'])} prospects met in the period",
                ),
                Figure(
                    "Stalled without a decision maker",
                    count(row["stalled"]),
                    hint="open, 3+ held meetings, none with a decision maker",
                ),
                Figure(
                    "Stale prospects",
                    count(row["stale"]),
                    hint="no call or meeting for longer than the rotting days",
                ),
            ],
        },
        {
            "id": "referrals",
            "title": "Referrals",
            "figures": [
                Figure("Asked", count(referrals["asked"])),
                Figure("Received", count(referrals["received"])),
                Figure("Declined", count(referrals["declined"])),
                _figure(
                    "Asks per contract",
                    rate(row["asks_per_contract"]),
                    ratings,
                    "asks_per_contract",
                ),
                _figure(
                    "Referral conversion",
                    percent(row["referral_conversion"]),
                    ratings,
                    "referral_conversion",
                ),
            ],
        },
        {
            "id": "alternation",
            "title": "Meeting/call alternation",
            "figures": [
                _figure("Alternation", percent(row["alternation"]), ratings, "alternation"),
                _figure(
                    "Share of meeting days",
                    percent(row["meeting_day_share"]),
                    ratings,
                    "meeting_day_share",
                ),
                Figure("Active days", count(row["active_days"])),
            ],
        },
        {
            "id": "coverage",
            "title": "Funnel coverage",
            "figures": [
                Figure("Open prospects now", count(row["open_now"])),
                Figure("Contracts still to sign", count(row["remaining_contracts"])),
                Figure(
                    "Conversion used",
                    percent(row["conversion_rate_used"]),
                    hint=RATE_SOURCES.get(source, "") if source else "none available",
                ),
                Figure("New prospects required", count(row["required_new_prospects"])),
                _figure("Coverage", percent(row["coverage"]), ratings, "coverage"),
            ],
        },
        {
            "id": "cycle",
            "title": "Win rate, cycle and velocity (deals closed in the period)",
            "figures": [
                Figure("Won", count(row["won"])),
                Figure("Lost", count(row["lost"])),
                _figure("Win rate", percent(row["win_rate"]), ratings, "win_rate"),
                _figure(
                    "Sales cycle, median",
                    _days(row["cycle_days_median"]),
                    ratings,
                    "cycle_days_median",
                ),
                Figure("Sales cycle, mean", _days(row["cycle_days_mean"])),
                Figure("Open at the period's start", count(row["open_at_start"])),
                Figure("Pipeline velocity per 30 days", money(row["velocity"])),
            ],
        },
    ]


def _days(value: Any) -> str:
    shown = days(value)
    return shown if shown == NULL else f"{shown} days"


@login_required
@require_http_methods(["GET", "HEAD"])
def scorecard_page(request: HttpRequest, manager_id: int) -> HttpResponse:
    """``/review/scorecard/<manager_id>/?period=``: every SPEC section 3 metric of one
    manager, grouped, with benchmark ratings, and the manager's charts."""
    role = role_of(request.user)
    if role is None or (role == Role.MANAGER and manager_id != request.user.pk):
        raise Http404("No such manager.")
    params = {"manager": str(manager_id), **_period_query(request)}
    try:
        report = reports.scorecard_report(request.user, params)
        events = reports.events_report(request.user, params)
    except ValidationError as error:
        return render(
            request,
            "funnel/scorecard.html",
            {
                "title": "Scorecard",
                "errors": _problem(error),
                "row": None,
                "zone": user_zone(request.user),
            },
            status=400,
        )
    row = next((m for m in report["managers"] if m["manager"] == manager_id), None)
    if row is None:
        raise Http404("No scorecard: not a manager.")
    ratings = {}
    for item in row["ratings"]:
        rated = _rating(item)
        ratings[rated.metric] = rated
    period = _report_period(report)
    team_id = report["scope"]["teams"][0]
    event_rows = [
        {
            "name": event["name"],
            "url": page_url("event-detail-page", event["event"]),
            "starts": timezone.localtime(event["starts_at"], user_zone(request.user)),
            "cost": money(event["cost"]),
            "prospects": count(event["prospects_sourced"]),
            "meetings": count(event["held_meetings"]),
            "contracts": count(event["contracts"]),
            "revenue": money(event["revenue"]),
            "per_prospect": money(event["cost_per_prospect"]),
            "per_contract": money(event["cost_per_contract"]),
        }
        for event in events["events"]
    ]
    slipped = [
        s
        | {
            "url": page_url("prospect-detail-page", s["prospect"]),
            "value": money(s["expected_value"]),
        }
        for s in report["slipped"]
        if s["manager"] == manager_id
    ]
    context = {
        "zone": user_zone(request.user),
        "title": f"Scorecard: {row['username']}",
        "report": report,
        "row": row,
        "role": role,
        "plan": [
            (
                PLAN_LABELS[metric],
                plan_cell(metric, row["metrics"][metric]),
                amount(metric, row["metrics"][metric]["expected_to_date"]),
            )
            for metric in reports.PLAN_METRICS
        ],
        "groups": _scorecard_groups(row, ratings),
        "ratings": list(ratings.values()),
        "events": event_rows,
        "slipped": slipped,
        "charts": _charts(SCORECARD_CHARTS, {"manager": manager_id, **period}, row["username"]),
        "back_url": (
            page_url("team-review-page", query={"team": team_id, **period})
            if role in LEADS
            else page_url("home")
        ),
        "plan_url": (
            page_url("plan-edit-page", manager_id, query=period)
            if role == Role.ADMIN or (role == Role.LEAD and manager_id != request.user.pk)
            else None
        ),
    }
    return render(request, "funnel/scorecard.html", context)


# --- plan editing -----------------------------------------------------------------------------


def _plan_target(request: HttpRequest, manager_id: int, role: str):
    """The manager whose plan a lead (their team's, not their own) or an admin sets."""
    if role != Role.ADMIN and manager_id == request.user.pk:
        raise Http404("Your own plan is set by an admin.")
    manager = visible_users(request.user).filter(pk=manager_id).first()
    if manager is None or getattr(manager, "profile", None) is None:
        raise Http404("No such manager.")
    return manager


def _suggestion(request: HttpRequest, manager_id: int, period) -> dict[str, Any]:
    asked = _period_query(request) or {"period": period.label}
    return suggest.plan_suggestion(request.user, {"manager": str(manager_id), **asked})


def _basis_text(found: Mapping[str, Any]) -> str:
    history = ", ".join(h["period"] for h in found["history"])
    if found["basis"] == "own":
        growth = percent(found["growth"])
        return f"The mean of {history} (the last 3 full periods) plus {growth} growth."
    if found["basis"] == "team_median":
        return (
            f"Fewer than 3 full periods since hire: the team's median scaled by the ramp of "
            f"{percent(found['ramp'])} (month {count((found['months_since_hire'] or 0) + 1)} "
            "since hire)."
        )
    return "No suggestion: fewer than 3 full periods of history and no colleague to compare."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_edit_page(request: HttpRequest, manager_id: int) -> HttpResponse:
    """``/review/plans/<manager_id>/?period=``: a manager's targets for the period,
    pre-filled with the existing plan, else with the suggestion (SPEC 3.11)."""
    role = _leads_only(request.user)
    manager = _plan_target(request, manager_id, role)
    try:
        parsed = reports.parse_request(
            request.user, {"manager": str(manager_id), **_period_query(request)}
        )
        found = _suggestion(request, manager_id, parsed.period)
    except ValidationError as error:
        return render(
            request,
            "funnel/plan_form.html",
            {"title": "Plan", "errors": _problem(error), "form": None},
            status=400,
        )
    period = parsed.period
    overlapping = list(
        Plan.objects.filter(manager=manager, start__lte=period.end, end__gte=period.start)
    )
    plan = next((p for p in overlapping if p.start == period.start and p.end == period.end), None)
    others = [p for p in overlapping if p is not plan]
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                if plan is None:
                    targets = {k: v for k, v in form.targets().items() if v is not None}
                    services.plan_create(
                        manager=manager,
                        start=period.start,
                        end=period.end,
                        by=request.user,
                        targets=targets,
                    )
                else:
                    services.plan_update(plan=plan, by=request.user, data=form.targets())
            except ValidationError as error:
                put_service_errors(form, error, name_others=True)
            else:
                messages.success(
                    request, f"Plan of {manager.get_username()} for {period.label} saved."
                )
                team = manager.profile.team_id
                query = {"team": team, **_report_period({"period": _period_dict(period)})}
                return redirect(page_url("team-review-page", query=query) or "/")
        status = 400
    else:
        if plan is not None:
            initial = {metric: getattr(plan, metric) for metric in PlanMetric.values}
        else:
            initial = {
                metric: None if value is None else Decimal(str(value))
                for metric, value in found["suggested"].items()
            }
        form = PlanForm(initial=initial)
    team_median = found["team_median"]
    fields = [
        {
            "field": form[metric],
            "suggested": amount(metric, found["suggested"][metric]),
            "median": amount(metric, team_median[metric]),
            "history": [amount(metric, h["actuals"][metric]) for h in found["history"]],
        }
        for metric in PlanMetric.values
    ]
    context = {
        "title": f"Plan of {manager.get_username()}",
        "manager": manager,
        "period": period,
        "form": form,
        "fields": fields,
        "plan": plan,
        "others": others,
        "suggestion": found,
        "basis_text": _basis_text(found),
        "back_url": page_url(
            "team-review-page",
            query={
                "team": manager.profile.team_id,
                **_report_period({"period": _period_dict(period)}),
            },
        ),
    }
    return render(request, "funnel/plan_form.html", context, status=status)


def _period_dict(period) -> dict[str, Any]:
    return {"label": period.label, "start": period.start, "end": period.end}
