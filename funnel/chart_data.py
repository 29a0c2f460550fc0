"""The numbers behind each chart of /charts/ (SPEC section 4), read through the reports.

``funnel``, ``plan``, ``activity``, ``alternation`` and ``events`` each take the caller
and the request's parameters and return a ``charts.Chart``. Scope and period are parsed
exactly as by the report API (``reports.parse_request``), with the same permission rules:
another team's manager or team raises ``Http404``; a bad period, or a missing ``manager``
for a chart of one manager, raises ``ValidationError`` naming the field. Reads only,
nothing about HTTP; the queries are the reports' own (a small constant each).

Charts (what each includes / excludes)
    funnel       SPEC 3.1's cohort funnel (prospects created in the period) of the scope:
                 reached per stage lead→contract and the conversions between them.
    plan         SPEC 3.4's attainment per plan metric: of one manager (``manager=``, a
                 manager's default is themselves), or the team totals with ``team=``
                 (Σactual ÷ Σtarget over the managers with that target; a metric nobody
                 has a target for shows the team's actual, with no bar).
    activity     held meetings of one manager on each working day of the period up to
                 today (zeros included, so the mean is SPEC 3.3's meetings per working
                 day; meetings on non-working days are not drawn), against the
                 ``meetings_per_day`` benchmark of the team's sector.
    alternation  SPEC 3.9's active days of one manager, each a call day or a meeting day,
                 from the same helpers as the alternation report.
    events       the events starting in the period with their return on cost from
                 ``events_report``: (revenue from prospects sourced there - cost) ÷ cost.

The alt text starts with the scope and the period ("b2b-1, 2026-11.") and then the
numbers; ``alt_text`` computes it without drawing anything.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import FilteredRelation, Q
from django.urls import reverse
from matplotlib.figure import Figure

from crm.models import Role
from crm.selectors import role_of
from funnel import charts, freshness, metrics, reports, selectors
from funnel.charts import AttainmentBar, Chart, EventRoiBar
from funnel.models import BenchmarkMetric, Sector

# The parameters the charts read; any other (a cache buster, view=…) is ignored.
PARAMS = ("manager", "team", "period", "start", "end")
TITLE_CONTEXT = 48  # characters of "scope, period" a title shows (one line of 640 px)
MANAGER_NEEDED = "Name the manager (manager=<id>): this chart shows one manager."
PLAN_SCOPE_NEEDED = (
    "Name the manager (manager=<id>), or the team (team=<id>) for the team's totals."
)


def normalized(params: Mapping[str, str]) -> dict[str, str]:
    """The chart parameters of a query, stripped, without the empty ones."""
    found = {name: (params.get(name) or "").strip() for name in PARAMS}
    return {name: value for name, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class Drawing:
    """A chart's plain inputs: ``chart()`` draws it; ``alt()`` is its text alone (cheap)."""

    figure: Callable[..., Figure]
    text: Callable[..., str]
    args: tuple
    title: str
    context: str

    def alt(self) -> str:
        return f"{self.context}. {self.text(*self.args)}"

    def chart(self) -> Chart:
        return Chart(self.figure(*self.args, title=self.title), self.alt())


def _context(report: Mapping[str, Any]) -> str:
    """Whom and when the chart is about: "b2b-1, 2026-11"."""
    return f"{report['scope']['label']}, {report['period']['label']}"


def _drawing(
    figure: Callable[..., Figure], text: Callable[..., str], title: str, context: str, *args: Any
) -> Drawing:
    # The alt text keeps the context whole.
    short = context if len(context) <= TITLE_CONTEXT else context[: TITLE_CONTEXT - 1] + "…"
    return Drawing(figure, text, args, f"{title}: {short}", context)


def _decimal(value: Any) -> Decimal | None:
    """A report number (int, Decimal, or money as a string) as a Decimal."""
    return None if value is None else Decimal(str(value))


# --- funnel --------------------------------------------------------------------------------


def _funnel(user: AbstractBaseUser, params: Mapping[str, str]) -> Drawing:
    return funnel_drawing(reports.funnel_report(user, normalized(params) | {"view": "cohort"}))


def funnel_drawing(report: Mapping[str, Any]) -> Drawing:
    """The funnel chart of a cohort funnel report (a page that has the report already
    takes its alt text from here instead of asking for the report again)."""
    stages = [(stage, report["reached"][stage]) for stage in selectors.FUNNEL]
    conversions = [report["conversion"][f"{a}→{b}"] for a, b in pairwise(selectors.FUNNEL)]
    return _drawing(
        charts.funnel_figure,
        charts.funnel_text,
        "Sales funnel (cohort)",
        _context(report),
        stages,
        conversions,
    )


# --- plan attainment -----------------------------------------------------------------------


def _plan(user: AbstractBaseUser, params: Mapping[str, str]) -> Drawing:
    chosen = normalized(params)
    if "manager" not in chosen and "team" not in chosen and role_of(user) != Role.MANAGER:
        raise ValidationError({"manager": PLAN_SCOPE_NEEDED})
    return plan_drawing(reports.plan_report(user, chosen))


def plan_drawing(report: Mapping[str, Any]) -> Drawing:
    """The attainment chart of a report with a plan section (the plan report's, or the
    team review's, which holds the same ``managers`` and ``totals``)."""
    if report["scope"]["kind"] == "manager":
        row = next(
            (row for row in report["managers"] if row["manager"] == report["scope"]["manager"]),
            None,
        )
        # A user without a manager's role (a lead named as ``manager``) has no plan row.
        bars = (
            []
            if row is None
            else [_attainment(metric, row["metrics"][metric]) for metric in reports.PLAN_METRICS]
        )
        context = _context(report)
    else:
        bars = [_team_attainment(metric, report) for metric in reports.PLAN_METRICS]
        context = f"{_context(report)}, team totals"
    return _drawing(
        charts.attainment_figure, charts.attainment_text, "Plan attainment", context, bars
    )


def _attainment(metric: str, values: Mapping[str, Any]) -> AttainmentBar:
    return AttainmentBar(
        metric,
        _decimal(values["target"]),
        _decimal(values["actual"]) or Decimal(0),
        _decimal(values["attainment"]),
    )


def _team_attainment(metric: str, report: Mapping[str, Any]) -> AttainmentBar:
    """The team's Σactual ÷ Σtarget; without any target, the whole team's actual."""
    total = report["totals"][metric]
    if total["target"] is not None:
        return _attainment(metric, total)
    actual = sum(
        (_decimal(row["metrics"][metric]["actual"]) or Decimal(0) for row in report["managers"]),
        Decimal(0),
    )
    return AttainmentBar(metric, None, actual, None)


# --- one manager's activity and alternation -------------------------------------------------


def _one_manager(user: AbstractBaseUser, params: Mapping[str, str]) -> reports.Request:
    """The parsed request of a chart of one manager: ``manager=``, or a manager's own."""
    request = reports.parse_request(user, normalized(params))
    if request.scope.kind != "manager":
        raise ValidationError({"manager": MANAGER_NEEDED})
    return request


def _request_context(request: reports.Request) -> str:
    return f"{request.scope.label}, {request.period.label}"


def _activity(user: AbstractBaseUser, params: Mapping[str, str]) -> Drawing:
    request = _one_manager(user, params)
    scope, period = request.scope, request.period
    held = selectors.daily_activity(scope, period).get(scope.manager_id, {})
    # Up to today: the mean over these days is SPEC 3.3's (elapsed working days).
    days = [
        (day, held[day][1] if day in held else 0)
        for day in request.calendar.working_days(period)
        if day <= request.today
    ]
    band, label = _meetings_band(scope.teams[0].sector_id)
    return _drawing(
        charts.activity_figure,
        charts.activity_text,
        "Held meetings per working day",
        _request_context(request),
        days,
        band,
        label,
    )


def _meetings_band(sector_id: int | None) -> tuple[tuple[Decimal | None, Decimal | None], str]:
    """The sector's meetings_per_day benchmark (low, high) and its name. One query."""
    row = (
        Sector.objects.filter(pk=sector_id)
        .annotate(
            band=FilteredRelation(
                "benchmarks", condition=Q(benchmarks__metric=BenchmarkMetric.MEETINGS_PER_DAY)
            )
        )
        .values("name", "band__low", "band__high")
        .first()
    )
    if row is None:
        return (None, None), "The team's sector"
    return (row["band__low"], row["band__high"]), row["name"]


def _alternation(user: AbstractBaseUser, params: Mapping[str, str]) -> Drawing:
    request = _one_manager(user, params)
    scope = request.scope
    # The alternation report's own helpers, for one manager (SPEC 3.9).
    active = reports._active_days(
        selectors.daily_activity(scope, request.period),
        scope.manager_id,
        reports._team_working_days(request),
        scope.teams[0].team_id,
    )
    days = [
        (day, charts.MEETING if metrics.is_meeting_day(calls, meetings) else charts.CALL)
        for day, calls, meetings in active
    ]
    return _drawing(
        charts.alternation_figure,
        charts.alternation_text,
        "Call days and meeting days",
        _request_context(request),
        days,
    )


# --- events ROI ----------------------------------------------------------------------------


def _events(user: AbstractBaseUser, params: Mapping[str, str]) -> Drawing:
    return events_drawing(reports.events_report(user, normalized(params)))


def events_drawing(report: Mapping[str, Any]) -> Drawing:
    """The events ROI chart of an events report (for a page that has the report)."""
    bars = []
    for event in report["events"]:
        cost, value = Decimal(event["cost"]), Decimal(event["revenue"])
        bars.append(EventRoiBar(event["name"], cost, value, charts.event_roi(cost, value)))
    return _drawing(
        charts.events_roi_figure, charts.events_roi_text, "Return on events", _context(report), bars
    )


# --- public --------------------------------------------------------------------------------

DRAWINGS: dict[str, Callable[[AbstractBaseUser, Mapping[str, str]], Drawing]] = {
    "funnel": _funnel,
    "plan": _plan,
    "activity": _activity,
    "alternation": _alternation,
    "events": _events,
}
NAMES = tuple(DRAWINGS)


def build(name: str, user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    """The chart ``name`` (one of NAMES); KeyError for another name."""
    return DRAWINGS[name](user, params).chart()


def alt_text(name: str, user: AbstractBaseUser, params: Mapping[str, str]) -> str:
    """The text alternative of the chart ``name``, without drawing it."""
    return DRAWINGS[name](user, params).alt()


def links(name: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """The addresses of the chart ``name`` for the parameters' non-empty values: the SVG
    image and its text version. The image's carries the data generation (``v``, which the
    chart view ignores): a browser keeps a chart a minute, and after a write the page must
    not show the old one next to the new numbers."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    generation = freshness.generation()
    image = query if generation is None else "&".join(filter(None, (query, f"v={generation}")))
    svg = reverse("chart", kwargs={"name": name, "fmt": "svg"})
    txt = reverse("chart", kwargs={"name": name, "fmt": "txt"})
    return (f"{svg}?{image}" if image else svg, f"{txt}?{query}" if query else txt)


def funnel(user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    return build("funnel", user, params)


def plan(user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    return build("plan", user, params)


def activity(user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    return build("activity", user, params)


def alternation(user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    return build("alternation", user, params)


def events(user: AbstractBaseUser, params: Mapping[str, str]) -> Chart:
    return build("events", user, params)
