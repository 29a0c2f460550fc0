"""The charts of the web pages (SPEC section 4): plain values in, PNG or SVG bytes out.

Nothing here touches the ORM: the views fetch the report numbers and pass them as tuples
and small dataclasses. Matplotlib is used only through ``matplotlib.figure.Figure`` on an
Agg canvas, never ``pyplot``: pyplot keeps every figure in a global registry (a leak in a
long-running web process) and its state is not thread-safe. No global backend is set.

API
    ``<chart>_figure(...) -> Figure``   the picture, laid out for 640x360 px at 100 dpi.
    ``<chart>_text(...) -> str``        the text alternative: the numbers in a sentence or two.
    ``<chart>_chart(...) -> Chart``     both together; ``chart.png()`` / ``chart.svg()``.
    ``render(figure, fmt, alt=...)``    PNG or SVG bytes; the same input gives the same bytes.

Charts (what each includes / excludes)
    funnel          one horizontal bar per stage with its count, and the conversion between
                    consecutive stages ("→ 80%", "→ —" when the divisor was 0).
    attainment      attainment per plan metric against a 100% line: the achieved part, the
                    overage beyond 100% and the shortfall below it each in its own style;
                    a metric without a target is listed as "no target", with no bar.
    activity        held meetings per working day, the mean as a line, and the sector's
                    per-day benchmark band (open-ended when it has no high, absent when the
                    sector has no per-day benchmark).
    alternation     one cell per active day, a call day or a meeting day (colour plus a
                    letter, or a hatch when the cells are too small for letters); days
                    without activity are skipped, as in SPEC 3.9.
    events_roi      ROI = (contract value - cost) ÷ cost per event around a zero line;
                    a free event (cost 0) has no ROI and is labelled "free".

Money and ratios arrive as ``Decimal`` and become ``float`` only for plotting; every label
and alt text is formatted from the Decimal. An empty input gives a valid image that says
"No data for this period". Names longer than the label room are cut with an ellipsis in
the picture (never in the alt text).
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from io import BytesIO
from itertools import pairwise
from math import ceil, sqrt
from typing import Literal
from xml.sax.saxutils import escape

from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from funnel import metrics

Format = Literal["png", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}

# 640x360 px at 100 dpi; the SVG is the same size in points (460.8x259.2 pt).
FIGSIZE = (6.4, 3.6)
DPI = 100
NO_DATA = "No data for this period"
CALL, MEETING = "call", "meeting"
# Typographic signs in labels (spelled as escapes so they cannot be mistaken in the source).
MINUS = "\u2212"
EN_DASH = "\u2013"
ROI_FORMULA = f"ROI = (contract value {MINUS} cost) ÷ cost"

# Okabe-Ito, distinguishable with the common colour-vision deficiencies. Contrast on white
# (WCAG asks 3:1 of graphical objects): blue 5.2, vermilion 3.9, green 3.4; orange is only
# 2.3, so orange shapes get an ink outline, a letter or a hatch, and the light grey
# shortfall a grey hatch and edge.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILION = "#D55E00"
INK = "#1A1A1A"  # 17:1
MUTED = "#595959"  # 7:1: grey text stays readable
SHORTFALL = "#D9D9D9"

TITLE_SIZE = 11
LABEL_SIZE = 9
SMALL_SIZE = 8
NAME_LIMIT = 24

# Saved with these rcParams. The SVG backend reads them from the global rcParams only, so
# rc_context is the one way to set them; the lock keeps two threads of one process from
# interleaving their save-and-restore of that global dict.
_SAVE_RC = {"svg.hashsalt": "funnelbook-charts", "svg.fonttype": "none"}
_SAVE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class AttainmentBar:
    """One plan metric: target None (or 0) means the plan sets no target for it;
    attainment = actual ÷ target as a ratio (1 = 100%), None without a target."""

    metric: str
    target: Decimal | None
    actual: Decimal
    attainment: Decimal | None


@dataclass(frozen=True, slots=True)
class EventRoiBar:
    """One event: cost and contract value are money; roi = (value - cost) ÷ cost as a
    ratio (1.5 = +150%), None when the event cost nothing (see ``event_roi``)."""

    name: str
    cost: Decimal
    contract_value: Decimal
    roi: Decimal | None


def event_roi(cost: Decimal, contract_value: Decimal) -> Decimal | None:
    """(contract value - cost) ÷ cost, a ratio; None for a free event (cost 0)."""
    if not cost:
        return None
    return (contract_value - cost) / cost


@dataclass(frozen=True, slots=True, eq=False)
class Chart:
    """A figure with its text alternative; the bytes are rendered on demand."""

    figure: Figure
    alt: str

    def render(self, fmt: Format, *, dpi: int = DPI) -> bytes:
        return render(self.figure, fmt, alt=self.alt, dpi=dpi)

    def png(self, *, dpi: int = DPI) -> bytes:
        return self.render("png", dpi=dpi)

    def svg(self) -> bytes:
        return self.render("svg")


def render(figure: Figure, fmt: Format, *, alt: str | None = None, dpi: int = DPI) -> bytes:
    """PNG or SVG bytes of a figure, identical for identical input.

    PNG: ``dpi`` pixels per inch (100 → 640x360 px; 200 for high-density screens), alt text
    in the Description chunk. SVG: text kept as text (searchable, read by screen readers),
    alt text as the <title>, no date and fixed ids.
    """
    buffer = BytesIO()
    if fmt == "png":
        metadata = {"Software": None}
        if alt:
            metadata["Description"] = alt
        figure.savefig(buffer, format="png", dpi=dpi, metadata=metadata)
        return buffer.getvalue()
    if fmt == "svg":
        with _SAVE_LOCK, rc_context(_SAVE_RC):
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        svg = buffer.getvalue()
        if alt:
            # The <title> first child is what assistive technology announces for the image.
            end = svg.index(b">", svg.index(b"<svg")) + 1
            svg = svg[:end] + f"\n <title>{escape(alt)}</title>".encode() + svg[end:]
        return svg
    raise ValueError(f"unknown chart format {fmt!r}: use 'png' or 'svg'")


# --- 1. funnel -----------------------------------------------------------------------------


def funnel_figure(
    stages: Sequence[tuple[str, int]],
    conversions: Sequence[Decimal | float | None],
    *,
    title: str = "Sales funnel",
) -> Figure:
    """Stage counts as horizontal bars, top to bottom, with the conversion between each
    pair of consecutive stages (ratios, None when the upper count is 0) between them.
    All-zero counts draw an empty funnel with its zeros, never a division by zero."""
    _check_conversions(stages, conversions)
    figure, ax = _figure(title)
    if not stages:
        return _no_data(figure, ax)
    counts = [count for _, count in stages]
    top = max(counts)
    xmax = top * 1.3 if top else 1
    rows = range(len(stages))
    ax.barh(rows, counts, height=0.6, color=BLUE)
    for row, count in zip(rows, counts, strict=True):
        ax.text(count + xmax * 0.01, row, f"{count:,}", va="center", fontsize=LABEL_SIZE)
    # x in axes units, y in data units: a column of conversions at the right, between bars.
    between = ax.get_yaxis_transform()
    for row, ratio in enumerate(conversions):
        ax.text(
            0.99,
            row + 0.5,
            f"→ {_percent(ratio)}",
            transform=between,
            ha="right",
            va="center",
            fontsize=LABEL_SIZE,
            color=MUTED,
        )
    ax.set_xlim(0, xmax)
    ax.set_ylim(len(stages) - 0.5, -0.5)
    ax.set_yticks(rows, [_name(name) for name, _ in stages])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Prospects", fontsize=LABEL_SIZE)
    return _laid_out(figure)


def funnel_text(
    stages: Sequence[tuple[str, int]], conversions: Sequence[Decimal | float | None]
) -> str:
    """E.g. "Sales funnel: lead 5, contacted 4. Conversion: lead → contacted 80%."."""
    _check_conversions(stages, conversions)
    if not stages:
        return f"Sales funnel: {NO_DATA.lower()}."
    counts = ", ".join(f"{name} {count:,}" for name, count in stages)
    steps = ", ".join(
        f"{a} → {b} {_percent(ratio, none='no value')}"
        for ((a, _), (b, _)), ratio in zip(pairwise(stages), conversions, strict=True)
    )
    return f"Sales funnel: {counts}." + (f" Conversion: {steps}." if steps else "")


def funnel_chart(
    stages: Sequence[tuple[str, int]],
    conversions: Sequence[Decimal | float | None],
    *,
    title: str = "Sales funnel",
) -> Chart:
    return Chart(funnel_figure(stages, conversions, title=title), funnel_text(stages, conversions))


def _check_conversions(stages: Sequence, conversions: Sequence) -> None:
    if len(conversions) != max(len(stages) - 1, 0):
        raise ValueError(
            f"funnel: {len(stages)} stages need {max(len(stages) - 1, 0)} conversions, "
            f"got {len(conversions)}"
        )


# --- 2. plan attainment ----------------------------------------------------------------------


def attainment_figure(rows: Sequence[AttainmentBar], *, title: str = "Plan attainment") -> Figure:
    """Attainment per metric: achieved up to 100% in blue, the overage beyond 100% in
    orange, the shortfall below 100% hatched grey; a dashed line marks 100%. The axis
    extends to the largest attainment (2.5 → 250%). No target → "no target", no bar."""
    figure, ax = _figure(title)
    if not rows:
        return _no_data(figure, ax)
    ratios = [float(row.attainment) for row in rows if _has_target(row)]
    hi = max([1.0, *ratios])
    xmax = hi * 1.5
    legend: dict[str, Patch | Line2D] = {}
    for y, row in enumerate(rows):
        if not _has_target(row):
            ax.text(
                xmax * 0.01,
                y,
                f"no target · actual {_amount(row.actual)}",
                va="center",
                fontsize=LABEL_SIZE,
                color=MUTED,
                style="italic",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                zorder=4,
            )
            continue
        ratio = float(row.attainment)
        ax.barh(y, min(ratio, 1.0), height=0.6, color=BLUE)
        legend["achieved"] = Patch(color=BLUE, label="achieved")
        if ratio < 1:
            ax.barh(
                y,
                1.0 - ratio,
                left=ratio,
                height=0.6,
                facecolor=SHORTFALL,
                edgecolor=MUTED,
                hatch="///",
                linewidth=0.5,
            )
            legend["short"] = Patch(
                facecolor=SHORTFALL, edgecolor=MUTED, hatch="///", label="short of target"
            )
        elif ratio > 1:
            over = {"facecolor": ORANGE, "edgecolor": INK, "linewidth": 0.6}
            ax.barh(y, ratio - 1.0, left=1.0, height=0.6, **over)
            legend["over"] = Patch(**over, label="over target")
        ax.text(
            max(ratio, 1.0) + xmax * 0.01,
            y,
            f"{_percent(row.attainment)} ({_amount(row.actual)} of {_amount(row.target)})",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax.axvline(1.0, color=INK, linestyle="--", linewidth=1)
    legend["target"] = Line2D([], [], color=INK, linestyle="--", linewidth=1, label="target")
    ax.set_xlim(0, xmax)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), [_name(row.metric) for row in rows])
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        if not _has_target(row):
            tick.set_color(MUTED)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel("Attainment (actual ÷ target)", fontsize=LABEL_SIZE)
    _legend(figure, list(legend.values()))
    return _laid_out(figure)


def attainment_text(rows: Sequence[AttainmentBar]) -> str:
    """E.g. "Plan attainment: contracts 250% (15 of 6, 9 over target); calls no target
    (actual 120)."."""
    if not rows:
        return f"Plan attainment: {NO_DATA.lower()}."
    parts = []
    for row in rows:
        if not _has_target(row):
            parts.append(f"{row.metric} no target (actual {_amount(row.actual)})")
            continue
        overage = row.actual - row.target
        if overage > 0:
            gap = f", {_amount(overage)} over target"
        elif overage < 0:
            gap = f", {_amount(-overage)} short"
        else:
            gap = ", on target"
        parts.append(
            f"{row.metric} {_percent(row.attainment)} "
            f"({_amount(row.actual)} of {_amount(row.target)}{gap})"
        )
    return "Plan attainment: " + "; ".join(parts) + "."


def attainment_chart(rows: Sequence[AttainmentBar], *, title: str = "Plan attainment") -> Chart:
    return Chart(attainment_figure(rows, title=title), attainment_text(rows))


def _has_target(row: AttainmentBar) -> bool:
    return bool(row.target) and row.attainment is not None


# --- 3. activity against the benchmark band ----------------------------------------------


def activity_figure(
    days: Sequence[tuple[date, int]],
    band: tuple[Decimal | None, Decimal | None],
    label: str,
    *,
    title: str = "Held meetings per working day",
) -> Figure:
    """Held meetings per working day as bars, their mean (over the days given) as a line,
    and the benchmark band (low, high) of the sector named ``label`` shaded: high None
    means "at least low" (shaded to the top), (None, None) means no per-day benchmark
    (no band, said so in the legend). Pass every working day of the period, days without
    meetings as 0, so that the mean is SPEC 3.3's meetings per working day."""
    figure, ax = _figure(title)
    if not days:
        return _no_data(figure, ax)
    low, high = band
    dates = [day for day, _ in days]
    counts = [count for _, count in days]
    average = metrics.mean(counts)
    # The bands may lie far above the bars (20 a day); the axis shows them in full.
    top = max(max(counts), float(average), float(low or 0), float(high or 0), 1) * 1.2
    handles: list[Patch | Line2D] = [
        Patch(color=BLUE, label="held meetings"),
    ]
    if low is not None or high is not None:
        shade = ax.axhspan(
            float(low or 0), float(high) if high is not None else top, color=GREEN, alpha=0.18
        )
        shade.set_zorder(0)
        for edge in (low, high):  # the tint alone is too faint to mark the limits
            if edge is not None:
                ax.axhline(float(edge), color=GREEN, linewidth=1, zorder=1)
        handles.append(Patch(color=GREEN, alpha=0.35, label=_escape(_band_label(label, band))))
    else:
        handles.append(Patch(color="none", label=_escape(_band_label(label, band))))
    # Over long periods gaps between bars of about a pixel only add noise.
    half = 0.4 if len(days) <= 60 else 0.5
    # One collection rather than ax.bar's patch per day: 400 days draw in a few ms.
    xs = [float(x) for x in mdates.date2num(dates)]
    bars = [
        [(x - half, 0), (x - half, c), (x + half, c), (x + half, 0)]
        for x, c in zip(xs, counts, strict=True)
    ]
    ax.add_collection(PolyCollection(bars, facecolors=BLUE, linewidths=0, zorder=2))
    ax.xaxis_date()
    margin = 0.5 + (max(xs) - min(xs)) * 0.02
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.axhline(float(average), color=VERMILION, linewidth=1.5, zorder=3)
    handles.insert(
        1, Line2D([], [], color=VERMILION, linewidth=1.5, label=f"mean {_num(average)} a day")
    )
    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Working day", fontsize=LABEL_SIZE)
    ax.set_ylabel("Held meetings", fontsize=LABEL_SIZE)
    _legend(figure, handles)
    return _laid_out(figure)


def activity_text(
    days: Sequence[tuple[date, int]],
    band: tuple[Decimal | None, Decimal | None],
    label: str,
) -> str:
    """E.g. "Held meetings per working day, 2026-11-02 to 2026-11-27 (20 days): 28 in
    total, mean 1.4 a day, most 4 on 2026-11-12. B2B benchmark 1-2 a day: the mean is
    within it."."""
    if not days:
        return f"Held meetings per working day: {NO_DATA.lower()}."
    counts = [count for _, count in days]
    average = metrics.mean(counts)
    most_on, most = max(days, key=lambda day: (day[1], -day[0].toordinal()))
    first, last = min(day for day, _ in days), max(day for day, _ in days)
    span = f"{first.isoformat()} to {last.isoformat()}" if first != last else first.isoformat()
    plural = "s" if len(days) != 1 else ""
    text = (
        f"Held meetings per working day, {span} ({len(days)} day{plural}): "
        f"{sum(counts):,} in total, mean {_num(average)} a day, "
        f"most {most:,} on {most_on.isoformat()}."
    )
    low, high = band
    if low is None and high is None:
        return f"{text} {label} has no per-day benchmark."
    rated = metrics.rating(average, low if low is not None else 0, high)
    where = {"below": "below it", "within": "within it", "above": "above it"}[rated]
    return f"{text} {_band_label(label, band)}: the mean is {where}."


def activity_chart(
    days: Sequence[tuple[date, int]],
    band: tuple[Decimal | None, Decimal | None],
    label: str,
    *,
    title: str = "Held meetings per working day",
) -> Chart:
    return Chart(activity_figure(days, band, label, title=title), activity_text(days, band, label))


def _band_label(label: str, band: tuple[Decimal | None, Decimal | None]) -> str:
    low, high = band
    if low is None and high is None:
        return f"{label}: no per-day benchmark"
    if high is None:
        return f"{label} benchmark at least {_num(low)} a day"
    if low is None:
        return f"{label} benchmark at most {_num(high)} a day"
    return f"{label} benchmark {_num(low)}{EN_DASH}{_num(high)} a day"


# --- 4. call-day / meeting-day alternation -----------------------------------------------------


# Cells are square and laid out in rows of a multiple of 5 (a work week), as many per row
# as fill the plot area about evenly: 20 days → 2 rows of 10, 400 → 14 rows of 30.
_PLOT_PX = (540, 250)  # the axes area of a 640x360 figure, roughly
_MIN_ROW_CELLS = 10
_LETTER_MIN_PT = 6.0  # smaller letters are unreadable: hatch the call days instead
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def alternation_figure(
    days: Sequence[tuple[date, str]], *, title: str = "Call days and meeting days"
) -> Figure:
    """One square cell per active day ("call" or "meeting", SPEC 3.9) in date order, left
    to right and wrapped into rows, each row labelled with its first date; days without
    activity are skipped. Meeting days are blue with an "M", call days orange with a "C";
    when the cells are too small for letters the call days are hatched instead, so the
    type never rests on colour alone."""
    ordered = _kinds(days)
    figure, ax = _figure(title)
    if not ordered:
        return _no_data(figure, ax)
    count = len(ordered)
    width_px, height_px = _PLOT_PX
    per_row = max(_MIN_ROW_CELLS, 5 * ceil(sqrt(count * width_px / height_px) / 5))
    rows = ceil(count / per_row)
    cell_px = min(width_px / per_row, height_px / rows)
    letter_pt = min(12.0, cell_px * 0.5 * 72 / DPI)
    letters = letter_pt >= _LETTER_MIN_PT
    hatch = None if letters else "////"
    cells: dict[str, list[tuple[float, float]]] = {MEETING: [], CALL: []}
    for index, (_, kind) in enumerate(ordered):
        row, column = divmod(index, per_row)
        cells[kind].append((column + 0.5, row + 0.5))
    # One collection per kind: a few draw calls however long the period (400 days ≈ 0.1 s).
    styles = {
        MEETING: {"facecolor": BLUE, "edgecolor": BLUE, "linewidth": 0, "hatch": None},
        CALL: {"facecolor": ORANGE, "edgecolor": INK, "linewidth": 0, "hatch": hatch},
    }
    for kind, centres in cells.items():
        if not centres:
            continue
        ax.add_collection(
            PatchCollection(
                [Rectangle((x - 0.45, y - 0.45), 0.9, 0.9) for x, y in centres],
                **styles[kind],
            )
        )
        if letters:
            xs, ys = zip(*centres, strict=True)
            ax.scatter(
                xs,
                ys,
                marker=r"$\mathbf{M}$" if kind == MEETING else r"$\mathbf{C}$",
                s=letter_pt**2,
                color="white" if kind == MEETING else INK,
                linewidths=0,
            )
    ax.set_xlim(0, per_row)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(length=0)
    ax.set_xticks([])
    ax.set_yticks(
        [row + 0.5 for row in range(rows)],
        [_short_date(ordered[row * per_row][0]) for row in range(rows)],
        fontsize=SMALL_SIZE if cell_px >= 14 else 6,
    )
    ax.set_xlabel("Active days in order (days without calls or meetings skipped)", fontsize=8)
    _legend(
        figure,
        [
            Patch(facecolor=BLUE, label="M  meeting day" if letters else "meeting day"),
            Patch(
                label="C  call day" if letters else "call day (hatched)",
                **{**styles[CALL], "linewidth": 0.3 if hatch else 0},
            ),
        ],
    )
    return _laid_out(figure)


def alternation_text(days: Sequence[tuple[date, str]]) -> str:
    """E.g. "4 active days, 2026-11-02 to 2026-11-05: 2 meeting days and 2 call days
    (meeting-day share 50%); the day type switched 2 times in 3 day-to-day steps
    (alternation 0.67)."."""
    ordered = _kinds(days)
    if not ordered:
        return f"Call days and meeting days: {NO_DATA.lower()}."
    count = len(ordered)
    meeting_days = sum(kind == MEETING for _, kind in ordered)
    first, last = ordered[0][0], ordered[-1][0]
    span = f"{first.isoformat()} to {last.isoformat()}" if count > 1 else first.isoformat()
    text = (
        f"{_count(count, 'active day')}, {span}: {_count(meeting_days, 'meeting day')} and "
        f"{_count(count - meeting_days, 'call day')}"
    )
    if count < 2:
        return f"{text}; alternation needs at least 2 active days."
    switches = sum(a != b for (_, a), (_, b) in pairwise(ordered))
    share = _decimal(Fraction(meeting_days, count))
    alternation = _decimal(Fraction(switches, count - 1))
    return (
        f"{text} (meeting-day share {_percent(share)}); the day type switched "
        f"{_count(switches, 'time')} in {count - 1} day-to-day steps "
        f"(alternation {alternation.quantize(Decimal('0.01'), ROUND_HALF_UP)})."
    )


def alternation_chart(
    days: Sequence[tuple[date, str]], *, title: str = "Call days and meeting days"
) -> Chart:
    return Chart(alternation_figure(days, title=title), alternation_text(days))


def _kinds(days: Sequence[tuple[date, str]]) -> list[tuple[date, str]]:
    for day, kind in days:
        if kind not in (CALL, MEETING):
            raise ValueError(f"alternation: {day} is {kind!r}, not 'call' or 'meeting'")
    return sorted(days)


def _short_date(day: date) -> str:
    """3 Nov 2026, whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# --- 5. events ROI ---------------------------------------------------------------------


def events_roi_figure(rows: Sequence[EventRoiBar], *, title: str = "Return on events") -> Figure:
    """ROI per event as horizontal bars around a zero line: positive in green to the right,
    negative in vermilion to the left; a free event (roi None) is labelled "free"."""
    figure, ax = _figure(title)
    if not rows:
        return _no_data(figure, ax)
    values = [float(row.roi) for row in rows if row.roi is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    left = lo - 0.3 * span if lo < 0 else -0.05 * span
    right = hi + 0.45 * span
    pad = span * 0.01
    for y, row in enumerate(rows):
        if row.roi is None:
            ax.text(
                pad,
                y,
                f"free · contracts {_money(row.contract_value)}",
                va="center",
                fontsize=SMALL_SIZE,
                color=MUTED,
                style="italic",
            )
            continue
        roi = float(row.roi)
        ax.barh(y, roi, height=0.6, color=GREEN if roi >= 0 else VERMILION)
        ax.text(
            roi + pad if roi >= 0 else roi - pad,
            y,
            _percent(row.roi, signed=True),
            ha="left" if roi >= 0 else "right",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax.axvline(0, color=INK, linewidth=1)
    ax.set_xlim(left, right)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), [_name(row.name) for row in rows])
    if len(rows) > 10:
        ax.tick_params(axis="y", labelsize=max(5, LABEL_SIZE - (len(rows) - 10) // 3))
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    ax.set_xlabel(ROI_FORMULA, fontsize=LABEL_SIZE)
    handles = [
        Patch(color=GREEN, label="gain"),
        Patch(color=VERMILION, label="loss"),
    ]
    _legend(figure, handles)
    return _laid_out(figure)


def events_roi_text(rows: Sequence[EventRoiBar]) -> str:
    """E.g. "Return on events (contract value - cost) ÷ cost: Expo +150% (cost 2,000.00,
    contracts 5,000.00); Meetup free (no cost, contracts 0.00)."."""
    if not rows:
        return f"Return on events: {NO_DATA.lower()}."
    parts = []
    for row in rows:
        roi = "free" if row.roi is None else _percent(row.roi, signed=True)
        cost = "no cost" if row.roi is None else f"cost {_money(row.cost)}"
        parts.append(f"{row.name} {roi} ({cost}, contracts {_money(row.contract_value)})")
    return f"Return on events, {ROI_FORMULA}: " + "; ".join(parts) + "."


def events_roi_chart(rows: Sequence[EventRoiBar], *, title: str = "Return on events") -> Chart:
    return Chart(events_roi_figure(rows, title=title), events_roi_text(rows))


# --- shared ----------------------------------------------------------------------------


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.set_title(_escape(title), fontsize=TITLE_SIZE, color=INK, loc="left")
    ax.tick_params(labelsize=LABEL_SIZE, colors=INK)
    ax.spines[["top", "right"]].set_visible(False)
    return figure, ax


def _no_data(figure: Figure, ax: Axes) -> Figure:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        NO_DATA,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=TITLE_SIZE,
        color=MUTED,
    )
    return _laid_out(figure)


def _laid_out(figure: Figure) -> Figure:
    """Lay the figure out once and freeze it: constrained layout starts from the current
    positions on every draw, so a second render (or a PNG then an SVG) would otherwise
    shift things by a fraction of a pixel and the same input would not give the same bytes."""
    figure.get_layout_engine().execute(figure)
    figure.set_layout_engine("none")
    return figure


def _legend(figure: Figure, handles: Sequence[Patch | Line2D]) -> None:
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=SMALL_SIZE,
        frameon=False,
    )


def _escape(text: str) -> str:
    # Two "$" in a label would make matplotlib parse it as mathtext (and maybe fail).
    return text.replace("$", r"\$")


def _name(name: str, limit: int = NAME_LIMIT) -> str:
    name = " ".join(name.split())
    if len(name) > limit:
        name = name[: limit - 1].rstrip() + "…"
    return _escape(name)


def _decimal(value: Decimal | float | Fraction) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))  # as written: 0.45 → 0.45, not 0.450000000000000011…
    return Decimal(value)


def _percent(ratio: Decimal | float | None, *, signed: bool = False, none: str = "—") -> str:
    """A ratio as a whole percentage, half-up: 0.6667 → "67%"; signed: "+150%", "-50%"."""
    if ratio is None:
        return none
    whole = (_decimal(ratio) * 100).quantize(Decimal(1), ROUND_HALF_UP)
    if whole == 0:
        return "0%"
    sign = ("+" if whole > 0 else MINUS) if signed else (MINUS if whole < 0 else "")
    return f"{sign}{abs(whole):,}%"


def _num(value: Decimal | int) -> str:
    """Up to two decimals without trailing zeros: 1.40 → "1.4", 20 → "20"."""
    text = f"{_decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,f}"  # never 2E+1
    return text.rstrip("0").rstrip(".") if "." in text else text


def _amount(value: Decimal) -> str:
    """A count or a sum: 15 → "15", 12500.00 → "12,500", 12500.50 → "12,500.50"."""
    value = _decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _money(value: Decimal) -> str:
    return f"{_decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
