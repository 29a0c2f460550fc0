"""The SQL floor of the report benchmarks: the numbers each report shows, computed with
hand-written SQL straight on the tables (psycopg, no ORM, no application code).

Every function takes an open connection and a ``Window`` (the teams of the scope, optionally
one manager, and the period's first and last day) and returns plain values that
``bench/reports.py`` compares with the API response and times. The definitions are those
of SPEC section 3, written here a second time, independently of ``funnel.selectors``:

- a day is a calendar day in the team's time zone (``crm_team.timezone``): the period of a
  team is ``[start 00:00, end + 1 00:00)`` local, turned into instants with ``AT TIME ZONE``;
- the members of a scope are the users whose ``crm_profile.team_id`` is one of its teams
  (records are owned by any member; per-manager rows list the ``manager`` role only);
- working days (alternation, late slips) come from the team's work week and the ``holidays``
  package for its country, as SPEC defines them; that post-processing is in Python, on the
  small result of one query.

Each query is the fastest straightforward SQL for its numbers: one pass per source table,
driven by the indexes the models declare, with the per-team time windows in a ``members`` CTE.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import holidays
import psycopg

FUNNEL = ("lead", "contacted", "meeting", "proposal", "contract")
OPEN = ("lead", "contacted", "meeting", "proposal")
PLAN_METRICS = ("contracts", "revenue", "meetings", "calls", "new_prospects", "referrals_asked")
LATE_WORKING_DAYS = 5  # SPEC 3.5: a late slip is dated in the last 5 working days of P
UNRELIABLE_PUSHES = 3  # SPEC 3.5: open prospects pushed 3 times or more
STALLED_MEETINGS = 3  # SPEC 3.6: open, 3+ held meetings, none with a decision maker
MIN_OWN_COHORT = 20  # SPEC 3.10: the manager's own rate needs a cohort of 20
COVERAGE_MONTHS = 6  # SPEC 3.10: the 6 full months before the period
SUGGESTION_PERIODS = 3  # SPEC 3.11: the last 3 full periods
GROWTH = Fraction(11, 10)  # SPEC 3.11: default growth 10%
DEFAULT_ROTTING_DAYS = 14


@dataclass(frozen=True, slots=True)
class Window:
    """A report's scope (its teams, optionally one manager) and period (both days inclusive)."""

    teams: tuple[int, ...]
    start: date
    end: date
    manager: int | None = None

    def params(self, **extra: Any) -> dict[str, Any]:
        return {
            "teams": list(self.teams),
            "manager": self.manager,
            "start": self.start,
            "end": self.end,
            "funnel": list(FUNNEL),
            "open": list(OPEN),
            **extra,
        }


def connect(url: str, *, options: str | None = None) -> psycopg.Connection:
    """An autocommit connection that binds parameters on the server and never prepares
    statements, as the application's do, so every execution pays for its planning like a
    report does. ``options`` are the server settings of the application's connections
    (``-c jit=off …``), so that both are planned alike."""
    import dj_database_url

    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname=config["NAME"],
        autocommit=True,
        prepare_threshold=None,
        **({"options": options} if options else {}),
    )


# --- scope --------------------------------------------------------------------------------

# Members of the scope's teams with their team's time window of the period. Materialized, so
# that the windows are computed once and each table is reached through its index.
_MEMBERS = """
members AS MATERIALIZED (
    SELECT p.user_id, p.team_id, p.role, t.timezone,
           %(start)s::timestamp AT TIME ZONE t.timezone AS lo,
           (%(end)s::date + 1)::timestamp AT TIME ZONE t.timezone AS hi
    FROM crm_profile p
    JOIN crm_team t ON t.id = p.team_id
    WHERE p.team_id = ANY(%(teams)s::bigint[])
      AND (%(manager)s::integer IS NULL OR p.user_id = %(manager)s::integer)
),
managers AS MATERIALIZED (SELECT * FROM members WHERE role = 'manager')"""


def _rows(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


# --- SPEC 3.1 funnels -----------------------------------------------------------------------

_COHORT = f"""
WITH {_MEMBERS},
furthest AS (
    SELECT max(array_position(%(funnel)s::text[], sc.to_stage::text)) AS rank
    FROM members s
    JOIN crm_prospect pr
      ON pr.owner_id = s.user_id AND pr.created_at >= s.lo AND pr.created_at < s.hi
    JOIN crm_stagechange sc
      ON sc.prospect_id = pr.id AND sc.changed_at >= (SELECT min(lo) FROM members)
    GROUP BY pr.id
)
SELECT {", ".join(f"count(*) FILTER (WHERE rank >= {n})" for n in range(1, 6))}
FROM furthest
"""


def cohort_reached(conn: psycopg.Connection, window: Window) -> dict[str, int]:
    """Cohort (prospects created in the period) per furthest funnel stage ever entered:
    reached(s) = those whose furthest stage is s or later (``lost`` is no stage)."""
    (row,) = _rows(conn, _COHORT, window.params())
    return dict(zip(FUNNEL, row, strict=True))


_FLOW = f"""
WITH {_MEMBERS}
SELECT sc.to_stage, count(DISTINCT sc.prospect_id)
FROM members s
JOIN crm_prospect pr ON pr.owner_id = s.user_id
JOIN crm_stagechange sc ON sc.prospect_id = pr.id
WHERE sc.to_stage = ANY(%(funnel)s::text[])
  AND sc.changed_at >= s.lo AND sc.changed_at < s.hi
  AND sc.changed_at >= (SELECT min(lo) FROM members)
  AND sc.changed_at < (SELECT max(hi) FROM members)
  AND NOT EXISTS (
      SELECT FROM crm_stagechange e
      WHERE e.prospect_id = sc.prospect_id AND e.to_stage = sc.to_stage
        AND e.changed_at < sc.changed_at
  )
GROUP BY sc.to_stage
"""


def flow_entered(conn: psycopg.Connection, window: Window) -> dict[str, int]:
    """Prospects of the scope that entered each stage for the first time in the period."""
    entered = dict.fromkeys(FUNNEL, 0)
    entered.update(_rows(conn, _FLOW, window.params()))
    return entered


# --- SPEC 3.4 plan actuals and targets ------------------------------------------------------

_PLAN = f"""
WITH {_MEMBERS},
targets AS (
    SELECT pl.manager_id AS id,
           {", ".join(f"round(sum(pl.{m} * share), 2) AS {m}" for m in PLAN_METRICS)}
    FROM managers s
    JOIN funnel_plan pl
      ON pl.manager_id = s.user_id AND pl.start <= %(end)s AND pl."end" >= %(start)s
    CROSS JOIN LATERAL (
        SELECT (least(pl."end", %(end)s) - greatest(pl.start, %(start)s) + 1)::numeric
               / (pl."end" - pl.start + 1) AS share
    ) f
    GROUP BY 1
)
SELECT s.user_id, u.username, s.team_id,
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.signed_on BETWEEN %(start)s AND %(end)s),
       (SELECT coalesce(sum(pr.contract_value), 0) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.signed_on BETWEEN %(start)s AND %(end)s),
       (SELECT count(*) FROM crm_meeting m
        WHERE m.manager_id = s.user_id AND m.starts_at >= s.lo AND m.starts_at < s.hi
          AND m.status = 'held'),
       (SELECT count(*) FROM crm_call c
        WHERE c.manager_id = s.user_id AND c.at >= s.lo AND c.at < s.hi),
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.created_at >= s.lo AND pr.created_at < s.hi),
       (SELECT count(*) FROM crm_referral r
        WHERE r.manager_id = s.user_id AND r.asked_on BETWEEN %(start)s AND %(end)s),
       {", ".join(f"targets.{m}" for m in PLAN_METRICS)}
FROM managers s
JOIN auth_user u ON u.id = s.user_id
LEFT JOIN targets ON targets.id = s.user_id
ORDER BY u.username
"""


@dataclass(frozen=True, slots=True)
class ManagerPlan:
    """One manager's six actuals and targets (None when no plan sets the metric)."""

    username: str
    team: int
    actuals: dict[str, Decimal | int]
    targets: dict[str, Decimal | None]


def plan(conn: psycopg.Connection, window: Window) -> dict[int, ManagerPlan]:
    """Per manager of the scope: contracts (signed_on in the period), revenue (their contract
    values), held meetings and calls in the period, prospects created, referrals asked; and
    the targets of the plans overlapping the period, pro rata to the days inside it."""
    managers = {}
    for row in _rows(conn, _PLAN, window.params()):
        manager, username, team = row[:3]
        managers[manager] = ManagerPlan(
            username=username,
            team=team,
            actuals=dict(zip(PLAN_METRICS, row[3:9], strict=True)),
            targets=dict(zip(PLAN_METRICS, row[9:15], strict=True)),
        )
    return managers


# --- working days ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year)) if country else frozenset()


def is_working_day(day: date, work_week: str, country: str) -> bool:
    """A day of the team's work week (ISO weekday digits) that is no public holiday."""
    return str(day.isoweekday()) in work_week and day not in _holidays(country, day.year)


def working_days(first: date, last: date, work_week: str, country: str) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if is_working_day(day, work_week, country)]


def elapsed_working_days(window: Window, today: date, work_week: str, country: str) -> int:
    """Working days of the period up to and including today (all of a past period)."""
    if today < window.start:
        return 0
    return len(working_days(window.start, min(window.end, today), work_week, country))


_TEAMS = """
SELECT t.id, t.work_week, t.holiday_country, t.timezone FROM crm_team t
WHERE t.id = ANY(%(teams)s::bigint[])
"""


def late_slip_start(conn: psycopg.Connection, window: Window) -> dict[int, date | None]:
    """Per team: the first of the period's last 5 working days (None without working day)."""
    starts = {}
    for team, work_week, country, _ in _rows(conn, _TEAMS, window.params()):
        days = working_days(window.start, window.end, work_week, country)
        starts[team] = days[-LATE_WORKING_DAYS:][0] if days else None
    return starts


# --- SPEC 3.5 slippage ------------------------------------------------------------------------

_SLIPPED = f"""
WITH {_MEMBERS},
slips AS (
    SELECT cd.prospect_id, cd.owner_id, s.team_id, s.timezone, s.hi,
           max(cd.changed_at) AS slip_at
    FROM members s
    JOIN crm_closedatechange cd ON cd.owner_id = s.user_id
    WHERE cd.changed_at >= s.lo AND cd.changed_at < s.hi
      AND cd.from_date BETWEEN %(start)s AND %(end)s AND cd.to_date > %(end)s
    GROUP BY 1, 2, 3, 4, 5
)
SELECT sl.prospect_id, sl.owner_id, sl.team_id, pr.expected_value,
       (sl.slip_at AT TIME ZONE sl.timezone)::date
FROM slips sl
JOIN crm_prospect pr ON pr.id = sl.prospect_id
WHERE (SELECT sc.to_stage FROM crm_stagechange sc
       WHERE sc.prospect_id = sl.prospect_id AND sc.changed_at < sl.hi
       ORDER BY sc.changed_at DESC, sc.id DESC LIMIT 1) = ANY(%(open)s::text[])
  AND (SELECT cd.to_date FROM crm_closedatechange cd
       WHERE cd.prospect_id = sl.prospect_id AND cd.changed_at < sl.hi
       ORDER BY cd.changed_at DESC, cd.id DESC LIMIT 1) > %(end)s
"""

_PULLED_IN = f"""
WITH {_MEMBERS}
SELECT cd.owner_id, count(*)
FROM members s
JOIN crm_closedatechange cd ON cd.owner_id = s.user_id
WHERE cd.changed_at >= s.lo AND cd.changed_at < s.hi
  AND cd.from_date > %(end)s AND cd.to_date BETWEEN %(start)s AND %(end)s
GROUP BY 1
"""


@dataclass(frozen=True, slots=True)
class Slippage:
    """Per manager: slipped count and value, late slips, pull-ins; per prospect: the slipped
    ones (their manager and whether late)."""

    by_manager: dict[int, dict[str, Any]]
    slipped: dict[int, tuple[int, bool]]


def slippage(conn: psycopg.Connection, window: Window) -> Slippage:
    """SPEC 3.5. Slipped: a change made during P moved the close date from inside P to after
    P, and at P's end (the last stage and close-date changes before it) the prospect was open
    with its close date after P; late when the last such change is in the team's last 5
    working days of P. Pulled in: changes during P from after P into P. (Unreliable close
    dates are one of the attention lists, ``attention``.)"""
    params = window.params()
    late_from = late_slip_start(conn, window)
    by_manager: dict[int, dict[str, Any]] = {}
    slipped = {}
    for prospect, owner, team, value, day in _rows(conn, _SLIPPED, params):
        start = late_from[team]
        late = start is not None and day >= start
        slipped[prospect] = (owner, late)
        mine = by_manager.setdefault(owner, _no_slips())
        mine["slipped_count"] += 1
        mine["slipped_value"] += value or 0
        mine["late_slips"] += late
    for owner, pulled in _rows(conn, _PULLED_IN, params):
        by_manager.setdefault(owner, _no_slips())["pulled_in"] = pulled
    return Slippage(by_manager, slipped)


def _no_slips() -> dict[str, Any]:
    return {"slipped_count": 0, "slipped_value": Decimal(0), "late_slips": 0, "pulled_in": 0}


# --- SPEC 3.9 alternation ----------------------------------------------------------------------

_DAILY = f"""
WITH {_MEMBERS},
days AS (
    SELECT c.manager_id, (c.at AT TIME ZONE s.timezone)::date AS day,
           count(*) AS calls, 0 AS meetings
    FROM managers s
    JOIN crm_call c ON c.manager_id = s.user_id AND c.at >= s.lo AND c.at < s.hi
    GROUP BY 1, 2
    UNION ALL
    SELECT m.manager_id, (m.starts_at AT TIME ZONE s.timezone)::date, 0, count(*)
    FROM managers s
    JOIN crm_meeting m
      ON m.manager_id = s.user_id AND m.starts_at >= s.lo AND m.starts_at < s.hi
    WHERE m.status = 'held'
    GROUP BY 1, 2
)
SELECT s.user_id, t.work_week, t.holiday_country, d.day, sum(d.calls), sum(d.meetings)
FROM managers s
JOIN crm_team t ON t.id = s.team_id
LEFT JOIN days d ON d.manager_id = s.user_id
GROUP BY 1, 2, 3, 4
ORDER BY 1, 4
"""


@dataclass(frozen=True, slots=True)
class ManagerAlternation:
    """Calls and held meetings over the period's working days, and SPEC 3.9 on them."""

    active_days: int
    calls: int  # on working days only
    meetings: int
    alternation: Fraction | None
    meeting_day_share: Fraction | None


def daily_activity(
    conn: psycopg.Connection, window: Window
) -> dict[int, list[tuple[date, int, int]]]:
    """Per manager of the scope: (day, calls, held meetings) of each active working day."""
    days: dict[int, list[tuple[date, int, int]]] = {}
    for manager, work_week, country, day, calls, meetings in _rows(conn, _DAILY, window.params()):
        mine = days.setdefault(manager, [])
        if day is not None and is_working_day(day, work_week, country):
            mine.append((day, int(calls), int(meetings)))
    return days


def alternation_of(days: Sequence[tuple[date, int, int]]) -> ManagerAlternation:
    """Meeting day when meetings ≥ calls (share ≥ 0.5); switches ÷ (active days - 1) and
    meeting days ÷ active days, None below 2 active days."""
    kinds = [meetings >= calls for _, calls, meetings in days]
    active = len(kinds)
    calls = sum(c for _, c, _ in days)
    meetings = sum(m for _, _, m in days)
    if active < 2:
        return ManagerAlternation(active, calls, meetings, None, None)
    switches = sum(a != b for a, b in pairwise(kinds))
    return ManagerAlternation(
        active, calls, meetings, Fraction(switches, active - 1), Fraction(sum(kinds), active)
    )


@dataclass(frozen=True, slots=True)
class TeamAlternation:
    managers: dict[int, ManagerAlternation]
    alternation: Fraction | None  # mean over the managers with a value
    meeting_day_share: Fraction | None


def alternation(conn: psycopg.Connection, window: Window) -> TeamAlternation:
    """SPEC 3.9 per manager of the scope, and the means over those with a value."""
    managers = {m: alternation_of(days) for m, days in daily_activity(conn, window).items()}
    return TeamAlternation(
        managers,
        _mean(m.alternation for m in managers.values()),
        _mean(m.meeting_day_share for m in managers.values()),
    )


def _mean(values: Iterable[Fraction | None]) -> Fraction | None:
    present = [v for v in values if v is not None]
    return sum(present, Fraction(0)) / len(present) if present else None


# --- SPEC 3.8 events ----------------------------------------------------------------------------

_EVENTS = f"""
WITH {_MEMBERS},
ev AS (
    SELECT e.id, e.cost
    FROM events_event e
    LEFT JOIN crm_team et ON et.id = e.team_id
    WHERE e.starts_at >= %(start)s::timestamp AT TIME ZONE coalesce(et.timezone, %(zone)s)
      AND e.starts_at < (%(end)s::date + 1)::timestamp AT TIME ZONE coalesce(et.timezone, %(zone)s)
      AND (%(visible_team)s::bigint IS NULL OR e.team_id IS NULL
           OR e.team_id = %(visible_team)s::bigint)
),
attended AS (
    SELECT a.event_id, count(*) AS n
    FROM ev JOIN events_eventattendance a ON a.event_id = ev.id AND a.status = 'attended'
    JOIN members s ON s.user_id = a.manager_id
    GROUP BY 1
),
sourced AS (
    SELECT pr.source_event_id AS event_id, count(*) AS n,
           count(pr.signed_on) AS contracts,
           coalesce(sum(pr.contract_value) FILTER (WHERE pr.signed_on IS NOT NULL), 0) AS revenue
    FROM ev JOIN crm_prospect pr ON pr.source_event_id = ev.id
    JOIN members s ON s.user_id = pr.owner_id
    GROUP BY 1
),
held AS (
    SELECT pr.source_event_id AS event_id, count(*) AS n
    FROM ev JOIN crm_prospect pr ON pr.source_event_id = ev.id
    JOIN members s ON s.user_id = pr.owner_id
    JOIN crm_meeting m ON m.prospect_id = pr.id AND m.status = 'held'
    GROUP BY 1
)
SELECT ev.id, ev.cost, coalesce(attended.n, 0), coalesce(sourced.n, 0), coalesce(held.n, 0),
       coalesce(sourced.contracts, 0), coalesce(sourced.revenue, 0)
FROM ev
LEFT JOIN attended ON attended.event_id = ev.id
LEFT JOIN sourced ON sourced.event_id = ev.id
LEFT JOIN held ON held.event_id = ev.id
"""

EVENT_FIELDS = (
    "cost",
    "managers_attended",
    "prospects_sourced",
    "held_meetings",
    "contracts",
    "revenue",
)


def events(
    conn: psycopg.Connection, window: Window, *, visible_team: int | None, zone: str
) -> dict[int, dict[str, Any]]:
    """SPEC 3.8: events starting in the period (on the calendar of the event's team, else of
    ``zone``: the scope's team, or UTC for the company) that the caller may see (every event,
    or company-wide ones and ``visible_team``'s); per event, up to now: scope managers who
    attended, scope prospects sourced there, held meetings with them, their contracts and
    revenue, cost per prospect and per contract (None for a count of 0)."""
    rows = _rows(conn, _EVENTS, window.params(visible_team=visible_team, zone=zone))
    result = {}
    for event, *values in rows:
        row = dict(zip(EVENT_FIELDS, values, strict=True))
        row["cost_per_prospect"] = _money_per(row["cost"], row["prospects_sourced"])
        row["cost_per_contract"] = _money_per(row["cost"], row["contracts"])
        result[event] = row
    return result


def _money_per(cost: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (cost / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- scorecard: every per-manager metric of SPEC 3 -------------------------------------------

# SPEC 3.1 and 3.7: each manager's cohort by furthest stage, and its referred part.
_CARD_COHORT = f"""
WITH {_MEMBERS},
furthest AS (
    SELECT pr.owner_id, pr.source,
           max(array_position(%(funnel)s::text[], sc.to_stage::text)) AS rank
    FROM managers s
    JOIN crm_prospect pr
      ON pr.owner_id = s.user_id AND pr.created_at >= s.lo AND pr.created_at < s.hi
    JOIN crm_stagechange sc
      ON sc.prospect_id = pr.id AND sc.changed_at >= (SELECT min(lo) FROM managers)
    GROUP BY pr.id
)
SELECT owner_id,
       {", ".join(f"count(*) FILTER (WHERE rank >= {n})" for n in range(1, 6))},
       count(*) FILTER (WHERE source = 'referral'),
       count(*) FILTER (WHERE source = 'referral' AND rank = 5)
FROM furthest
GROUP BY 1
"""

# SPEC 3.2 and 3.10: lost in the period, the cycles of the won ones (local days from creation
# to signing), open prospects now and at the period's start (the last stage change before it
# is no contract or loss; contract is final, a loss may have been reopened).
_CARD_CLOSED = f"""
WITH {_MEMBERS}
SELECT s.user_id,
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.lost_on BETWEEN %(start)s AND %(end)s),
       (SELECT array_agg(pr.signed_on - (pr.created_at AT TIME ZONE s.timezone)::date)
        FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.signed_on BETWEEN %(start)s AND %(end)s),
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.stage = ANY(%(open)s::text[])),
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = s.user_id AND pr.created_at < s.lo)
       - (SELECT count(DISTINCT sc.prospect_id)
          FROM crm_prospect pr
          JOIN crm_stagechange sc ON sc.prospect_id = pr.id
          WHERE pr.owner_id = s.user_id AND pr.created_at < s.lo
            AND sc.to_stage IN ('contract', 'lost') AND sc.changed_at < s.lo
            AND NOT EXISTS (
                SELECT FROM crm_stagechange later
                WHERE later.prospect_id = sc.prospect_id
                  AND later.changed_at > sc.changed_at AND later.changed_at < s.lo
            ))
FROM managers s
"""

# SPEC 3.6 decision-maker reach: prospects with a held meeting in the period, and those of
# them with a held meeting where a decision maker was present up to the period's end. The
# services log a meeting for the prospect's owner only, so the scope's meetings are found
# through the (manager, starts_at) index.
_CARD_DM_REACH = f"""
WITH {_MEMBERS},
met AS (
    SELECT DISTINCT m.prospect_id, s.user_id, s.hi
    FROM managers s
    JOIN crm_meeting m
      ON m.manager_id = s.user_id AND m.starts_at >= s.lo AND m.starts_at < s.hi
    WHERE m.status = 'held'
)
SELECT user_id, count(*),
       count(*) FILTER (WHERE EXISTS (
           SELECT FROM crm_meeting d
           WHERE d.prospect_id = met.prospect_id AND d.status = 'held'
             AND d.decision_maker_present AND d.starts_at < met.hi))
FROM met
GROUP BY 1
"""

# Per open prospect ``pr``: its held meetings (h.held), those with a decision maker
# (h.with_dm), the last one's start (h.last_met) and its last call (c.last_call).
_TOUCHES = """CROSS JOIN LATERAL (
    SELECT count(*) AS held, count(*) FILTER (WHERE m.decision_maker_present) AS with_dm,
           max(m.starts_at) AS last_met
    FROM crm_meeting m WHERE m.prospect_id = pr.id AND m.status = 'held'
) h
CROSS JOIN LATERAL (
    SELECT max(c.at) AS last_call FROM crm_call c WHERE c.prospect_id = pr.id
) c"""

# SPEC 3.6 stalled (open, 3+ held meetings, none with a decision maker) and stale (open, no
# call or held meeting, else creation, for longer than the stage's rotting days), as of now
# (today is the team's local day).
_CARD_STALLED_STALE = f"""
WITH {_MEMBERS}
SELECT pr.owner_id,
       count(*) FILTER (WHERE h.held >= {STALLED_MEETINGS} AND h.with_dm = 0),
       count(*) FILTER (WHERE (now() AT TIME ZONE s.timezone)::date
           - (greatest(h.last_met, c.last_call, pr.created_at) AT TIME ZONE s.timezone)::date
           > coalesce((t.rotting_days ->> pr.stage)::int, {DEFAULT_ROTTING_DAYS}))
FROM managers s
JOIN crm_team t ON t.id = s.team_id
JOIN crm_prospect pr ON pr.owner_id = s.user_id AND pr.stage = ANY(%(open)s::text[])
{_TOUCHES}
GROUP BY 1
"""

# SPEC 3.7: referrals asked, received and declined in the period.
_CARD_REFERRALS = f"""
WITH {_MEMBERS}
SELECT s.user_id,
       (SELECT count(*) FILTER (WHERE r.status = 'received') FROM crm_referral r
        WHERE r.manager_id = s.user_id AND r.answered_on BETWEEN %(start)s AND %(end)s),
       (SELECT count(*) FILTER (WHERE r.status = 'declined') FROM crm_referral r
        WHERE r.manager_id = s.user_id AND r.answered_on BETWEEN %(start)s AND %(end)s)
FROM managers s
"""

# SPEC 3.10: the lead→contract conversion of the cohorts of the 6 full months before the
# period, per manager of the company (own, team and company rates), and the sector lows.
# Every prospect enters the funnel at creation, and reaching contract is signing (final,
# with signed_on), so the cohort and its signed part are two counts of crm_prospect.
_CARD_COVERAGE = """
WITH everyone AS MATERIALIZED (
    SELECT p.user_id, p.team_id,
           %(cohort_start)s::timestamp AT TIME ZONE t.timezone AS lo,
           %(start)s::timestamp AT TIME ZONE t.timezone AS hi
    FROM crm_profile p JOIN crm_team t ON t.id = p.team_id
)
SELECT e.user_id, e.team_id, count(*), count(pr.signed_on),
       (SELECT b.low FROM funnel_benchmark b JOIN crm_team t ON t.sector_id = b.sector_id
        WHERE t.id = e.team_id AND b.metric = 'lead_to_contract')
FROM everyone e
JOIN crm_prospect pr
  ON pr.owner_id = e.user_id AND pr.created_at >= e.lo AND pr.created_at < e.hi
GROUP BY 1, 2
"""

_SECTOR_BENCHMARKS = """
SELECT t.id, b.metric, b.low, b.high
FROM crm_team t JOIN funnel_benchmark b ON b.sector_id = t.sector_id
WHERE t.id = ANY(%(teams)s::bigint[])
"""


def scorecard(
    conn: psycopg.Connection, window: Window, today: date, *, slips: Slippage | None = None
) -> dict[int, dict[str, Any]]:
    """Every per-manager metric of SPEC section 3 for the managers of the scope, as exact
    values (ratios as Fractions): funnel (3.1), win rate, cycle, velocity (3.2), activity
    per working day (3.3), plan actuals and targets (3.4), slippage (3.5), decision-maker
    reach, stalled and stale deals (3.6), referrals (3.7), alternation (3.9), coverage
    (3.10), benchmark ratings (3.12). ``today`` bounds the working days of a current period;
    stale deals are counted on each team's local day now. ``slips``: the slippage, when the
    caller has it already. Each card keeps its manager's plan under ``plan``."""
    params = window.params(today=today, cohort_start=_months_before(window.start, COVERAGE_MONTHS))
    plans = plan(conn, window)
    teams = {team: (ww, country) for team, ww, country, _ in _rows(conn, _TEAMS, params)}
    activity = alternation(conn, window).managers
    slipped = (slips or slippage(conn, window)).by_manager
    sources = {
        name: {row[0]: row[1:] for row in _rows(conn, sql, params)}
        for name, sql in (
            ("cohort", _CARD_COHORT),
            ("closed", _CARD_CLOSED),
            ("dm", _CARD_DM_REACH),
            ("stalled", _CARD_STALLED_STALE),
            ("referrals", _CARD_REFERRALS),
        )
    }
    rates = _coverage_rates(_rows(conn, _CARD_COVERAGE, params))
    benchmarks: dict[int, dict[str, tuple[Decimal, Decimal | None]]] = {}
    for team, metric, low, high in _rows(conn, _SECTOR_BENCHMARKS, params):
        benchmarks.setdefault(team, {})[metric] = (low, high)
    cards = {}
    for manager, mine in plans.items():
        row = {name: rows.get(manager) for name, rows in sources.items()}
        card = _card(mine, elapsed_working_days(window, today, *teams[mine.team]), row)
        card |= {"alternation": None, "meeting_day_share": None, "active_days": 0}
        if manager in activity:
            card |= {
                "alternation": activity[manager].alternation,
                "meeting_day_share": activity[manager].meeting_day_share,
                "active_days": activity[manager].active_days,
            }
        card |= slipped.get(manager, _no_slips())
        card |= _coverage(mine, card["open_now"], rates, manager)
        card["plan"] = mine
        card["ratings"] = {
            metric: _rating(card.get(metric), low, high)
            for metric, (low, high) in benchmarks.get(mine.team, {}).items()
        }
        cards[manager] = card
    return cards


# The team review's attention lists (open deals of the scope's members, now): unreliable
# (pushed later 3+ times; most pushes first), stalled (3+ held meetings, none with a decision
# maker; most meetings first), stale (idle longer than the stage's rotting days, idle days
# counted from the last call or held meeting, else creation, in the team's local days; most
# idle first). Each list: its first %(limit)s in order, and how many it has in all.
_ATTENTION = f"""
WITH {_MEMBERS},
deals AS MATERIALIZED (
    SELECT pr.id,
           (SELECT count(*) FROM crm_closedatechange cd
            WHERE cd.prospect_id = pr.id AND cd.to_date > cd.from_date) AS pushes,
           h.held, h.with_dm,
           (now() AT TIME ZONE s.timezone)::date
             - (greatest(h.last_met, c.last_call, pr.created_at) AT TIME ZONE s.timezone)::date
             AS idle,
           coalesce((t.rotting_days ->> pr.stage)::int, {DEFAULT_ROTTING_DAYS}) AS rotting
    FROM members s
    JOIN crm_team t ON t.id = s.team_id
    JOIN crm_prospect pr ON pr.owner_id = s.user_id AND pr.stage = ANY(%(open)s::text[])
    {_TOUCHES}
)
(SELECT 'unreliable', id, pushes, count(*) OVER () FROM deals
 WHERE pushes >= {UNRELIABLE_PUSHES} ORDER BY pushes DESC, id LIMIT %(limit)s)
UNION ALL
(SELECT 'stalled', id, held, count(*) OVER () FROM deals
 WHERE held >= {STALLED_MEETINGS} AND with_dm = 0 ORDER BY held DESC, id LIMIT %(limit)s)
UNION ALL
(SELECT 'stale', id, idle, count(*) OVER () FROM deals
 WHERE idle > rotting ORDER BY idle DESC, id LIMIT %(limit)s)
"""

ATTENTION_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Attention:
    """Per list: its first prospects in order as (prospect, push count, held meetings or idle
    days), and its size."""

    lists: dict[str, list[tuple[int, int]]]
    totals: dict[str, int]


def attention(conn: psycopg.Connection, window: Window, limit: int = ATTENTION_LIMIT) -> Attention:
    lists: dict[str, list[tuple[int, int]]] = {"unreliable": [], "stalled": [], "stale": []}
    totals = dict.fromkeys(lists, 0)
    for name, prospect, value, total in _rows(conn, _ATTENTION, window.params(limit=limit)):
        lists[name].append((prospect, value))
        totals[name] = total
    return Attention(lists, totals)


@dataclass(frozen=True, slots=True)
class Review:
    """The team review's numbers: every manager's scorecard, the slippage, the lists."""

    cards: dict[int, dict[str, Any]]
    slips: Slippage
    attention: Attention


def review(conn: psycopg.Connection, window: Window, today: date) -> Review:
    slips = slippage(conn, window)
    return Review(scorecard(conn, window, today, slips=slips), slips, attention(conn, window))


def _card(mine: ManagerPlan, days: int, row: dict[str, Sequence[Any] | None]) -> dict[str, Any]:
    """The metrics of one manager from their rows of the scorecard queries."""
    cohort = row["cohort"] or (0,) * 7
    lost, cycles, open_now, open_at_start = row["closed"] or (0, None, 0, 0)
    met, met_dm = row["dm"] or (0, 0)
    stalled, stale = row["stalled"] or (0, 0)
    received, declined = row["referrals"] or (0, 0)
    reached = dict(zip(FUNNEL, cohort[:5], strict=True))
    won, revenue = mine.actuals["contracts"], mine.actuals["revenue"]
    cycles = sorted(cycles or [])
    win_rate = _ratio(won, won + lost)
    mean_cycle = _ratio(sum(cycles), len(cycles))
    mean_value = _ratio(revenue, won)
    velocity = None
    if win_rate is not None and mean_value is not None and mean_cycle:
        velocity = open_at_start * win_rate * mean_value * 30 / mean_cycle
    return {
        "reached": reached,
        "lead_to_contract": _ratio(reached["contract"], reached["lead"]),
        "win_rate": win_rate,
        "cycle_days_median": Fraction(statistics.median(cycles)) if cycles else None,
        "cycle_days_mean": mean_cycle,
        "velocity": velocity,
        "meetings_per_day": _ratio(mine.actuals["meetings"], days),
        "calls_per_day": _ratio(mine.actuals["calls"], days),
        "actuals": mine.actuals,
        "targets": mine.targets,
        "dm_reach": _ratio(met_dm, met),
        "stalled": stalled,
        "stale": stale,
        "referrals_asked": mine.actuals["referrals_asked"],
        "referrals_received": received,
        "referrals_declined": declined,
        "won": won,
        "lost": lost,
        "asks_per_contract": _ratio(mine.actuals["referrals_asked"], won),
        "referral_conversion": _ratio(cohort[6], cohort[5]),
        "open_now": open_now,
        "open_at_start": open_at_start,
    }


def _coverage_rates(rows: Sequence[tuple]) -> dict[str, Any]:
    """Cohort sizes and signed counts per manager, team and company, and sector lows."""
    managers, teams, sector = {}, {}, {}
    company = [0, 0]
    for manager, team, cohort, signed, low in rows:
        managers[manager] = (cohort, signed)
        total = teams.setdefault(team, [0, 0])
        total[0] += cohort
        total[1] += signed
        company[0] += cohort
        company[1] += signed
        sector[team] = low
    return {"managers": managers, "teams": teams, "company": company, "sector": sector}


def _coverage(
    mine: ManagerPlan, open_now: int, rates: dict[str, Any], manager: int
) -> dict[str, Any]:
    """SPEC 3.10: remaining contracts, the rate (own ≥ 20 cohort → sector low → team →
    company), required new prospects and coverage = open prospects now ÷ required."""
    target = mine.targets["contracts"]
    cohort, signed = rates["managers"].get(manager, (0, 0))
    team_cohort, team_signed = rates["teams"].get(mine.team, (0, 0))
    company_cohort, company_signed = rates["company"]
    candidates = (
        Fraction(signed, cohort) if cohort >= MIN_OWN_COHORT else None,
        rates["sector"].get(mine.team),
        _ratio(team_signed, team_cohort),
        _ratio(company_signed, company_cohort),
    )
    rate = next((Fraction(r) for r in candidates if r is not None), None)
    if target is None:
        return {"remaining_contracts": None, "required_new_prospects": None, "coverage": None}
    remaining = max(Fraction(target) - mine.actuals["contracts"], Fraction(0))
    required = math.ceil(remaining / rate) if rate else None
    return {
        "remaining_contracts": remaining,
        "required_new_prospects": required,
        "coverage": _ratio(open_now, required) if required else None,
    }


def _rating(value: Any, low: Decimal, high: Decimal | None) -> str | None:
    if value is None:
        return None
    if value < low:
        return "below"
    return "above" if high is not None and value > high else "within"


def _ratio(numerator: Any, denominator: Any) -> Fraction | None:
    return Fraction(numerator) / Fraction(denominator) if denominator else None


def _months_before(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- SPEC 3.11 plan suggestion ------------------------------------------------------------------

_MONTHLY_ACTUALS = """
WITH team AS MATERIALIZED (
    SELECT p.user_id, p.hired_on, t.timezone
    FROM crm_profile p
    JOIN crm_team t ON t.id = p.team_id
    WHERE p.team_id = (SELECT team_id FROM crm_profile WHERE user_id = %(manager)s)
      AND (p.role = 'manager' OR p.user_id = %(manager)s)
),
w AS MATERIALIZED (
    SELECT team.user_id, team.hired_on, month.first,
           (month.first + interval '1 month')::date - 1 AS last,
           month.first::timestamp AT TIME ZONE team.timezone AS lo,
           (month.first + interval '1 month') AT TIME ZONE team.timezone AS hi
    FROM team, unnest(%(months)s::date[]) AS month(first)
)
SELECT w.user_id, w.hired_on, w.first,
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = w.user_id AND pr.signed_on BETWEEN w.first AND w.last),
       (SELECT coalesce(sum(pr.contract_value), 0) FROM crm_prospect pr
        WHERE pr.owner_id = w.user_id AND pr.signed_on BETWEEN w.first AND w.last),
       (SELECT count(*) FROM crm_meeting m
        WHERE m.manager_id = w.user_id AND m.status = 'held'
          AND m.starts_at >= w.lo AND m.starts_at < w.hi),
       (SELECT count(*) FROM crm_call c
        WHERE c.manager_id = w.user_id AND c.at >= w.lo AND c.at < w.hi),
       (SELECT count(*) FROM crm_prospect pr
        WHERE pr.owner_id = w.user_id AND pr.created_at >= w.lo AND pr.created_at < w.hi),
       (SELECT count(*) FROM crm_referral r
        WHERE r.manager_id = w.user_id AND r.asked_on BETWEEN w.first AND w.last)
FROM w
ORDER BY w.user_id, w.first
"""


def suggestion_months(period_start: date, today: date) -> list[date]:
    """The first days of the last 3 full months before the period: months that are over by
    ``today`` (a month still running is not a full period)."""
    last = min(_months_before(period_start, 1), _months_before(today.replace(day=1), 1))
    return [_months_before(last, n) for n in range(SUGGESTION_PERIODS - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Per plan metric: the manager's own suggestion (None without 3 full months of
    history) and the team median of the 3-month means of the other managers with a full
    history (None when there is none), both exact."""

    own: dict[str, Fraction | None]
    team_median: dict[str, Fraction | None]


def suggest(conn: psycopg.Connection, manager: int, months: Sequence[date]) -> Suggestion:
    """SPEC 3.11: per plan metric, the mean of the manager's actuals in ``months`` times
    1.1 (growth 10%) when they were employed for all of them, and the team median the
    suggestion of a newer hire would be ramped from. One query over the team."""
    rows = _rows(conn, _MONTHLY_ACTUALS, {"manager": manager, "months": list(months)})
    history: dict[int, list[tuple]] = {}
    for user, hired_on, first, *actuals in rows:
        if hired_on is None or hired_on <= first:
            history.setdefault(user, []).append(actuals)
    means = {
        user: [sum((Fraction(row[n]) for row in full), Fraction(0)) / len(full) for n in range(6)]
        for user, full in history.items()
        if len(full) == len(months)
    }
    peers = [mean for user, mean in means.items() if user != manager]
    return Suggestion(
        own={
            metric: means[manager][n] * GROWTH if manager in means else None
            for n, metric in enumerate(PLAN_METRICS)
        },
        team_median={
            metric: Fraction(statistics.median(mean[n] for mean in peers)) if peers else None
            for n, metric in enumerate(PLAN_METRICS)
        },
    )
