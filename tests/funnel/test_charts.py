"""funnel/charts.py: plain values in, PNG and SVG bytes out; no database.

Each chart is rendered once per format and case (``rendered`` caches the bytes), so the
file stays fast although every case is checked as PNG, as SVG and for its alt text.
Expected alt texts are worked out by hand in the comments next to them.
"""

import ast
import hashlib
import json
import struct
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import imread
from PIL import Image

from funnel import charts
from funnel.charts import AttainmentBar, Chart, EventRoiBar

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MINUS = "\N{MINUS SIGN}"
EN_DASH = "\N{EN DASH}"
LONG_EVENT = "International Conference on Very Long Event Names 2026"
LONG_METRIC = "new_prospects with a very long metric name indeed"


def working_days(start: date, count: int) -> list[date]:
    """``count`` Mon-Fri days from ``start`` on."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


# --- the cases: plain values as the views would pass them ---------------------------------


def spec_funnel() -> Chart:
    """SPEC 3 worked example: reached 5, 4, 3, 2, 1; conversions 4/5, 3/4, 2/3, 1/2."""
    return charts.funnel_chart(
        [("lead", 5), ("contacted", 4), ("meeting", 3), ("proposal", 2), ("contract", 1)],
        [D("0.8"), D("0.75"), D(2) / D(3), D("0.5")],
    )


def zero_funnel() -> Chart:
    stages = [("lead", 0), ("contacted", 0), ("meeting", 0), ("proposal", 0), ("contract", 0)]
    return charts.funnel_chart(stages, [None, None, None, None])


def float_funnel() -> Chart:
    # 9/20 = 0.45 as a float; 0/9 = 0; no one reached meeting, so the later steps are None.
    return charts.funnel_chart(
        [("lead", 20), ("contacted", 9), ("meeting", 0), ("proposal", 0), ("contract", 0)],
        [0.45, 0.0, None, None],
    )


ATTAINMENT_ROWS = [
    AttainmentBar("contracts", D(6), D(15), D("2.5")),
    AttainmentBar("revenue", D("10000.00"), D("6000.00"), D("0.6")),
    AttainmentBar("meetings", D(40), D(40), D(1)),
    AttainmentBar("calls", None, D(120), None),
    AttainmentBar("referrals_asked", D(5), D(0), D(0)),
    AttainmentBar(LONG_METRIC, D(20), D(22), D("1.1")),
]


def attainment() -> Chart:
    return charts.attainment_chart(ATTAINMENT_ROWS)


# Mon 2 to Fri 6 November 2026: 7 held meetings, mean 1.4, most 3 on Thu 5.
WEEK = list(zip(working_days(date(2026, 11, 2), 5), [1, 0, 2, 3, 1], strict=True))
LONG_DAYS = [(day, (n * 7) % 5) for n, day in enumerate(working_days(date(2025, 6, 2), 400))]


def activity_b2b() -> Chart:
    return charts.activity_chart(WEEK, (D(1), D(2)), "B2B")


def activity_goods_400() -> Chart:
    return charts.activity_chart(LONG_DAYS, (D(20), None), "Consumer goods")


def activity_consulting() -> Chart:
    return charts.activity_chart(WEEK, (None, None), "Consulting")


# SPEC 3.9 worked example on Mon 2 - Thu 5 November 2026, given out of order.
SPEC_DAYS = [
    (date(2026, 11, 4), "meeting"),
    (date(2026, 11, 2), "call"),
    (date(2026, 11, 5), "call"),
    (date(2026, 11, 3), "meeting"),
]
ALTERNATING_400 = [
    (day, "meeting" if n % 3 == 0 else "call")
    for n, day in enumerate(working_days(date(2025, 6, 2), 400))
]


def alternation() -> Chart:
    return charts.alternation_chart(SPEC_DAYS)


def alternation_400() -> Chart:
    return charts.alternation_chart(ALTERNATING_400)


EVENT_ROWS = [
    EventRoiBar("Expo", D("2000.00"), D("5000.00"), charts.event_roi(D("2000.00"), D("5000.00"))),
    EventRoiBar("Webinar", D("0.00"), D("1000.00"), charts.event_roi(D("0.00"), D("1000.00"))),
    EventRoiBar("Meetup", D("1000.00"), D("500.00"), charts.event_roi(D("1000.00"), D("500.00"))),
    EventRoiBar(LONG_EVENT, D("3000.00"), D("0.00"), D(-1)),
    EventRoiBar("Deals: $5 to $10 a seat", D("100.00"), D("100.00"), D(0)),
]


def events_roi() -> Chart:
    return charts.events_roi_chart(EVENT_ROWS)


CASES: dict[str, Callable[[], Chart]] = {
    "funnel": spec_funnel,
    "funnel_zero": zero_funnel,
    "funnel_float": float_funnel,
    "attainment": attainment,
    "activity_b2b": activity_b2b,
    "activity_goods_400": activity_goods_400,
    "activity_consulting": activity_consulting,
    "alternation": alternation,
    "alternation_400": alternation_400,
    "events_roi": events_roi,
    "funnel_empty": lambda: charts.funnel_chart([], []),
    "attainment_empty": lambda: charts.attainment_chart([]),
    "activity_empty": lambda: charts.activity_chart([], (D(1), D(2)), "B2B"),
    "alternation_empty": lambda: charts.alternation_chart([]),
    "events_roi_empty": lambda: charts.events_roi_chart([]),
}
EMPTY = [name for name in CASES if name.endswith("_empty")]

# Text the SVG must show for each case (SVG text stays text: svg.fonttype "none").
LABELS: dict[str, list[str]] = {
    "funnel": ["Sales funnel", "lead", "contract", "5", "→ 80%", "→ 75%", "→ 67%", "→ 50%"],
    "funnel_zero": ["lead", "0", "→ —", "Prospects"],
    "funnel_float": ["20", "9", "→ 45%", "→ 0%", "→ —"],
    "attainment": [
        "Plan attainment",
        "contracts",
        "revenue",
        "calls",
        "250% (15 of 6)",
        "60% (6,000 of 10,000)",
        "100% (40 of 40)",
        "0% (0 of 5)",
        "no target · actual 120",
        "new_prospects with a ve…",  # 23 characters and the ellipsis
        "over target",
        "short of target",
        "target",
    ],
    "activity_b2b": [f"B2B benchmark 1{EN_DASH}2 a day", "mean 1.4 a day", "held meetings"],
    "activity_goods_400": ["Consumer goods benchmark at least 20 a day", "mean 2 a day"],
    "activity_consulting": ["Consulting: no per-day benchmark", "mean 1.4 a day"],
    "alternation": ["2 Nov 2026", "M  meeting day", "C  call day"],
    "alternation_400": ["2 Jun 2025", "M  meeting day"],
    "events_roi": [
        "Expo",
        "+150%",
        "free · contracts 1,000.00",
        f"{MINUS}50%",
        f"{MINUS}100%",
        "International Conferenc…",  # 23 characters and the ellipsis
        "Deals: $5 to $10 a seat",  # two "$" shown as such, not parsed as mathtext
        "0%",
    ],
}


@cache
def rendered(name: str, fmt: str) -> bytes:
    return CASES[name]().render(fmt)


@cache
def alt(name: str) -> str:
    return CASES[name]().alt


def png_size(png: bytes) -> tuple[int, int]:
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def distinct_colours(pixels: np.ndarray) -> int:
    """Distinct RGB(A) values of an image as imread returns it (floats in 0..1)."""
    channels = np.rint(pixels * 255).astype(np.uint32)
    packed = np.zeros(channels.shape[:2], dtype=np.uint32)
    for channel in range(channels.shape[-1]):
        packed = (packed << 8) | channels[..., channel]
    return len(np.unique(packed))


def svg_root(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def svg_texts(svg: bytes) -> list[str]:
    return ["".join(node.itertext()) for node in svg_root(svg).iter(f"{SVG}text")]


# --- every case, both formats ----------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_png_is_a_640_by_360_picture_with_something_on_it(name):
    png = rendered(name, "png")

    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (640, 360)
    assert len(png) > 3_000
    pixels = imread(BytesIO(png), format="png")
    assert pixels.shape[:2] == (360, 640)
    assert distinct_colours(pixels) > 10  # antialiased text alone gives dozens; blank gives 1


@pytest.mark.parametrize("name", CASES)
def test_png_carries_the_alt_text(name):
    assert Image.open(BytesIO(rendered(name, "png"))).text["Description"] == alt(name)


@pytest.mark.parametrize("name", CASES)
def test_svg_is_an_svg_document_with_its_alt_text_as_title(name):
    svg = rendered(name, "svg")

    root = svg_root(svg)
    assert root.tag == f"{SVG}svg"
    # 6.4 x 3.6 in at 72 points an inch
    assert (root.get("width"), root.get("height")) == ("460.8pt", "259.2pt")
    assert root.find(f"{SVG}title").text == alt(name)
    assert b"<dc:date>" not in svg  # no timestamp: same input, same bytes


@pytest.mark.parametrize("name", list(LABELS))
def test_svg_shows_the_labels(name):
    texts = svg_texts(rendered(name, "svg"))

    missing = [label for label in LABELS[name] if label not in texts]
    assert not missing, texts


@pytest.mark.parametrize("name", EMPTY)
def test_empty_input_says_there_is_no_data(name):
    assert "No data for this period" in svg_texts(rendered(name, "svg"))
    assert alt(name).endswith(": no data for this period.")


# The five charts on fresh inputs: identical bytes, not only identical pictures. PNG then
# SVG from one figure: a render must not change what the next one draws.
@pytest.mark.parametrize(
    "name", ["funnel", "attainment", "activity_b2b", "alternation", "events_roi"]
)
def test_same_input_gives_the_same_bytes(name):
    chart = CASES[name]()

    assert chart.png() == rendered(name, "png")
    assert chart.svg() == rendered(name, "svg")


def test_same_bytes_in_another_process_and_no_pyplot_nor_django_there():
    # given a fresh interpreter (another hash seed) that imports only the chart module
    script = (
        "import hashlib, json, sys\n"
        "import funnel.charts\n"
        "loaded = sorted(sys.modules)\n"
        "from tests.funnel.test_charts import spec_funnel\n"
        "chart = spec_funnel()\n"
        "print(json.dumps({'loaded': loaded,\n"
        "    'png': hashlib.sha256(chart.png()).hexdigest(),\n"
        "    'svg': hashlib.sha256(chart.svg()).hexdigest()}))\n"
    )
    # when
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MPLBACKEND": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # then
    out = json.loads(result.stdout)
    banned = [
        module
        for module in out["loaded"]
        if module in {"matplotlib.pyplot", "pylab"} or module.split(".")[0] == "django"
    ]
    assert banned == []
    assert out["png"] == hashlib.sha256(rendered("funnel", "png")).hexdigest()
    assert out["svg"] == hashlib.sha256(rendered("funnel", "svg")).hexdigest()


def test_module_source_imports_no_pyplot_no_orm_and_sets_no_backend():
    tree = ast.parse((ROOT / "funnel" / "charts.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }

    assert not {name for name in imported if "pyplot" in name or name == "pylab"}
    assert not {name for name in imported if name.split(".")[0] == "django"}
    assert not {name for name in imported if name.endswith(("models", "selectors"))}
    assert "matplotlib.figure.Figure" in imported
    assert "matplotlib.backends.backend_agg.FigureCanvasAgg" in imported
    assert not called & {"use", "switch_backend"}


def test_svg_render_restores_rc_params_and_is_safe_across_threads():
    # given four requests building and rendering their own chart at the same time
    before = dict(matplotlib.rcParams)
    results: list[tuple[bytes, bytes]] = []

    def request() -> None:
        chart = spec_funnel()
        results.append((chart.svg(), chart.png()))

    threads = [threading.Thread(target=request) for _ in range(4)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert results == [(rendered("funnel", "svg"), rendered("funnel", "png"))] * 4
    assert dict(matplotlib.rcParams) == before


def test_png_at_200_dpi_for_dense_screens():
    png = spec_funnel().png(dpi=200)

    assert png_size(png) == (1280, 720)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown chart format 'gif'"):
        spec_funnel().render("gif")


# --- alt texts: the numbers, worked out by hand -------------------------------------------------


def test_funnel_alt_text_spec_example():
    # 4/5 = 80%, 3/4 = 75%, 2/3 = 66.67% → 67% (half-up), 1/2 = 50%
    assert alt("funnel") == (
        "Sales funnel: lead 5, contacted 4, meeting 3, proposal 2, contract 1. "
        "Conversion: lead → contacted 80%, contacted → meeting 75%, "
        "meeting → proposal 67%, proposal → contract 50%."
    )


def test_funnel_alt_text_with_no_value_conversions():
    # 0.45 (a float, read as written) → 45%; 0/9 → 0%; divisor 0 → no value
    assert alt("funnel_float") == (
        "Sales funnel: lead 20, contacted 9, meeting 0, proposal 0, contract 0. "
        "Conversion: lead → contacted 45%, contacted → meeting 0%, "
        "meeting → proposal no value, proposal → contract no value."
    )


def test_attainment_alt_text():
    # 15/6 = 250%, 15 - 6 = 9 over; 6,000/10,000 = 60%, 4,000 short; 40/40 on target;
    # calls has no target; 0/5 = 0%, 5 short; 22/20 = 110%, 2 over (full name in the alt)
    assert alt("attainment") == (
        "Plan attainment: contracts 250% (15 of 6, 9 over target); "
        "revenue 60% (6,000 of 10,000, 4,000 short); "
        "meetings 100% (40 of 40, on target); "
        "calls no target (actual 120); "
        "referrals_asked 0% (0 of 5, 5 short); "
        f"{LONG_METRIC} 110% (22 of 20, 2 over target)."
    )


def test_activity_alt_text_against_each_kind_of_band():
    # 1 + 0 + 2 + 3 + 1 = 7 over 5 days → mean 1.4; most 3 on Thu 5 November
    numbers = (
        "Held meetings per working day, 2026-11-02 to 2026-11-06 (5 days): "
        "7 in total, mean 1.4 a day, most 3 on 2026-11-05."
    )
    # 1 ≤ 1.4 ≤ 2: within
    assert (
        alt("activity_b2b") == f"{numbers} B2B benchmark 1{EN_DASH}2 a day: the mean is within it."
    )
    # 1.4 < 20, no high: below
    assert charts.activity_text(WEEK, (D(20), None), "Consumer goods") == (
        f"{numbers} Consumer goods benchmark at least 20 a day: the mean is below it."
    )
    assert charts.activity_text(WEEK, (D("0.5"), D(1)), "B2B") == (
        f"{numbers} B2B benchmark 0.5{EN_DASH}1 a day: the mean is above it."
    )
    assert alt("activity_consulting") == f"{numbers} Consulting has no per-day benchmark."


def test_activity_alt_text_over_400_days():
    # counts cycle 0, 2, 4, 1, 3 (7n mod 5): 80 cycles of 10 = 800, mean 2; the first 4
    # is day n = 2, Wed 4 June 2025; 400 working days from Mon 2 June 2025 end on Fri 11
    # December 2026 (80 weeks)
    assert alt("activity_goods_400") == (
        "Held meetings per working day, 2025-06-02 to 2026-12-11 (400 days): "
        "800 in total, mean 2 a day, most 4 on 2025-06-04. "
        "Consumer goods benchmark at least 20 a day: the mean is below it."
    )


def test_alternation_alt_text_spec_example():
    # call, meeting, meeting, call: meeting days 2 of 4 = 50%; 2 switches in 3 steps = 0.67
    assert alt("alternation") == (
        "4 active days, 2026-11-02 to 2026-11-05: 2 meeting days and 2 call days "
        "(meeting-day share 50%); the day type switched 2 times in 3 day-to-day steps "
        "(alternation 0.67)."
    )


def test_alternation_alt_text_below_two_days_and_over_400():
    assert charts.alternation_text([(date(2026, 11, 2), "meeting")]) == (
        "1 active day, 2026-11-02: 1 meeting day and 0 call days; "
        "alternation needs at least 2 active days."
    )
    # meeting on every 3rd day from the 1st: 134 meetings (n = 0, 3, …, 399), 266 calls;
    # every meeting is a switch in and out except the first (no way in) and the last
    # (n = 399, no way out): 2 * 134 - 2 = 266 switches in 399 steps = 0.6667 → 0.67
    assert alt("alternation_400") == (
        "400 active days, 2025-06-02 to 2026-12-11: 134 meeting days and 266 call days "
        "(meeting-day share 34%); the day type switched 266 times in 399 day-to-day steps "
        "(alternation 0.67)."
    )


def test_events_alt_text():
    # (5,000 - 2,000) / 2,000 = +150%; webinar cost 0 → free; (500 - 1,000) / 1,000 = -50%;
    # (0 - 3,000) / 3,000 = -100%; (100 - 100) / 100 = 0%
    assert alt("events_roi") == (
        f"Return on events, ROI = (contract value {MINUS} cost) ÷ cost: "
        "Expo +150% (cost 2,000.00, contracts 5,000.00); "
        "Webinar free (no cost, contracts 1,000.00); "
        f"Meetup {MINUS}50% (cost 1,000.00, contracts 500.00); "
        f"{LONG_EVENT} {MINUS}100% (cost 3,000.00, contracts 0.00); "
        "Deals: $5 to $10 a seat 0% (cost 100.00, contracts 100.00)."
    )


def test_event_roi():
    assert charts.event_roi(D("2000.00"), D("5000.00")) == D("1.5")
    assert charts.event_roi(D("1000.00"), D("500.00")) == D("-0.5")
    assert charts.event_roi(D("0.00"), D("1000.00")) is None


# --- what is drawn (on the Figure, no rendering) ------------------------------------------------


def bars(figure) -> list[tuple[float, float, float, tuple]]:
    """(row, left, width, facecolor) of the horizontal bars of the figure's axes."""
    ax = figure.axes[0]
    return [
        (round(p.get_y() + p.get_height() / 2, 6), p.get_x(), p.get_width(), p.get_facecolor())
        for p in ax.patches
    ]


def test_attainment_draws_overage_and_shortfall_in_their_own_style_and_no_bar_without_target():
    figure = charts.attainment_figure(ATTAINMENT_ROWS)
    ax = figure.axes[0]
    drawn = bars(figure)

    blue, orange = to_rgba(charts.BLUE), to_rgba(charts.ORANGE)
    grey = to_rgba(charts.SHORTFALL)
    # contracts 2.5: blue to 100%, orange overage 100% → 250%
    assert (0, 0, 1.0, blue) in drawn
    assert (0, 1.0, 1.5, orange) in drawn
    # revenue 0.6: blue to 60%, hatched grey shortfall 60% → 100%
    assert (1, 0, 0.6, blue) in drawn
    assert (1, 0.6, pytest.approx(0.4), grey) in drawn
    # meetings 1.0: exactly the target, no overage nor shortfall
    assert [bar for bar in drawn if bar[0] == 2] == [(2, 0, 1.0, blue)]
    # calls: no target, no bar
    assert [bar for bar in drawn if bar[0] == 3] == []
    # referrals 0: an empty blue bar and the whole shortfall
    assert (4, 0, 1.0, grey) in drawn
    assert all(patch.get_hatch() == "///" for patch in ax.patches if patch.get_facecolor() == grey)
    # the axis fits 250% and the 100% reference line is drawn
    assert ax.get_xlim()[1] >= 2.5
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())


def test_attainment_with_a_zero_target_is_no_target():
    figure = charts.attainment_figure([AttainmentBar("calls", D(0), D(3), None)])

    assert bars(figure) == []
    assert "no target · actual 3" in [text.get_text() for text in figure.axes[0].texts]


def test_events_roi_draws_negative_bars_left_of_the_zero_line_and_no_bar_when_free():
    figure = charts.events_roi_figure(EVENT_ROWS)
    ax = figure.axes[0]
    drawn = bars(figure)

    green, vermilion = to_rgba(charts.GREEN), to_rgba(charts.VERMILION)
    assert (0, 0, 1.5, green) in drawn
    assert [bar for bar in drawn if bar[0] == 1] == []  # the free webinar
    assert (2, 0, -0.5, vermilion) in drawn
    assert (3, 0, -1.0, vermilion) in drawn
    assert ax.get_xlim()[0] < -1.0 < 1.5 < ax.get_xlim()[1]
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.get_lines())


def band_rows(figure) -> list[tuple[float, float]]:
    """(bottom, top) in data units of each shaded band of the activity chart."""
    ax = figure.axes[0]
    spans = []
    for patch in ax.patches:
        ys = (patch.get_transform() - ax.transData).transform(patch.get_path().vertices)[:, 1]
        spans.append((round(ys.min(), 6), round(ys.max(), 6)))
    return spans


def test_activity_band_closed_open_ended_and_absent():
    b2b = charts.activity_figure(WEEK, (D(1), D(2)), "B2B")
    goods = charts.activity_figure(WEEK, (D(20), None), "Consumer goods")
    consulting = charts.activity_figure(WEEK, (None, None), "Consulting")

    assert band_rows(b2b) == [(1, 2)]
    # at least 20: shaded from 20 to the top of the axis, which leaves room above 20
    top = goods.axes[0].get_ylim()[1]
    assert top > 20
    assert band_rows(goods) == [(20, round(top, 6))]
    assert band_rows(consulting) == []
    # the mean is drawn as a line at 7 / 5 = 1.4
    assert any(list(line.get_ydata()) == [1.4, 1.4] for line in b2b.axes[0].get_lines())


def test_alternation_letters_while_they_fit_then_hatch():
    def hatched(figure) -> list[str | None]:
        return [c.get_hatch() for c in figure.axes[0].collections if c.get_hatch()]

    four = charts.alternation_figure(SPEC_DAYS)
    long = charts.alternation_figure(ALTERNATING_400)
    longer = charts.alternation_figure(
        [
            (day, "call" if n % 2 else "meeting")
            for n, day in enumerate(working_days(date(2023, 1, 2), 900))
        ]
    )

    # two cell collections and two letter collections (M and C) while letters fit
    assert len(four.axes[0].collections) == 4
    assert len(long.axes[0].collections) == 4
    assert hatched(long) == []
    # 900 days: cells too small for a letter, the call days are hatched instead
    assert len(longer.axes[0].collections) == 2
    assert hatched(longer) == ["////"]
    assert "call day (hatched)" in [t.get_text() for t in longer.legends[0].get_texts()]


# --- refused input --------------------------------------------------------------------


def test_funnel_needs_one_conversion_between_each_pair_of_stages():
    with pytest.raises(ValueError, match="2 stages need 1 conversions, got 2"):
        charts.funnel_figure([("lead", 2), ("contacted", 1)], [D("0.5"), D("0.5")])


def test_alternation_day_is_a_call_or_a_meeting_day():
    with pytest.raises(ValueError, match="'both'"):
        charts.alternation_figure([(date(2026, 11, 2), "both")])
