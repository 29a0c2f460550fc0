"""Time every report over HTTP on the benchmark data set, next to its SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/funnelbook_bench python bench/reports.py

Serves the application in this process on a free port of 127.0.0.1 (Django's threaded
development server, DEBUG off, request log silenced, the database connection kept between
requests), logs in with a token and asks each report over a keep-alive HTTP connection: one
warm-up request, then the median of ``--runs`` requests, from sending the request to reading
the response's last byte. A WSGI wrapper installed here (and nowhere else) counts the SQL
statements run while handling each request, authentication included, and the time they
take, and returns both in response headers.

Each case is also computed by hand-written SQL (``bench/floor.py``: psycopg straight on the
tables, no ORM), timed the same way, its runs interleaved with the HTTP ones: that is the
floor. The SQL's numbers are compared with the response's; any difference is printed as a
MISMATCH with both values, and the exit status is 1. A report whose endpoint answers 404
(not built yet) is skipped with a note. A first row times ``GET /api/me/``, the cost of any
authenticated request, for reading the others.

Prints a markdown table (or JSON with ``--json``): report, scope, period, rows, median HTTP
ms, queries and the SQL time among them, SQL floor ms, HTTP ÷ floor, the targets (at most
10 queries; under 100 ms for a team's month, 250 ms for the company's quarter cohort
funnel, 1 s for the company's month scorecard; at most twice the floor) and the verdict.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
QUERIES_HEADER = "X-Bench-Queries"
SQL_MS_HEADER = "X-Bench-SQL-ms"
MAX_QUERIES = 10
MAX_FLOOR_RATIO = 2
RATIO_TOLERANCE = Fraction(2, 10_000)  # the API rounds ratios to 4 places
GROUPS = ("funnel", "plan", "team-review", "alternation", "events", "scorecard", "suggest")

Json = dict[str, Any]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the Funnelbook reports over HTTP against their SQL floor "
        "(DATABASE_URL: the benchmark database made by bench/generate.py)."
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument(
        "--only", help=f"comma-separated report groups, of: {', '.join(GROUPS)} (default: all)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--admin", default="bench-admin", help="the company-wide login")
    parser.add_argument("--lead", default="bench-lead-01", help="the team-scope login")
    parser.add_argument("--password", default="bench")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    args.groups = _groups(parser, args.only)
    return args


def _groups(parser: argparse.ArgumentParser, only: str | None) -> tuple[str, ...]:
    if not only:
        return GROUPS
    chosen = tuple(name.strip() for name in only.split(",") if name.strip())
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        parser.error(f"unknown report group {', '.join(unknown)}; use {', '.join(GROUPS)}")
    return chosen


# --- set-up ---------------------------------------------------------------------------------


def postgres_url() -> str:
    """DATABASE_URL when it names a PostgreSQL database; exits otherwise."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    engine = dj_database_url.parse(url)["ENGINE"] if url else ""
    if "postgresql" not in engine and "postgis" not in engine:
        sys.exit(
            "Set DATABASE_URL to the PostgreSQL benchmark database, e.g. "
            "postgres://postgres@127.0.0.1:5432/funnelbook_bench (made by bench/generate.py); "
            "the SQL floor and the timings only mean something there."
        )
    return url


def setup_django() -> None:
    """Production-like settings for this process: DEBUG off (so no query log is kept), a
    throw-away secret key unless one is set, connections kept between requests."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CONN_MAX_AGE", "600")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# --- the server -------------------------------------------------------------------------------


class QueryCounter:
    """A database execute wrapper that counts the statements it sees and the time they
    take (the cursors are client-side, so execute returns with the whole result)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class CountQueries:
    """WSGI middleware: runs the application with a query counter on this thread's database
    connection and adds the count and the SQL time to the response headers (start_response
    is called once the view has run, so both are complete)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable):
        from django.db import connection

        counter = QueryCounter()

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            counts = [
                (QUERIES_HEADER, str(counter.count)),
                (SQL_MS_HEADER, f"{counter.seconds * 1000:.3f}"),
            ]
            return start_response(status, [*headers, *counts], exc_info)

        with connection.execute_wrapper(counter):
            return self.app(environ, start)


@contextmanager
def serving() -> Iterator[tuple[str, int]]:
    """The WSGI application on a free port of 127.0.0.1, in a background thread.

    The threaded server gives each TCP connection a thread of its own; with a keep-alive
    client every request goes to the same thread, so the database connection persists
    between requests as it would in a production worker.
    """
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    from config.wsgi import application  # the production entry point, see its docstring

    class QuietHandler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK add ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(CountQueries(application))
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: status, decoded body, the server's query count and SQL time, and the
    milliseconds from sending the request to reading the last byte of the response."""

    status: int
    body: Any
    queries: int
    sql_ms: float
    ms: float


class Client:
    """Token login and GET requests over one keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, password: str) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=300)
        self.connection.connect()
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.password = password
        self.tokens: dict[str, str] = {}

    def close(self) -> None:
        self.connection.close()

    def token(self, username: str) -> str:
        if username not in self.tokens:
            body = json.dumps({"username": username, "password": self.password})
            answer = self._send(
                "POST", "/api/auth/token/", body, {"Content-Type": "application/json"}
            )
            if answer.status != 200:
                sys.exit(f"Cannot log in as {username}: {answer.status} {answer.body}")
            self.tokens[username] = answer.body["token"]
        return self.tokens[username]

    def get(self, username: str, path: str, params: Mapping[str, Any]) -> Answer:
        url = f"{path}?{urlencode(params)}" if params else path
        return self._send("GET", url, None, {"Authorization": f"Token {self.token(username)}"})

    def _send(self, method: str, url: str, body: str | None, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        self.connection.request(method, url, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        ms = (time.perf_counter() - started) * 1000
        kind = response.getheader("Content-Type", "")
        data = json.loads(payload) if "json" in kind else payload.decode(errors="replace")
        queries = int(response.getheader(QUERIES_HEADER, "-1"))
        sql_ms = float(response.getheader(SQL_MS_HEADER, "nan"))
        return Answer(response.status, data, queries, sql_ms, ms)


# --- comparing the API with the SQL ------------------------------------------------------------


def _exact(value: Any) -> Fraction | None:
    """A number of the response or of the SQL as an exact Fraction (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(Decimal(str(value)))


def same(api: Any, sql: Any, tolerance: Fraction = Fraction(0)) -> bool:
    a, b = _exact(api), _exact(sql)
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


class Differences(list[str]):
    """What differs between the response and the SQL, one line each."""

    def compare(self, what: str, api: Any, sql: Any, tolerance: Fraction = Fraction(0)) -> None:
        if not same(api, sql, tolerance):
            self.append(f"{what}: API {api}, SQL {_show(sql)}")

    def compare_keys(self, what: str, api: Iterable, sql: Iterable) -> bool:
        api_keys, sql_keys = set(api), set(sql)
        if api_keys != sql_keys:
            self.append(
                f"{what}: only in API {sorted(api_keys - sql_keys)[:10]}, "
                f"only in SQL {sorted(sql_keys - api_keys)[:10]}"
            )
            return False
        return True


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        return f"{float(value):.6f} ({value})" if value.denominator != 1 else str(value)
    return str(value)


def check_reached(api: Json, sql: dict[str, int]) -> Differences:
    diffs = Differences()
    if api.get("view") != "cohort":
        diffs.append(f"view: API {api.get('view')}, expected cohort")
    for stage, count in sql.items():
        diffs.compare(f"reached[{stage}]", api["reached"].get(stage), count)
    return diffs


def check_entered(api: Json, sql: dict[str, int]) -> Differences:
    diffs = Differences()
    if api.get("view") != "flow":
        diffs.append(f"view: API {api.get('view')}, expected flow")
    for stage, count in sql.items():
        diffs.compare(f"entered[{stage}]", api["entered"].get(stage, 0), count)
    return diffs


def check_plan(api: Json, sql: Mapping[int, Any]) -> Differences:
    """Per manager and metric: actual and target; and the per-metric sums of the actuals."""
    diffs = Differences()
    rows = {row["manager"]: row for row in api["managers"]}
    diffs.compare_keys("managers", rows, sql)
    for manager in rows.keys() & sql.keys():
        mine = sql[manager]
        for metric, values in rows[manager]["metrics"].items():
            diffs.compare(
                f"manager {manager} {metric} actual", values["actual"], mine.actuals[metric]
            )
            diffs.compare(
                f"manager {manager} {metric} target", values["target"], mine.targets[metric]
            )
    for metric in ("contracts", "revenue", "meetings", "calls", "new_prospects", "referrals_asked"):
        api_sum = sum(_exact(row["metrics"][metric]["actual"]) for row in rows.values())
        diffs.compare(f"Σ {metric} actual", api_sum, sum(m.actuals[metric] for m in sql.values()))
    return diffs


def check_team_review(api: Json, sql: Any) -> Differences:
    """Every manager's scorecard and plan, then per manager the slippage counts, the slipped
    prospects (and which are late), and each attention list: its prospects in order with
    their push count, held meetings or idle days, and its total."""
    cards, slips, lists = sql.cards, sql.slips, sql.attention
    diffs = check_scorecard(api, cards)
    diffs.extend(check_plan(api, {manager: card["plan"] for manager, card in cards.items()}))
    for row in api["managers"]:
        manager = row["manager"]
        mine = slips.by_manager.get(manager, {})
        for name in ("slipped_count", "slipped_value", "late_slips", "pulled_in"):
            diffs.compare(f"manager {manager} {name}", row["slippage"][name], mine.get(name, 0))
    slipped = {item["prospect"]: (item["manager"], item["late"]) for item in api["slipped"]}
    if diffs.compare_keys("slipped prospects", slipped, slips.slipped):
        for prospect, (manager, late) in slips.slipped.items():
            if slipped[prospect] != (manager, late):
                diffs.append(
                    f"slipped prospect {prospect} (manager, late): API {slipped[prospect]}, "
                    f"SQL {(manager, late)}"
                )
    for name, key in (
        ("unreliable", "push_count"),
        ("stalled", "held_meetings"),
        ("stale", "days_idle"),
    ):
        shown = [(item["prospect"], item[key]) for item in api[name]]
        if shown != lists.lists[name]:
            diffs.append(f"{name}: API {shown[:5]}…, SQL {lists.lists[name][:5]}…")
        diffs.compare(f"{name}_total", api[f"{name}_total"], lists.totals[name])
    return diffs


def check_alternation(api: Json, sql: Any) -> Differences:
    diffs = Differences()
    rows = {row["manager"]: row for row in api["managers"]}
    diffs.compare_keys("managers", rows, sql.managers)
    for manager in rows.keys() & sql.managers.keys():
        row, mine = rows[manager], sql.managers[manager]
        diffs.compare(f"manager {manager} active_days", row["active_days"], mine.active_days)
        calls = sum(day["calls"] for day in row["days"])
        meetings = sum(day["meetings"] for day in row["days"])
        diffs.compare(f"manager {manager} calls on active days", calls, mine.calls)
        diffs.compare(f"manager {manager} held meetings on active days", meetings, mine.meetings)
        for name in ("alternation", "meeting_day_share"):
            diffs.compare(
                f"manager {manager} {name}", row[name], getattr(mine, name), RATIO_TOLERANCE
            )
    for name in ("alternation", "meeting_day_share"):
        diffs.compare(f"team {name}", api[name], getattr(sql, name), RATIO_TOLERANCE)
    return diffs


def check_events(api: Json, sql: Mapping[int, Json]) -> Differences:
    diffs = Differences()
    rows = {row["event"]: row for row in api["events"]}
    diffs.compare_keys("events", rows, sql)
    for event in rows.keys() & sql.keys():
        for name, value in sql[event].items():
            diffs.compare(f"event {event} {name}", rows[event][name], value)
    return diffs


# Scorecard fields compared when a manager's row has them (anywhere in it): the name in
# the response → (the key of bench.floor.scorecard's card, tolerance). SPEC section 4 names
# the ratios; the counts are those any scorecard shows.
SCORECARD_FIELDS: dict[str, tuple[str, Fraction]] = {
    **{
        name: (name, RATIO_TOLERANCE)
        for name in (
            "win_rate",
            "cycle_days_median",
            "cycle_days_mean",
            "meetings_per_day",
            "calls_per_day",
            "dm_reach",
            "asks_per_contract",
            "referral_conversion",
            "alternation",
            "meeting_day_share",
            "coverage",
        )
    },
    **{
        name: (name, Fraction(0))
        for name in (
            "won",
            "lost",
            "open_now",
            "open_at_start",
            "stalled",
            "stale",
            "active_days",
            "slipped_count",
            "late_slips",
            "pulled_in",
            "remaining_contracts",
            "required_new_prospects",
        )
    },
    "velocity": ("velocity", Fraction(1, 100)),  # money, rounded to cents
    "received": ("referrals_received", Fraction(0)),
    "declined": ("referrals_declined", Fraction(0)),
}


def find_key(data: Any, key: str) -> tuple[bool, Any]:
    """The first value of ``key`` in nested dicts and lists (depth first)."""
    if isinstance(data, dict):
        if key in data:
            return True, data[key]
        items = data.values()
    elif isinstance(data, list):
        items = data
    else:
        return False, None
    for item in items:
        found, value = find_key(item, key)
        if found:
            return True, value
    return False, None


def check_scorecard(api: Json, sql: Mapping[int, Json]) -> Differences:
    """Per manager row (``managers``, keyed by ``manager``): ``reached``, the plan actuals
    under ``metrics``, and every field of ``SCORECARD_FIELDS`` the row has."""
    diffs = Differences()
    rows = {row.get("manager"): row for row in api.get("managers", [])}
    if not diffs.compare_keys("managers", rows, sql):
        return diffs
    for manager, row in rows.items():
        card = sql[manager]
        found, reached = find_key(row, "reached")
        if found:
            for stage, count in card["reached"].items():
                diffs.compare(f"manager {manager} reached[{stage}]", reached.get(stage), count)
        for name, (key, tolerance) in SCORECARD_FIELDS.items():
            found, value = find_key(row, name)
            if found and not isinstance(value, dict | list):
                diffs.compare(f"manager {manager} {name}", value, card[key], tolerance)
        metrics = row.get("metrics")
        if isinstance(metrics, dict):
            for metric, actual in card["actuals"].items():
                if isinstance(metrics.get(metric), dict) and "actual" in metrics[metric]:
                    diffs.compare(
                        f"manager {manager} {metric} actual", metrics[metric]["actual"], actual
                    )
    return diffs


def check_suggest(api: Json, sql: Any) -> Differences:
    """Per plan metric, ``suggested`` against the mean of the manager's last 3 full months
    times 1.1; counts may be rounded to whole numbers, money to cents."""
    diffs = Differences()
    suggested = api.get("suggested")
    if not isinstance(suggested, dict):
        diffs.append("no `suggested` object in the response")
        return diffs
    for metric, expected in sql.own.items():
        tolerance = Fraction(1, 200) if metric == "revenue" else Fraction(1, 2)
        diffs.compare(f"suggested {metric}", suggested.get(metric), expected, tolerance)
    return diffs


# --- the cases ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One report request and the SQL that computes the same numbers."""

    group: str
    report: str
    scope: str
    period: str
    login: str
    path: str
    params: dict[str, Any]
    floor: Callable[[Any], Any]
    check: Callable[[Json, Any], Differences]
    rows: Callable[[Json, Any], str]
    target_ms: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """Who asks (logins), the lead's team, every team, and the plan-suggestion manager with
    the months their suggestion is based on."""

    admin: str
    lead: str
    team: int
    teams: tuple[int, ...]
    suggest_manager: int
    suggest_months: list[date]
    today: date


def month(label: str) -> tuple[date, date]:
    year, number = (int(part) for part in label.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def quarter(label: str) -> tuple[date, date]:
    year, number = int(label[:4]), int(label[-1])
    first, _ = month(f"{year}-{3 * number - 2:02d}")
    _, last = month(f"{year}-{3 * number:02d}")
    return first, last


def build_cases(ctx: Context) -> list[Case]:
    """The benchmark cases: company scopes as the admin, team scopes as the lead."""
    from bench import floor

    def window(teams: tuple[int, ...], bounds: tuple[date, date]) -> floor.Window:
        return floor.Window(teams, *bounds)

    company, team = ctx.teams, (ctx.team,)
    team_label = f"team {ctx.team}"
    q3, october = quarter("2026-Q3"), month("2026-10")
    current_label = f"{ctx.today:%Y-%m}"  # the plan's pace is for the month in progress
    current = month(current_label)
    funnel = "/api/reports/funnel/"
    return [
        Case(
            group="funnel",
            report="funnel cohort",
            scope="company",
            period="2026-Q3",
            login=ctx.admin,
            path=funnel,
            params={"period": "2026-Q3"},
            floor=lambda c: floor.cohort_reached(c, window(company, q3)),
            check=check_reached,
            rows=rows_cohort,
            target_ms=250,
        ),
        Case(
            group="funnel",
            report="funnel cohort",
            scope=team_label,
            period="2026-10",
            login=ctx.lead,
            path=funnel,
            params={"period": "2026-10", "team": ctx.team},
            floor=lambda c: floor.cohort_reached(c, window(team, october)),
            check=check_reached,
            rows=rows_cohort,
            target_ms=100,
        ),
        Case(
            group="funnel",
            report="funnel flow",
            scope="company",
            period="2026-10",
            login=ctx.admin,
            path=funnel,
            params={"period": "2026-10", "view": "flow"},
            floor=lambda c: floor.flow_entered(c, window(company, october)),
            check=check_entered,
            rows=rows_flow,
        ),
        Case(
            group="plan",
            report="plan",
            scope=team_label,
            period="2026-10",
            login=ctx.lead,
            path="/api/reports/plan/",
            params={"period": "2026-10", "team": ctx.team},
            floor=lambda c: floor.plan(c, window(team, october)),
            check=check_plan,
            rows=rows_plan,
            target_ms=100,
        ),
        Case(
            group="plan",
            report="plan",
            scope="company",
            period="2026-10",
            login=ctx.admin,
            path="/api/reports/plan/",
            params={"period": "2026-10"},
            floor=lambda c: floor.plan(c, window(company, october)),
            check=check_plan,
            rows=rows_plan,
        ),
        Case(
            group="plan",
            report="plan (current period)",
            scope=team_label,
            period=current_label,
            login=ctx.lead,
            path="/api/reports/plan/",
            params={"period": current_label, "team": ctx.team},
            floor=lambda c: floor.plan(c, window(team, current)),
            check=check_plan,
            rows=rows_plan,
            target_ms=100,
        ),
        Case(
            group="team-review",
            report="team-review",
            scope=team_label,
            period="2026-10",
            login=ctx.lead,
            path="/api/reports/team-review/",
            params={"period": "2026-10", "team": ctx.team},
            floor=lambda c: floor.review(c, window(team, october), ctx.today),
            check=check_team_review,
            rows=rows_team_review,
            target_ms=100,
        ),
        Case(
            group="alternation",
            report="alternation",
            scope=team_label,
            period="2026-10",
            login=ctx.lead,
            path="/api/reports/alternation/",
            params={"period": "2026-10", "team": ctx.team},
            floor=lambda c: floor.alternation(c, window(team, october)),
            check=check_alternation,
            rows=rows_alternation,
            target_ms=100,
        ),
        Case(
            group="events",
            report="events",
            scope="company",
            period="2026-Q3",
            login=ctx.admin,
            path="/api/reports/events/",
            params={"period": "2026-Q3"},
            floor=lambda c: floor.events(c, window(company, q3), visible_team=None, zone="UTC"),
            check=check_events,
            rows=rows_events,
        ),
        Case(
            group="scorecard",
            report="scorecard",
            scope="company",
            period="2026-10",
            login=ctx.admin,
            path="/api/reports/scorecard/",
            params={"period": "2026-10"},
            floor=lambda c: floor.scorecard(c, window(company, october), ctx.today),
            check=check_scorecard,
            rows=rows_managers,
            target_ms=1000,
        ),
        Case(
            group="scorecard",
            report="scorecard",
            scope=team_label,
            period="2026-10",
            login=ctx.lead,
            path="/api/reports/scorecard/",
            params={"period": "2026-10", "team": ctx.team},
            floor=lambda c: floor.scorecard(c, window(team, october), ctx.today),
            check=check_scorecard,
            rows=rows_managers,
            target_ms=100,
        ),
        Case(
            group="suggest",
            report="plan suggestion",
            scope=f"manager {ctx.suggest_manager}",
            period="2026-12",
            login=ctx.lead,
            path="/api/plans/suggest/",
            params={"manager": ctx.suggest_manager, "period": "2026-12"},
            floor=lambda c: floor.suggest(c, ctx.suggest_manager, ctx.suggest_months),
            check=check_suggest,
            rows=rows_suggest,
            note="from " + ", ".join(f"{m:%Y-%m}" for m in ctx.suggest_months),
        ),
    ]


def rows_cohort(api: Json, sql: dict[str, int]) -> str:
    return f"{api['reached']['lead']:,} prospects in the cohort"


def rows_flow(api: Json, sql: dict[str, int]) -> str:
    return f"{sum(api['entered'].values()):,} first entries"


def rows_plan(api: Json, sql: Mapping[int, Any]) -> str:
    calls = sum(m.actuals["calls"] for m in sql.values())
    meetings = sum(m.actuals["meetings"] for m in sql.values())
    return f"{len(api['managers'])} managers; {calls:,} calls, {meetings:,} held meetings"


def rows_team_review(api: Json, sql: Any) -> str:
    return (
        f"{len(api['managers'])} managers; {len(api['slipped'])} slipped, "
        f"{len(api['unreliable'])} unreliable"
    )


def rows_alternation(api: Json, sql: Any) -> str:
    days = sum(row["active_days"] for row in api["managers"])
    return f"{len(api['managers'])} managers; {days:,} active days"


def rows_events(api: Json, sql: Mapping[int, Json]) -> str:
    sourced = sum(row["prospects_sourced"] for row in sql.values())
    return f"{len(api['events'])} events; {sourced:,} prospects sourced"


def rows_managers(api: Json, sql: Mapping[int, Any]) -> str:
    return f"{len(api.get('managers', []))} managers"


def rows_suggest(api: Json, sql: Any) -> str:
    return f"{len(api.get('suggested') or {})} targets; basis {api.get('basis')}"


# --- measuring ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """One row of the table; ``mismatches`` lists what the API and the SQL disagree on."""

    report: str
    scope: str
    period: str
    rows: str = ""
    http_ms: float | None = None
    queries: int | None = None
    sql_ms: float | None = None
    floor_ms: float | None = None
    ratio: float | None = None
    target: str = ""
    verdict: str = ""
    note: str = ""
    mismatches: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.mismatches) or self.verdict.startswith("ERROR")


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return (time.perf_counter() - started) * 1000, value


def measure(case: Case, client: Client, conn: Any, runs: int) -> Result:
    """Warm up, then ``runs`` HTTP requests and SQL floors, interleaved; compare the last."""
    result = Result(case.report, case.scope, case.period, target=target_text(case))
    first = client.get(case.login, case.path, case.params)
    if first.status == 404:
        result.verdict = "skipped"
        result.note = f"404 {_error_text(first.body)}: not available yet"
        return result
    if first.status != 200:
        result.verdict = f"ERROR {first.status}"
        result.note = _error_text(first.body)
        return result
    case.floor(conn)
    http, orm_sql, floor_ms, queries = [], [], [], set()
    for _ in range(runs):
        answer = client.get(case.login, case.path, case.params)
        if answer.status != 200:
            result.verdict = f"ERROR {answer.status}"
            result.note = _error_text(answer.body)
            return result
        http.append(answer.ms)
        orm_sql.append(answer.sql_ms)
        queries.add(answer.queries)
        ms, floor_value = _timed(lambda: case.floor(conn))
        floor_ms.append(ms)
    result.http_ms = statistics.median(http)
    result.sql_ms = statistics.median(orm_sql)
    result.floor_ms = statistics.median(floor_ms)
    result.ratio = result.http_ms / result.floor_ms if result.floor_ms else None
    result.queries = max(queries)
    notes = [case.note] if case.note else []
    if len(queries) > 1:
        notes.append(f"queries varied: {sorted(queries)}")
    result.note = "; ".join(notes)
    result.rows = case.rows(answer.body, floor_value)
    result.mismatches = list(case.check(answer.body, floor_value))
    result.verdict = verdict(case, result)
    return result


def _error_text(body: Any) -> str:
    """The ``detail`` of a JSON error, else the start of the page, on one line."""
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    if isinstance(body, str) and "<title>" in body:
        return body.split("<title>", 1)[1].split("</title>", 1)[0].strip()
    return " ".join(str(body).split())[:120]


def baseline(client: Client, login: str, runs: int) -> Result:
    """``GET /api/me/``: what any authenticated request costs (HTTP, authentication, DRF,
    JSON), for reading the report times; it has no floor and no target."""
    result = Result("baseline: /api/me/", "own user", "—", verdict="reference")
    client.get(login, "/api/me/", {})
    answers = [client.get(login, "/api/me/", {}) for _ in range(runs)]
    result.http_ms = statistics.median(a.ms for a in answers)
    result.sql_ms = statistics.median(a.sql_ms for a in answers)
    result.queries = max(a.queries for a in answers)
    return result


def target_text(case: Case) -> str:
    parts = [f"≤{MAX_QUERIES} q", f"≤{MAX_FLOOR_RATIO}x floor"]
    if case.target_ms is not None:
        parts.insert(0, f"<{case.target_ms:,.0f} ms")
    return ", ".join(parts)


def verdict(case: Case, result: Result) -> str:
    if result.mismatches:
        return "MISMATCH"
    misses = []
    if case.target_ms is not None and result.http_ms >= case.target_ms:
        misses.append("slow")
    if result.queries > MAX_QUERIES:
        misses.append("queries")
    if result.ratio is not None and result.ratio > MAX_FLOOR_RATIO:
        misses.append(f"> {MAX_FLOOR_RATIO}x floor")
    return "ok" if not misses else "miss: " + ", ".join(misses)


# --- output -------------------------------------------------------------------------------------

COLUMNS = (
    "report",
    "scope",
    "period",
    "rows",
    "median ms (HTTP)",
    "queries",
    "of which SQL ms",
    "SQL floor ms",
    "ratio",
    "target",
    "verdict",
)


def _cells(result: Result) -> list[str]:
    def number(value: float | None, places: int = 1) -> str:
        return "—" if value is None else f"{value:,.{places}f}"

    verdict = result.verdict + (f" ({result.note})" if result.note else "")
    return [
        result.report,
        result.scope,
        result.period,
        result.rows or "—",
        number(result.http_ms),
        "—" if result.queries is None else str(result.queries),
        number(result.sql_ms),
        number(result.floor_ms),
        "—" if result.ratio is None else f"{result.ratio:.2f}x",
        result.target,
        verdict,
    ]


def markdown(results: list[Result]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(result)) + " |" for result in results]
    return "\n".join(lines)


def print_mismatches(results: list[Result], limit: int = 20) -> None:
    for result in results:
        if not result.mismatches:
            continue
        print(
            f"\n!!! MISMATCH: {result.report}, {result.scope}, {result.period}: "
            f"{len(result.mismatches)} difference(s) between the API and the SQL floor",
            file=sys.stderr,
        )
        for line in result.mismatches[:limit]:
            print(f"!!!   {line}", file=sys.stderr)
        if len(result.mismatches) > limit:
            print(f"!!!   … and {len(result.mismatches) - limit} more", file=sys.stderr)


# --- main ---------------------------------------------------------------------------------------


def context(conn: Any, args: argparse.Namespace) -> Context:
    """The lead's team, all teams, and the manager whose plan is suggested: the first of the
    lead's team (by username) hired before the months the suggestion is based on."""
    from django.utils import timezone

    from bench import floor

    today = timezone.localdate()
    months = floor.suggestion_months(date(2026, 12, 1), today)
    if not conn.execute("SELECT EXISTS (SELECT FROM crm_call)").fetchone()[0]:
        sys.exit("The database holds no calls: load it first with bench/generate.py.")
    row = conn.execute(
        "SELECT p.team_id FROM auth_user u JOIN crm_profile p ON p.user_id = u.id "
        "WHERE u.username = %s AND p.role = 'lead'",
        [args.lead],
    ).fetchone()
    if row is None:
        sys.exit(f"No lead {args.lead} in this database.")
    team = row[0]
    teams = tuple(t for (t,) in conn.execute("SELECT id FROM crm_team ORDER BY id"))
    manager = conn.execute(
        "SELECT u.id FROM auth_user u JOIN crm_profile p ON p.user_id = u.id "
        "WHERE p.team_id = %s AND p.role = 'manager' "
        "AND (p.hired_on IS NULL OR p.hired_on <= %s) ORDER BY u.username LIMIT 1",
        [team, months[0]],
    ).fetchone()[0]
    return Context(args.admin, args.lead, team, teams, manager, months, today)


def run(args: argparse.Namespace, url: str) -> tuple[list[Result], dict[str, Any]]:
    from django.conf import settings

    from bench import floor

    options = settings.DATABASES["default"].get("OPTIONS", {}).get("options")
    with floor.connect(url, options=options) as conn:
        ctx = context(conn, args)
        jit = conn.execute("SHOW jit").fetchone()[0]
        page_cost = conn.execute("SHOW random_page_cost").fetchone()[0]
        work_mem = conn.execute("SHOW work_mem").fetchone()[0]
        cases = [case for case in build_cases(ctx) if case.group in args.groups]
        with serving() as (host, port):
            client = Client(host, port, args.password)
            try:
                results = [baseline(client, ctx.lead, args.runs)]
                results += [measure(case, client, conn, args.runs) for case in cases]
            finally:
                client.close()
    meta = {
        "runs": args.runs,
        "today": ctx.today.isoformat(),
        "jit": jit,
        "random_page_cost": page_cost,
        "work_mem": work_mem,
        "server_side_binding": bool(
            settings.DATABASES["default"].get("OPTIONS", {}).get("server_side_binding")
        ),
        "team": ctx.team,
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }
    return results, meta


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = postgres_url()
    setup_django()
    results, meta = run(args, url)
    if args.json:
        print(
            json.dumps(
                {"meta": meta, "results": [asdict(r) for r in results]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(
            f"Median of {meta['runs']} runs after a warm-up; queries include authentication; "
            f"PostgreSQL jit={meta['jit']}, random_page_cost={meta['random_page_cost']}, "
            f"work_mem={meta['work_mem']}, "
            f"parameters bound on the {'server' if meta['server_side_binding'] else 'client'}; "
            f"today {meta['today']}; load average "
            f"{', '.join(map(str, meta['load_average']))} (1, 5, 15 min)."
        )
        print()
        print(markdown(results))
    print_mismatches(results)
    return 1 if any(result.failed for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
