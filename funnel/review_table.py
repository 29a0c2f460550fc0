"""The team review (``funnel.reports.team_review_report``) as terminal tables.

Pure: a plain dict in (the report as returned, or as parsed back from its JSON), text out;
no ORM. Numbers may arrive as int, float, Decimal or decimal strings, dates as dates or ISO
strings, and a key that is missing reads as null. Only here are ratios shown as
percentages (one decimal; the API keeps them between 0 and 1); money has two places and
thousands separators, per-day rates two places, and null is "—". A table wider than
``WIDTH`` columns is split into column groups, each repeating the first column.
"""

import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

WIDTH = 100
NULL = "—"
GAP = "  "
NAME_WIDTH = 36  # prospect names are cut here ("…") so the lists stay within WIDTH

PLAN_METRICS = ("contracts", "revenue", "meetings", "calls", "new_prospects", "referrals_asked")
MONEY = frozenset({"revenue"})
# How the pages name the plan's metrics and a metric's status (SPEC 3.4).
PLAN_LABELS = {
    "contracts": "Contracts signed",
    "revenue": "Revenue",
    "meetings": "Held meetings",
    "calls": "Calls",
    "new_prospects": "New prospects",
    "referrals_asked": "Referrals asked",
}
STATUS_LABELS = {
    "exceeded": "exceeded",
    "met": "met",
    "on_track": "on track",
    "cautioned": "cautioned",
    "off_track": "off track",
}
STATUS_MARKS = {
    "exceeded": "▲",
    "met": "✓",
    "on_track": "→",
    "cautioned": "!",
    "off_track": "▼",
}
LEGEND = (
    "▲ exceeded  ✓ met  → on track  ! cautioned  ▼ off track; then the overage (negative = short)"
)

# How each scorecard value reads: a share of 1 (percent), a rate, or days.
PERCENT = frozenset(
    {
        "win_rate",
        "dm_reach",
        "alternation",
        "meeting_day_share",
        "coverage",
        "lead_to_contract",
        "referral_conversion",
        "overall",
    }
)
ALIASES = {"lead_to_contract": "overall"}
DAYS = frozenset({"cycle_days_median", "cycle_days_mean"})
SCORECARD = (
    ("win_rate", "win rate"),
    ("cycle_days_median", "cycle median (d)"),
    ("meetings_per_day", "meetings/day"),
    ("calls_per_day", "calls/day"),
    ("dm_reach", "DM reach"),
    ("alternation", "alternation"),
    ("coverage", "coverage"),
)
LABELS = dict(SCORECARD) | {
    "lead_to_contract": "lead→contract",
    "meeting_day_share": "meeting days",
    "asks_per_contract": "asks/contract",
    "referral_conversion": "referral conv.",
    "new_prospects": "new prospects",
    "referrals_asked": "referrals asked",
}


# ---------------------------------------------------------------- values


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _places(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(value: Any) -> str:
    """0.4286 → "42.9%"; null → "—"."""
    number = _decimal(value)
    return NULL if number is None else f"{_places(number * 100, 1)}%"


def money(value: Any, *, signed: bool = False) -> str:
    """Two places with thousands separators: 106500 → "106,500.00"."""
    number = _decimal(value)
    if number is None:
        return NULL
    return format(_places(number, 2), "+,.2f" if signed else ",.2f")


def count(value: Any, *, signed: bool = False) -> str:
    """A whole number as it is; a fractional one with two places."""
    number = _decimal(value)
    if number is None:
        return NULL
    sign = "+" if signed else ""
    if number == number.to_integral_value():
        return format(int(number), f"{sign},d")
    return format(_places(number, 2), f"{sign},.2f")


def amount(metric: str, value: Any, *, signed: bool = False) -> str:
    return (money if metric in MONEY else count)(value, signed=signed)


def rate(value: Any) -> str:
    number = _decimal(value)
    return NULL if number is None else str(_places(number, 2))


def days(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return NULL
    return str(int(number)) if number == number.to_integral_value() else str(_places(number, 1))


def scorecard_value(metric: str, value: Any) -> str:
    if metric in PERCENT:
        return percent(value)
    if metric in DAYS:
        return days(value)
    return rate(value)


def text(value: Any) -> str:
    if value is None or value == "":
        return NULL
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " "))


def _cut(name: Any, limit: int = NAME_WIDTH) -> str:
    name = text(name)
    return name if _width(name) <= limit else name[: limit - 1] + "…"


# ---------------------------------------------------------------- tables


def _width(value: str) -> int:
    """Terminal columns: wide (East Asian) characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in value
    )


def _pad(value: str, width: int, align: str) -> str:
    fill = " " * max(width - _width(value), 0)
    return fill + value if align == ">" else value + fill


@dataclass(frozen=True, slots=True)
class Column:
    """``align`` is ">" (numbers) or "<"; ``parts`` aligns each piece of a tuple cell."""

    title: str
    align: str = ">"
    parts: str = ""


Cell = str | tuple[str, ...]
RULE: None = None  # a row that draws a line across the table


def _cells(columns: Sequence[Column], rows: Sequence[Sequence[Cell] | None]) -> list[list[str]]:
    """Each tuple cell joined with its pieces aligned down the column."""
    out: list[list[str]] = [[] for _ in rows]
    for index, column in enumerate(columns):
        cells = [None if row is None else row[index] for row in rows]
        if column.parts:
            pieces = [c if isinstance(c, tuple) else (c,) for c in cells if c is not None]
            widths = [
                max((_width(p[i]) for p in pieces if i < len(p)), default=0)
                for i in range(len(column.parts))
            ]
            for line, cell in zip(out, cells, strict=True):
                if cell is None:
                    continue
                parts = cell if isinstance(cell, tuple) else (cell,)
                line.append(
                    " ".join(
                        _pad(part, width, align)
                        for part, width, align in zip(parts, widths, column.parts, strict=False)
                        if width
                    )
                )
        else:
            for line, cell in zip(out, cells, strict=True):
                if cell is not None:
                    line.append(cell if isinstance(cell, str) else " ".join(cell))
    return out


def table(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell] | None], *, width: int = WIDTH
) -> str:
    """Header, a rule, the rows (``RULE`` draws a rule); split into column groups that
    repeat the first column when the whole is wider than ``width``."""
    cells = _cells(columns, rows)
    widths = [
        max([_width(c.title)] + [_width(line[i]) for line in cells if line])
        for i, c in enumerate(columns)
    ]
    groups: list[list[int]] = []
    used = widths[0]
    for index in range(1, len(columns)):
        needed = len(GAP) + widths[index]
        if groups and used + needed <= width:
            groups[-1].append(index)
            used += needed
        else:
            groups.append([index])
            used = widths[0] + needed
    blocks = []
    for group in groups or [[]]:
        keep = [0, *group]
        total = sum(widths[i] for i in keep) + len(GAP) * (len(keep) - 1)
        lines = [
            GAP.join(_pad(columns[i].title, widths[i], columns[i].align) for i in keep),
            GAP.join("─" * widths[i] for i in keep),
        ]
        for row, line in zip(rows, cells, strict=True):
            if row is RULE:
                lines.append("─" * total)
            else:
                lines.append(GAP.join(_pad(line[i], widths[i], columns[i].align) for i in keep))
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks)


def _section(title: str, body: str) -> str:
    return f"{title}\n{body}"


# ---------------------------------------------------------------- the review


def _title(report: Mapping[str, Any]) -> str:
    scope = report.get("scope") or {}
    period = report.get("period") or {}
    kind = scope.get("kind") or "team"
    name = scope.get("label") or NULL
    who = f"Team review: {name}" if kind == "team" else f"Review ({kind}): {name}"
    dates = f"{text(period.get('start'))}..{text(period.get('end'))}"
    working = (
        f"{text(report.get('elapsed_working_days'))} of {text(report.get('working_days'))} "
        "working days elapsed"
    )
    return f"{who} · {text(period.get('label'))} ({dates}) · {working}"


def _plan_cell(metric: str, values: Mapping[str, Any] | None) -> tuple[str, ...]:
    values = values or {}
    target, status = values.get("target"), values.get("status")
    overage = _decimal(values.get("overage"))
    attained = values.get("attainment")
    return (
        f"{amount(metric, values.get('actual'))}/{amount(metric, target)}",
        "" if attained is None else f"({percent(attained)})",
        STATUS_MARKS.get(status, "") if status else "",
        "" if overage is None or overage == 0 else amount(metric, overage, signed=True),
    )


def _total_cell(metric: str, values: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Σactual/Σtarget over the managers with the target; the mark from the sums alone."""
    values = values or {}
    target, actual = _decimal(values.get("target")), _decimal(values.get("actual"))
    if target is None:
        return (NULL, "", "", "")
    overage = (actual or Decimal(0)) - target
    mark = "▲" if overage > 0 else "✓" if overage == 0 else ""
    attained = values.get("attainment")
    return (
        f"{amount(metric, actual)}/{amount(metric, target)}",
        "" if attained is None else f"({percent(attained)})",
        mark,
        "" if overage == 0 else amount(metric, overage, signed=True),
    )


def _plan(report: Mapping[str, Any], managers: list[Mapping[str, Any]]) -> str:
    columns = [Column("manager", "<")] + [Column(label(m), ">", ">><>") for m in PLAN_METRICS]
    rows: list[list[Cell] | None] = [
        [text(m.get("username"))]
        + [_plan_cell(metric, (m.get("metrics") or {}).get(metric)) for metric in PLAN_METRICS]
        for m in managers
    ]
    plan_totals = (report.get("totals") or {}).get("plan")
    if plan_totals is not None:
        rows += [
            RULE,
            ["team Σ"] + [_total_cell(metric, plan_totals.get(metric)) for metric in PLAN_METRICS],
        ]
    return _section("Plan: actual/target (attainment) status overage", table(columns, rows)) + (
        f"\n{LEGEND}"
    )


def _exceeded(report: Mapping[str, Any]) -> str:
    exceeded = report.get("exceeded") or []
    if not exceeded:
        return "Exceeded the plan: nobody"
    columns = [Column("manager", "<"), Column("metric", "<"), Column("overage"), Column("attained")]
    rows: list[list[Cell] | None] = [
        [
            text(item.get("username")),
            label(item.get("metric", "")),
            "▲ " + amount(item.get("metric", ""), item.get("overage"), signed=True),
            percent(item.get("attainment")),
        ]
        for item in exceeded
    ]
    return _section("Exceeded the plan", table(columns, rows))


def _postponing(report: Mapping[str, Any]) -> str:
    names = report.get("postponing") or []
    return "Postponing (contracts ≥ 100% and a late slip): " + (
        ", ".join(map(text, names)) if names else "nobody"
    )


def _slippage(managers: list[Mapping[str, Any]]) -> str:
    columns = [
        Column("manager", "<"),
        Column("slipped"),
        Column("slipped value"),
        Column("late slips"),
        Column("pulled in"),
        Column("postponing", "<"),
    ]
    rows: list[list[Cell] | None] = []
    sums = dict.fromkeys(("slipped_count", "slipped_value", "late_slips", "pulled_in"), Decimal(0))
    for m in managers:
        slip = m.get("slippage") or {}
        for key in sums:
            sums[key] += _decimal(slip.get(key)) or 0
        flag = slip.get("postponing")
        rows.append(
            [
                text(m.get("username")),
                count(slip.get("slipped_count")),
                money(slip.get("slipped_value")),
                count(slip.get("late_slips")),
                count(slip.get("pulled_in")),
                NULL if flag is None else "yes" if flag else "no",
            ]
        )
    rows += [
        RULE,
        [
            "team Σ",
            count(sums["slipped_count"]),
            money(sums["slipped_value"]),
            count(sums["late_slips"]),
            count(sums["pulled_in"]),
            "",
        ],
    ]
    return _section("Slippage (deals moved out of the period)", table(columns, rows))


def _value(row: Mapping[str, Any], metric: str) -> Any:
    """A scorecard value by the metric's name (a benchmark names lead→contract by its own
    name; the report calls it ``overall``)."""
    return row.get(metric, row.get(ALIASES.get(metric, metric)))


def _scorecard(report: Mapping[str, Any], managers: list[Mapping[str, Any]]) -> str:
    ratings = {
        m.get("manager"): {r.get("metric"): r for r in m.get("ratings") or []} for m in managers
    }
    shown = [metric for metric, _ in SCORECARD]
    extra: list[str] = []
    for rated in ratings.values():
        extra += [metric for metric in rated if metric not in shown and metric not in extra]
    metrics = shown + extra
    rated_metrics = {metric for rated in ratings.values() for metric in rated}
    columns = [Column("manager", "<")] + [
        Column(label(metric), ">", "><" if metric in rated_metrics else "") for metric in metrics
    ]

    def cell(metric: str, value: Any, rating: Mapping[str, Any] | None) -> Cell:
        shown_value = scorecard_value(metric, value)
        if metric not in rated_metrics:
            return shown_value
        return (shown_value, (rating or {}).get("rating") or "")

    rows: list[list[Cell] | None] = []
    for m in managers:
        rated = ratings.get(m.get("manager"), {})
        rows.append(
            [text(m.get("username"))]
            + [
                cell(
                    metric,
                    rated[metric].get("value") if metric in rated else _value(m, metric),
                    rated.get(metric),
                )
                for metric in metrics
            ]
        )
    totals = report.get("totals") or {}
    if totals:
        rows += [
            RULE,
            ["team"] + [cell(metric, _value(totals, metric), None) for metric in metrics],
        ]
    notes = []
    seen = set()
    for rated in ratings.values():
        for metric, r in rated.items():
            key = (metric, text(r.get("low")), text(r.get("high")))
            if key in seen:
                continue
            seen.add(key)
            low, high = (scorecard_value(metric, r.get(end)) for end in ("low", "high"))
            band = f"≥ {low}" if r.get("high") is None else f"{low} to {high}"
            note = f" ({r['note']})" if r.get("note") else ""
            notes.append(
                textwrap.fill(
                    f"Benchmark {label(metric)} {band}{note}", WIDTH, subsequent_indent="  "
                )
            )
    title = "Scorecard (rated values: below/within/above the sector's benchmark)"
    return _section(title, table(columns, rows)) + "".join(f"\n{n}" for n in notes)


def _list(
    title: str,
    items: list[Mapping[str, Any]],
    columns: Sequence[Column],
    row: Any,
    total: int | None = None,
) -> str:
    """A titled table; ``total`` (when the report lists only the first ones) is shown."""
    if not items:
        return f"{title}: none"
    shown = len(items) if total is None or total == len(items) else f"first {len(items)} of {total}"
    return _section(f"{title} ({shown})", table(columns, [row(item) for item in items]))


def _lists(report: Mapping[str, Any], names: Mapping[Any, str]) -> Iterable[str]:
    def who(item: Mapping[str, Any]) -> str:
        manager = item.get("manager")
        return names.get(manager) or (NULL if manager is None else f"#{manager}")

    prospect, manager = Column("prospect", "<"), Column("manager", "<")
    yield _list(
        "Slipped deals",
        report.get("slipped") or [],
        [
            prospect,
            manager,
            Column("value"),
            Column("close date"),
            Column("slipped on"),
            Column("late", "<"),
        ],
        lambda s: [
            _cut(s.get("name")),
            who(s),
            money(s.get("expected_value")),
            text(s.get("expected_close_date")),
            text(s.get("slipped_on")),
            "late" if s.get("late") else "",
        ],
    )
    yield _list(
        "Unreliable close dates (pushed later 3+ times)",
        report.get("unreliable") or [],
        [prospect, manager, Column("close date"), Column("pushes")],
        lambda u: [
            _cut(u.get("name")),
            who(u),
            text(u.get("expected_close_date")),
            count(u.get("push_count")),
        ],
        report.get("unreliable_total"),
    )
    yield _list(
        "Stalled without a decision maker (3+ held meetings)",
        report.get("stalled") or [],
        [prospect, manager, Column("stage", "<"), Column("held meetings")],
        lambda s: [
            _cut(s.get("name")),
            who(s),
            text(s.get("stage")),
            count(s.get("held_meetings")),
        ],
        report.get("stalled_total"),
    )
    yield _list(
        "Stale prospects (no call or meeting for longer than the rotting days)",
        report.get("stale") or [],
        [
            prospect,
            manager,
            Column("stage", "<"),
            Column("last touch"),
            Column("days idle"),
            Column("rotting days"),
        ],
        lambda s: [
            _cut(s.get("name")),
            who(s),
            text(s.get("stage")),
            text(s.get("last_touch")),
            count(s.get("days_idle")),
            count(s.get("rotting_days")),
        ],
        report.get("stale_total"),
    )


def render(report: Mapping[str, Any]) -> str:
    """The whole review as text, at most ``WIDTH`` columns wide (barring long team names)."""
    managers = list(report.get("managers") or [])
    names = {m.get("manager"): text(m.get("username")) for m in managers}
    sections = [_title(report)]
    if managers:
        sections += [
            _plan(report, managers),
            _exceeded(report),
            _postponing(report),
            _slippage(managers),
            _scorecard(report, managers),
        ]
    else:
        sections.append("No managers in scope.")
    sections += list(_lists(report, names))
    return "\n\n".join(sections) + "\n"
