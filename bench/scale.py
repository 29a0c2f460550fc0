"""Scale data for the report benchmarks: a company of about a thousand account managers
and a year of history, simulated in plain Python and loaded with PostgreSQL COPY.

``build()`` is the whole job; ``bench/generate.py`` is its command line. The rows look as
if the application had written them through ``crm.services`` for a year:

- a prospect's first StageChange goes from "" to its initial stage at ``created_at``, each
  later one from the previous stage, in time order; the prospect's stage is the last
  one's. Losing records ``lost_from_stage`` (reopening returns there); signing sets
  ``contract_value`` and ``signed_on``, never before the local day of creation.
- every change of ``expected_close_date`` is a CloseDateChange (the first one from NULL),
  made while the prospect is open, chained so that the last ``to_date`` is the current
  date: pushes (3+ on some deals), late slips in the last five working days of a month
  by managers who postpone, pull-ins just before a signature, dates left overdue.
- activity moves the funnel as the services do: the call that first reaches a ``lead``
  (``talked`` or ``meeting_booked``) is its lead→contacted change, at the call's time;
  the first held meeting of a prospect below ``meeting`` is its →meeting change, at the
  meeting's start. Every other call or held meeting touches a prospect already past
  those stages, so it changes nothing.
- calls and meetings fall in working hours on the team's working days (its work week
  without its country's public holidays), in the team's time zone; meetings are held,
  cancelled or no-shows before ``today`` and planned only in the two weeks from it.

The managers, prospects, calls and meetings are exactly as many as asked; contacts,
history, referrals, attendees, events, plans and reviews follow from them. The same seed
and ``today`` give the same rows and ids, except calendar tokens (secrets, never derived
from a seed).

How: each manager is simulated on a ``Random`` of its own. Their prospects live their
lives first (calls, meetings, stage and close-date changes, referrals that bring new
prospects), then the rest of the manager's call and meeting quota is spread over their
working days, on prospects at a stage where the activity changes nothing. Rows go to the
database in batches of a few thousand prospects, one COPY per table and batch, with ids
assigned here; the sequences are moved past them at the end. Memory stays bounded
whatever the size.
"""

from __future__ import annotations

import heapq
import json
import secrets
import time
import zoneinfo
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from tqdm import tqdm

from crm import services
from crm.models import (
    ActivityDay,
    Call,
    CallDirection,
    CallKind,
    CallOutcome,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Profile,
    Prospect,
    Referral,
    ReferralStatus,
    Stage,
    StageChange,
    Team,
)
from events.models import Event, EventAttendance
from funnel.models import PerformanceReview, Plan
from funnel.periods import WorkCalendar

User = get_user_model()

PASSWORD = "bench"
EMAIL_DOMAIN = "bench.funnelbook.example"  # marks the users this generator made
HISTORY_DAYS = 365  # prospects are created over the year before `today`
AGENDA_DAYS = 14  # planned meetings reach this many calendar days past `today`
EVENT_HORIZON_DAYS = 60  # upcoming events
LATE_WORKING_DAYS = 5  # a late slip falls in the last five working days of a month
BATCH_PROSPECTS = 4_000  # prospects (with all their rows) per COPY batch

# Plain strings, not the TextChoices members: they are compared and dumped millions of times.
LEAD, CONTACTED, MEETING = Stage.LEAD.value, Stage.CONTACTED.value, Stage.MEETING.value
PROPOSAL, CONTRACT, LOST = Stage.PROPOSAL.value, Stage.CONTRACT.value, Stage.LOST.value
NO_ANSWER, TALKED = CallOutcome.NO_ANSWER.value, CallOutcome.TALKED.value
MEETING_BOOKED, REFUSED = CallOutcome.MEETING_BOOKED.value, CallOutcome.REFUSED.value
COLD, FOLLOW_UP = CallKind.COLD.value, CallKind.FOLLOW_UP.value
OUTBOUND, INBOUND = CallDirection.OUTBOUND.value, CallDirection.INBOUND.value
PLANNED, HELD = MeetingStatus.PLANNED.value, MeetingStatus.HELD.value
CANCELLED, NO_SHOW = MeetingStatus.CANCELLED.value, MeetingStatus.NO_SHOW.value
ASKED, RECEIVED = ReferralStatus.ASKED.value, ReferralStatus.RECEIVED.value
DECLINED = ReferralStatus.DECLINED.value

# Chance that a prospect from this source moves on at each step, relative to "other".
_LIFT = {"cold_call": 0.9, "inbound": 1.2, "other": 1.0, "event": 1.15, "referral": 1.5}
_LOSS_REASONS = {
    LEAD: ("No response after several attempts", "Wrong contact, company not a fit"),
    CONTACTED: ("Not interested", "Happy with current supplier", "No budget this year"),
    MEETING: ("No budget this year", "Chose a competitor", "Project postponed indefinitely"),
    PROPOSAL: ("Chose a competitor", "Price too high", "Budget cut", "Went with in-house team"),
}
_ATTEMPTS = (0, 0, 0, 1, 1, 2, 3)  # unanswered calls before a lead is reached
_DURATION = [timedelta(seconds=s) for s in range(3_601)]


# --- what is asked for, and what was done ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Sizes:
    """Exact counts of managers, prospects, calls and meetings (the rest follows).

    ``teams`` defaults to one per ~33 managers (3 to 30), ``events`` to 0.3 per manager
    (at least 6).
    """

    managers: int
    prospects: int
    calls: int
    meetings: int
    teams: int | None = None
    events: int | None = None

    def __post_init__(self) -> None:
        if self.managers < 1:
            raise ValueError("Ask for at least one manager.")
        for name in ("prospects", "calls", "meetings"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative.")
        if self.meetings and not self.prospects:
            raise ValueError("A meeting is with a prospect: ask for prospects too.")
        if self.teams is not None and not 1 <= self.teams <= self.managers:
            raise ValueError("Ask for 1 to `managers` teams.")
        if self.events is not None and self.events < 0:
            raise ValueError("events cannot be negative.")

    @property
    def team_count(self) -> int:
        if self.teams is not None:
            return self.teams
        return min(self.managers, max(3, min(30, round(self.managers / 33))))

    @property
    def event_count(self) -> int:
        return self.events if self.events is not None else max(6, round(self.managers * 0.3))


class DatabaseNotEmptyError(Exception):
    """The database already holds domain rows; ``reset_first=True`` replaces them."""


class NotPostgreSQLError(Exception):
    """The generator loads with PostgreSQL COPY and needs a PostgreSQL database."""


@dataclass(slots=True)
class LoadReport:
    """Rows loaded and seconds spent, per table and in total."""

    rows: dict[str, int]
    copy_seconds: dict[str, float]
    simulate_seconds: float
    finish_seconds: float  # sequences, ANALYZE (and VACUUM)
    check_seconds: float
    total_seconds: float
    problems: list[str]

    def as_text(self) -> str:
        width = max(len(name) for name in self.rows)
        lines = [f"{'table':<{width}}  {'rows':>11}  {'COPY s':>7}"]
        for name, n in self.rows.items():
            lines.append(f"{name:<{width}}  {n:>11,}  {self.copy_seconds.get(name, 0.0):>7.1f}")
        lines.append(
            f"{'total':<{width}}  {sum(self.rows.values()):>11,}  "
            f"{sum(self.copy_seconds.values()):>7.1f}"
        )
        lines += [
            "",
            f"simulation (Python, outside COPY)  {self.simulate_seconds:7.1f} s",
            f"sequences, VACUUM/ANALYZE          {self.finish_seconds:7.1f} s",
            f"consistency checks                 {self.check_seconds:7.1f} s",
            f"total                              {self.total_seconds:7.1f} s",
        ]
        if self.problems:
            lines += ["", "CONSISTENCY PROBLEMS:"] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# --- the tables --------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _pair(first: str, second: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Company-name parts: words, or phrases separated by "|"."""
    return _parts(first), _parts(second)


def _parts(text: str) -> tuple[str, ...]:
    return tuple(text.split("|")) if "|" in text else _words(text)


_MeetingAttendee = Meeting.attendees.through

# Column order of the rows built below; checked against the models before loading, so a
# new field fails loudly here instead of being left to its database default.
_COLUMNS: dict[type, tuple[str, ...]] = {
    User: _words(
        "id password last_login is_superuser username first_name last_name email is_staff "
        "is_active date_joined"
    ),
    Team: _words(
        "id name sector_id lead_id timezone work_week holiday_country rotting_days "
        "team_calendar_token created_at updated_at"
    ),
    Profile: _words(
        "id user_id team_id role hired_on timezone calendar_token created_at updated_at"
    ),
    Event: _words(
        "id name kind starts_at ends_at location url cost team_id created_by_id sequence "
        "created_at updated_at"
    ),
    EventAttendance: _words("id event_id manager_id status created_at updated_at"),
    Plan: _words(
        "id manager_id start end contracts revenue meetings calls new_prospects "
        "referrals_asked set_by_id created_at updated_at"
    ),
    PerformanceReview: _words(
        "id manager_id author_id period_start period_end notes created_at updated_at"
    ),
    Prospect: _words(
        "id owner_id name stage lost_from_stage source source_event_id expected_value "
        "expected_close_date contract_value signed_on lost_reason lost_on revisit_on "
        "created_at updated_at"
    ),
    Contact: _words(
        "id prospect_id name title email phone is_decision_maker created_at updated_at"
    ),
    StageChange: _words("id prospect_id from_stage to_stage changed_at by_id note owner_id"),
    CloseDateChange: _words("id prospect_id from_date to_date changed_at by_id owner_id"),
    Call: _words(
        "id manager_id prospect_id at duration direction kind outcome notes created_at updated_at"
    ),
    Meeting: _words(
        "id manager_id prospect_id starts_at ends_at location status "
        "decision_maker_present notes sequence ics_uid created_at updated_at"
    ),
    _MeetingAttendee: _words("id meeting_id contact_id"),
    Referral: _words(
        "id manager_id from_prospect_id asked_on status referred_prospect_id answered_on "
        "notes created_at updated_at"
    ),
}
# Load order: a table after the tables it points at.
_COMPANY_MODELS = (User, Team, Profile, Event, EventAttendance, Plan, PerformanceReview)
_BATCH_MODELS = (
    Prospect,
    Contact,
    StageChange,
    CloseDateChange,
    Call,
    Meeting,
    _MeetingAttendee,
    Referral,
)


def _table(model: type) -> str:
    return model._meta.db_table


def domain_tables() -> list[str]:
    """The tables --reset empties: crm_*, events_*, plans and reviews. Sectors and
    benchmarks (seeded by a data migration) stay, and so does auth_user (only the users
    this generator made are deleted)."""
    models = [
        *apps.get_app_config("crm").get_models(include_auto_created=True),
        *apps.get_app_config("events").get_models(include_auto_created=True),
        Plan,
        PerformanceReview,
    ]
    return sorted({_table(model) for model in models})


# Columns the application derives from other rows: the database default on load, then
# rewritten by crm.services.prospect_activity_refresh, prospect_history_refresh and
# activity_days_refresh (which also fills crm_activityday) once everything is in.
_DERIVED: dict[type, frozenset[str]] = {
    Prospect: frozenset(
        {"held_meetings", "held_with_dm", "last_touch_at", "push_count", "furthest_stage"}
    ),
    Profile: frozenset({"activity_days_tz"}),
    Meeting: frozenset({"ics_sequence"}),
}


def _check_columns() -> None:
    for model, columns in _COLUMNS.items():
        actual = {f.column for f in model._meta.concrete_fields} - _DERIVED.get(model, set())
        if set(columns) != actual:
            raise RuntimeError(
                f"{_table(model)} has columns {sorted(actual)}, the generator writes "
                f"{sorted(columns)}: update bench/scale.py."
            )


# --- how each sector sells -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Behaviour:
    code: str  # funnel.Sector.code
    label: str
    places: tuple[tuple[str, str, str, str], ...]  # (city, time zone, holiday country, week)
    hours: tuple[int, int]  # working hours, minutes after local midnight
    prospect_weight: float  # relative prospects, calls and meetings per manager-day
    call_weight: float
    meeting_weight: float
    meeting_minutes: tuple[int, int]
    value: tuple[int, int, int]  # expected value: low, high, step
    conversion: float  # share of prospects signed, for plan targets
    p_reach: float  # a lead is reached by phone
    p_skip_contacted: float  # a reached lead is met straight away (lead → meeting)
    p_meet: float  # a contacted prospect agrees to meet
    more_meetings: tuple[int, int]  # held meetings after the first, before a proposal
    p_proposal: float
    p_win: float
    p_has_dm: float  # one of the contacts is a decision maker
    p_no_dm: float  # the decision maker never comes (a stalled deal)
    reach_gap: tuple[int, int]  # working days between steps
    meet_gap: tuple[int, int]
    meeting_gap: tuple[int, int]
    proposal_gap: tuple[int, int]
    decide_gap: tuple[int, int]
    close_days: tuple[int, int]  # calendar days from a proposal to its expected close
    push_days: tuple[int, int]
    p_close_at_create: float
    after_sign: int | None  # working days a client keeps getting calls and meetings
    p_ask: float  # a client is asked for a referral
    companies: tuple[tuple[str, ...], tuple[str, ...]]
    dm_titles: tuple[str, ...]
    staff_titles: tuple[str, ...]
    locations: tuple[str, ...]
    notes: tuple[str, ...]
    events: tuple[tuple[str, str], ...]  # (kind, name)


_BEHAVIOURS = (
    _Behaviour(
        code="b2b",
        label="B2B",
        places=(
            ("Berlin", "Europe/Berlin", "DE", "12345"),
            ("Paris", "Europe/Paris", "FR", "12345"),
            ("Vienna", "Europe/Vienna", "AT", "12345"),
            ("Amsterdam", "Europe/Amsterdam", "NL", "12345"),
            ("Warsaw", "Europe/Warsaw", "PL", "12345"),
            ("Madrid", "Europe/Madrid", "ES", "12345"),
            ("Tel Aviv", "Asia/Jerusalem", "IL", "71234"),
            ("Stockholm", "Europe/Stockholm", "SE", "12345"),
            ("Zurich", "Europe/Zurich", "CH", "12345"),
            ("Munich", "Europe/Berlin", "DE", "12345"),
        ),
        hours=(8 * 60 + 30, 18 * 60),
        prospect_weight=1.0,
        call_weight=1.25,
        meeting_weight=2.4,
        meeting_minutes=(45, 90),
        value=(15_000, 120_000, 500),
        conversion=0.17,
        p_reach=0.6,
        p_skip_contacted=0.06,
        p_meet=0.68,
        more_meetings=(0, 3),
        p_proposal=0.66,
        p_win=0.55,
        p_has_dm=0.7,
        p_no_dm=0.05,
        reach_gap=(1, 6),
        meet_gap=(3, 10),
        meeting_gap=(3, 9),
        proposal_gap=(2, 8),
        decide_gap=(8, 25),
        close_days=(20, 45),
        push_days=(10, 35),
        p_close_at_create=0.3,
        after_sign=40,
        p_ask=0.55,
        companies=_pair(
            "Nordwerk Rheintal Alpenblick Hansa Elbwerk Brandt Kessler Lindner Falkenstein Weser "
            "Isar Spree Taunus Mosel Harz",
            "Logistik GmbH|Maschinenbau AG|Systemhaus GmbH|Automotive GmbH|Energie AG|"
            "Medizintechnik GmbH|Chemie AG|Software GmbH|Stahl AG",
        ),
        dm_titles=("Managing Director", "CFO", "Head of Procurement", "COO"),
        staff_titles=("IT Lead", "Project Manager", "Buyer", "Plant Manager"),
        locations=("Client head office", "Video call", "Our office", "Client plant"),
        notes=("Discovery", "Product demo", "Technical deep-dive", "Negotiation", "Check-in"),
        events=(
            ("trade_show", "Intralogistics Trade Fair"),
            ("conference", "Industry 4.0 Summit"),
            ("webinar", "Webinar: predictive maintenance"),
            ("exhibition", "Automation Exhibition"),
            ("meetup", "B2B Sales Meetup"),
        ),
    ),
    _Behaviour(
        code="consumer_goods",
        label="Consumer Goods",
        places=(
            ("London", "Europe/London", "GB", "12345"),
            ("Dublin", "Europe/Dublin", "IE", "12345"),
            ("Chicago", "America/Chicago", "US", "12345"),
            ("Los Angeles", "America/Los_Angeles", "US", "12345"),
            ("Sydney", "Australia/Sydney", "AU", "12345"),
            ("Toronto", "America/Toronto", "CA", "12345"),
            ("Milan", "Europe/Rome", "IT", "123456"),
            ("Sao Paulo", "America/Sao_Paulo", "BR", "12345"),
            ("Tokyo", "Asia/Tokyo", "JP", "12345"),
            ("Manchester", "Europe/London", "GB", "12345"),
        ),
        hours=(8 * 60, 17 * 60 + 30),
        prospect_weight=1.2,
        call_weight=0.6,
        meeting_weight=8.0,
        meeting_minutes=(10, 25),
        value=(2_000, 25_000, 250),
        conversion=0.24,
        p_reach=0.7,
        p_skip_contacted=0.12,
        p_meet=0.8,
        more_meetings=(0, 2),
        p_proposal=0.72,
        p_win=0.52,
        p_has_dm=0.75,
        p_no_dm=0.03,
        reach_gap=(0, 3),
        meet_gap=(1, 5),
        meeting_gap=(2, 6),
        proposal_gap=(1, 4),
        decide_gap=(5, 15),
        close_days=(10, 30),
        push_days=(7, 25),
        p_close_at_create=0.25,
        after_sign=None,
        p_ask=0.45,
        companies=_pair(
            "FreshMart|Corner Larder|Daily Basket|Green Grocer|Village Stores|Harbour Foods|"
            "Market Square|Oak & Barley|Riverside Deli|Quick Stop",
            "Camden|Hackney|Brixton|Croydon|Ealing|Richmond|Greenwich",
        ),
        dm_titles=("Store Owner", "Category Buyer", "Regional Buyer"),
        staff_titles=("Store Manager", "Assistant Manager", "Stock Controller"),
        locations=("Store visit", "Store back office", "Regional office"),
        notes=("Introduction", "Range presentation", "Shelf check", "Promo planning", ""),
        events=(
            ("trade_show", "Convenience Retail Show"),
            ("exhibition", "Food & Drink Expo"),
            ("presentation", "Seasonal range presentation"),
            ("meetup", "Independent Grocers Breakfast"),
        ),
    ),
    _Behaviour(
        code="consulting",
        label="Consulting",
        places=(
            ("New York", "America/New_York", "US", "12345"),
            ("Boston", "America/New_York", "US", "12345"),
            ("London", "Europe/London", "GB", "12345"),
            ("Singapore", "Asia/Singapore", "SG", "12345"),
            ("Zurich", "Europe/Zurich", "CH", "12345"),
            ("Bangalore", "Asia/Kolkata", "IN", "12345"),
            ("Remote", "UTC", "", "12345"),
            ("Dubai", "Asia/Dubai", "AE", "12345"),
            ("Chicago", "America/Chicago", "US", "12345"),
            ("Frankfurt", "Europe/Berlin", "DE", "12345"),
        ),
        hours=(9 * 60, 18 * 60 + 30),
        prospect_weight=0.9,
        call_weight=1.0,
        meeting_weight=1.1,
        meeting_minutes=(60, 120),
        value=(25_000, 250_000, 1_000),
        conversion=0.10,
        p_reach=0.5,
        p_skip_contacted=0.05,
        p_meet=0.58,
        more_meetings=(0, 2),
        p_proposal=0.6,
        p_win=0.48,
        p_has_dm=0.65,
        p_no_dm=0.06,
        reach_gap=(1, 8),
        meet_gap=(4, 12),
        meeting_gap=(4, 12),
        proposal_gap=(3, 10),
        decide_gap=(10, 30),
        close_days=(25, 60),
        push_days=(14, 45),
        p_close_at_create=0.35,
        after_sign=60,
        p_ask=0.5,
        companies=_pair(
            "Summit Cedar Harbor Granite Liberty Pioneer Beacon Keystone Evergreen Meridian "
            "Northstar",
            "Health System|Financial Group|Insurance|Logistics|Bank|Pharma",
        ),
        dm_titles=("CEO", "CFO", "COO", "Chief Strategy Officer"),
        staff_titles=("Director of Finance", "Program Manager", "Chief of Staff"),
        locations=("Client HQ", "Zoom", "Our office"),
        notes=("Intro call", "Scoping workshop", "Stakeholder interviews", "Steering committee"),
        events=(
            ("conference", "Digital Transformation Forum"),
            ("presentation", "Roundtable: cost excellence"),
            ("webinar", "Webinar: AI in operations"),
            ("meetup", "CFO Breakfast Club"),
        ),
    ),
)
_COMPANY_EVENTS = (
    ("webinar", "Sales Academy: asking for referrals"),
    ("webinar", "Sales Academy: getting the decision maker in the room"),
    ("conference", "Funnelbook Sales Kick-off"),
)
_EVENT_DAYS = {"trade_show": (2, 3), "exhibition": (1, 2), "conference": (1, 2)}
_EVENT_COST = {
    "trade_show": (4_000, 9_000),
    "exhibition": (1_500, 4_000),
    "conference": (900, 3_000),
    "presentation": (300, 900),
    "meetup": (0, 200),
    "webinar": (0, 0),
}
_EVENT_GOING = {  # share of the team that goes, prospects sourced per manager who went
    "trade_show": (0.35, 2.0),
    "exhibition": (0.3, 1.6),
    "conference": (0.25, 1.2),
    "presentation": (0.3, 0.8),
    "meetup": (0.2, 0.6),
    "webinar": (0.4, 0.5),
}
_FIRST_NAMES = _words(
    "Anna Lukas Sophie Jonas Lea Felix Marie Paul Laura Oliver Amelia George Isla Harry Ava "
    "Jack Emily Michael Emma Daniel Olivia Matthew Mia Andrew Chloe Ryan Lucia Mateo Sofia "
    "Hugo Chiara Luca Yuki Haruto Priya Arjun Noa Eitan Ingrid Erik Zofia Jakub Camille Louis"
)
_LAST_NAMES = _words(
    "Schmidt Weber Meyer Wagner Becker Hoffmann Smith Jones Taylor Brown Wilson Evans Walker "
    "Johnson Miller Davis Garcia Martinez Anderson Clark Lewis Young Rossi Bianchi Tanaka "
    "Sato Sharma Patel Cohen Levi Nilsson Larsson Nowak Kowalski Dubois Martin Silva Costa"
)


# --- calendars ---------------------------------------------------------------------------


class _Calendar:
    """A team's working days as indices, with the epoch second of each local midnight.

    ``today`` is the index of the first working day on or after ``today``: history happens
    on days before it; ``agenda_end`` bounds the planned meetings.
    """

    __slots__ = ("agenda_end", "midnight", "month_last", "ordinals", "today")

    def __init__(
        self, *, timezone: str, country: str, work_week: str, first: date, last: date, today: date
    ) -> None:
        days = WorkCalendar.from_team_fields(work_week, country).working_days(first, last)
        zone = zoneinfo.ZoneInfo(timezone)
        self.ordinals = [d.toordinal() for d in days]
        # Midnight from the offset at noon: working hours stay right on the days the clocks
        # change (at night).
        self.midnight = [
            int(datetime(d.year, d.month, d.day, 12, tzinfo=zone).timestamp()) - 43_200
            for d in days
        ]
        self.today = bisect_left(self.ordinals, today.toordinal())
        self.agenda_end = bisect_left(
            self.ordinals, (today + timedelta(days=AGENDA_DAYS)).toordinal()
        )
        self.month_last: dict[tuple[int, int], int] = {}

    def index(self, ordinal: int) -> int:
        """The first working day on or after the day (len(ordinals) past the end)."""
        return bisect_left(self.ordinals, ordinal)

    def last_of_month(self, ordinal: int) -> int:
        """Index of the last working day of the day's month."""
        day = date.fromordinal(ordinal)
        key = (day.year, day.month)
        if key not in self.month_last:
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            self.month_last[key] = self.index(following.toordinal()) - 1
        return self.month_last[key]


def _month_end(ordinal: int) -> int:
    """The ordinal of the last calendar day of the day's month."""
    day = date.fromordinal(ordinal)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1).toordinal() - 1


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders), exactly."""
    mass = sum(weights)
    if total and mass <= 0:
        raise ValueError("Nothing to share the rows among.")
    if not total:
        return [0] * len(weights)
    raw = [total * w / mass for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: shares[i] - raw[i])
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _poisson(rng: Random, mean: float) -> int:
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


# --- the company: teams, people, events, plans -------------------------------------------


@dataclass(slots=True, eq=False)
class _Team:
    id: int
    name: str
    behaviour: _Behaviour
    timezone: str
    country: str
    work_week: str
    cal: _Calendar
    city: str = ""
    lead_id: int = 0
    managers: list[_Manager] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Manager:
    index: int
    id: int
    team: _Team
    hired_on: date
    first_day: int  # calendar index of the first day of history
    style: str  # mixed | alternate | friday_calls
    skill: float
    postponer: bool
    prospects: int = 0
    calls: int = 0
    meetings: int = 0
    events: list[tuple[int, int, str]] = field(default_factory=list)  # (id, last day, kind)


@dataclass(slots=True)
class _Ids:
    """Next free id per table (ids are assigned here, not by the sequences)."""

    next: dict[type, int]

    def take(self, model: type) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Company:
    """Everything but the per-manager rows, built from one ``Random(seed)``."""

    def __init__(
        self, *, sizes: Sizes, seed: int, today: date, sectors: dict[str, int], ids: _Ids
    ) -> None:
        self.sizes, self.seed, self.today, self.ids = sizes, seed, today, ids
        self.rng = Random(f"{seed}:company")
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.first = self.start - timedelta(days=7)
        self.last = today + timedelta(days=EVENT_HORIZON_DAYS + 7)
        self.password = make_password(PASSWORD)
        self.rows: dict[type, list[tuple]] = {model: [] for model in _COMPANY_MODELS}
        self.sectors = sectors
        self.teams: list[_Team] = []
        self.managers: list[_Manager] = []
        self.calendars: dict[tuple[str, str, str], _Calendar] = {}
        self._build_teams()
        self._build_people()
        self._apportion_quotas()
        self._build_events()
        self._build_plans()
        self._build_reviews()

    def calendar(self, timezone: str, country: str, work_week: str) -> _Calendar:
        key = (timezone, country, work_week)
        if key not in self.calendars:
            self.calendars[key] = _Calendar(
                timezone=timezone,
                country=country,
                work_week=work_week,
                first=self.first,
                last=self.last,
                today=self.today,
            )
        return self.calendars[key]

    def _moment(self, day: date, minutes: int, timezone: str) -> datetime:
        zone = zoneinfo.ZoneInfo(timezone)
        return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)

    def _build_teams(self) -> None:
        rng = self.rng
        per_sector: Counter[str] = Counter()
        for i in range(self.sizes.team_count):
            b = _BEHAVIOURS[i % len(_BEHAVIOURS)]
            n = per_sector[b.code]
            per_sector[b.code] += 1
            city, tz, country, week = b.places[n % len(b.places)]
            name = f"{b.label} {city}" + (
                f" {n // len(b.places) + 1}" if n >= len(b.places) else ""
            )
            team = _Team(
                id=self.ids.take(Team),
                name=name,
                behaviour=b,
                timezone=tz,
                country=country,
                work_week=week,
                cal=self.calendar(tz, country, week),
                city=city,
            )
            self.teams.append(team)
        self._team_rotting = {
            team.id: ({"proposal": 7} if rng.random() < 0.3 else {}) for team in self.teams
        }

    def _user(
        self, username: str, *, role: str, team: _Team | None, hired_on: date, staff: bool = False
    ) -> int:
        rng = self.rng
        user_id = self.ids.take(User)
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        joined = self._moment(hired_on, 9 * 60, team.timezone if team else "UTC")
        self.rows[User].append(
            (
                user_id,
                self.password,
                None,
                staff,
                username,
                first,
                last,
                f"{username}@{EMAIL_DOMAIN}",
                staff,
                True,
                joined,
            )
        )
        self.rows[Profile].append(
            (
                self.ids.take(Profile),
                user_id,
                team.id if team else None,
                role,
                hired_on,
                "",
                secrets.token_urlsafe(32),
                joined,
                joined,
            )
        )
        return user_id

    def _build_people(self) -> None:
        rng, start, today = self.rng, self.start, self.today
        self.admin_id = self._user(
            "bench-admin",
            role="admin",
            team=None,
            hired_on=start - timedelta(days=2000),
            staff=True,
        )
        for n, team in enumerate(self.teams, 1):
            hired = start - timedelta(days=rng.randint(1_000, 3_600))
            team.lead_id = self._user(f"bench-lead-{n:02d}", role="lead", team=team, hired_on=hired)
        # Team sizes vary; every team has at least one manager.
        weights = [rng.uniform(0.6, 1.4) for _ in self.teams]
        counts = [1 + n for n in _apportion(self.sizes.managers - len(self.teams), weights)]
        late_hires = start + timedelta(days=14)  # new hires join between this and today - 45
        for team, count in zip(self.teams, counts, strict=True):
            for _ in range(count):
                index = len(self.managers)
                if rng.random() < 0.12 and (today - late_hires).days > 60:
                    hired = late_hires + timedelta(
                        days=rng.randint(0, (today - late_hires).days - 45)
                    )
                else:
                    hired = start - timedelta(days=rng.randint(60, 2_900))
                user_id = self._user(
                    f"bench-m{index + 1:04d}", role="manager", team=team, hired_on=hired
                )
                manager = _Manager(
                    index=index,
                    id=user_id,
                    team=team,
                    hired_on=hired,
                    first_day=team.cal.index(max(hired, start).toordinal()),
                    style=rng.choices(("mixed", "alternate", "friday_calls"), (70, 20, 10))[0],
                    skill=rng.uniform(0.75, 1.25),
                    postponer=rng.random() < 0.12,
                )
                team.managers.append(manager)
                self.managers.append(manager)
        for team in self.teams:
            created = self._moment(start - timedelta(days=400), 9 * 60, team.timezone)
            self.rows[Team].append(
                (
                    team.id,
                    team.name,
                    self.sectors[team.behaviour.code],
                    team.lead_id,
                    team.timezone,
                    team.work_week,
                    team.country,
                    json.dumps(self._team_rotting[team.id]),
                    secrets.token_urlsafe(32),
                    created,
                    created,
                )
            )

    def _apportion_quotas(self) -> None:
        rng, sizes = self.rng, self.sizes
        days = [max(m.team.cal.today - m.first_day, 1) for m in self.managers]
        drive = [rng.uniform(0.7, 1.3) for _ in self.managers]
        prospects = _apportion(
            sizes.prospects,
            [
                d * f * m.team.behaviour.prospect_weight
                for d, f, m in zip(days, drive, self.managers, strict=True)
            ],
        )
        calls = _apportion(
            sizes.calls,
            [
                d * rng.uniform(0.7, 1.3) * m.team.behaviour.call_weight
                for d, m in zip(days, self.managers, strict=True)
            ],
        )
        meetings = _apportion(
            sizes.meetings,
            [
                d * rng.uniform(0.7, 1.3) * m.team.behaviour.meeting_weight * (p > 0)
                for d, m, p in zip(days, self.managers, prospects, strict=True)
            ],
        )
        for m, p, c, mt in zip(self.managers, prospects, calls, meetings, strict=True):
            m.prospects, m.calls, m.meetings = p, c, mt

    def _build_events(self) -> None:
        rng, today = self.rng, self.today
        utc = self.calendar("UTC", "", "12345")
        for _ in range(self.sizes.event_count):
            team = rng.choice(self.teams) if rng.random() < 0.85 else None
            if team is None:
                kind, title = rng.choice(_COMPANY_EVENTS)
                cal, timezone, city = utc, "UTC", "Online" if kind == "webinar" else "Lisbon"
            else:
                kind, title = rng.choice(team.behaviour.events)
                cal, timezone = team.cal, team.timezone
                city = "Online" if kind == "webinar" else team.city
            upcoming = rng.random() < 0.06
            if upcoming:
                first = rng.randrange(
                    cal.today, cal.index((today + timedelta(days=EVENT_HORIZON_DAYS)).toordinal())
                )
            else:
                first = rng.randrange(cal.index(self.start.toordinal()), max(cal.today - 3, 1))
            length = rng.randint(*_EVENT_DAYS.get(kind, (1, 1)))
            last = min(first + length - 1, len(cal.ordinals) - 1)
            start_day, last_day = (
                date.fromordinal(cal.ordinals[first]),
                date.fromordinal(cal.ordinals[last]),
            )
            if kind == "webinar":
                starts = self._moment(start_day, 15 * 60, timezone)
                ends = starts + timedelta(hours=1)
            elif length == 1:
                starts = self._moment(start_day, rng.choice((9, 10, 14, 17)) * 60, timezone)
                ends = starts + timedelta(hours=rng.randint(2, 4))
            else:
                starts = self._moment(start_day, 9 * 60, timezone)
                ends = self._moment(last_day, 17 * 60, timezone)
            low, high = _EVENT_COST[kind]
            cost = Decimal(rng.randint(low // 50, high // 50) * 50).quantize(Decimal("0.01"))
            event_id = self.ids.take(Event)
            author = team.lead_id if team else self.admin_id
            created = starts - timedelta(days=rng.randint(20, 90))
            self.rows[Event].append(
                (
                    event_id,
                    f"{title} {start_day.year}",
                    kind,
                    starts,
                    ends,
                    city,
                    f"https://events.example/{kind.replace('_', '-')}/{event_id}",
                    cost,
                    team.id if team else None,
                    author,
                    0,
                    created,
                    created,
                )
            )
            share, _ = _EVENT_GOING[kind]
            pool = team.managers if team else self.managers
            if team is None:
                share = min(share, 40 / max(len(pool), 1))
            going = [m for m in pool if rng.random() < share and m.hired_on < start_day]
            if not going and pool and pool[0].hired_on < start_day:
                going = [pool[0]]
            for m in going:
                if upcoming:
                    status = "planned"
                else:
                    status = "attended" if rng.random() < 0.88 else "cancelled"
                if status == "attended":
                    m.events.append((event_id, m.team.cal.index(last_day.toordinal()), kind))
                self.rows[EventAttendance].append(
                    (
                        self.ids.take(EventAttendance),
                        event_id,
                        m.id,
                        status,
                        created,
                        ends if status == "attended" else created,
                    )
                )

    def _build_plans(self) -> None:
        """Monthly plans, all six targets, for the 12 months up to the current one; a new
        hire's first two months are ramped (50%, 75%)."""
        rng, today = self.rng, self.today
        months = []
        year, month = today.year, today.month
        for _ in range(12):
            months.append((year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.reverse()
        for m in self.managers:
            b, cal = m.team.behaviour, m.team.cal
            history = max(cal.today - m.first_day, 1)
            per_day = {
                "calls": m.calls / history,
                "meetings": m.meetings * 0.85 / history,
                "new_prospects": m.prospects / history,
            }
            low, high, _ = b.value
            mean_value = (low + high) / 2
            bias = rng.uniform(0.85, 1.3)
            hired_month = (m.hired_on.year, m.hired_on.month)
            for year, month in months:
                if (year, month) < hired_month:
                    continue
                first = date(year, month, 1)
                last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
                lo = max(cal.index(first.toordinal()), m.first_day)
                hi = cal.index(last.toordinal() + 1)
                days = max(hi - lo, 0)
                tenure = (year - hired_month[0]) * 12 + month - hired_month[1]
                ramp = (0.5, 0.75)[tenure] if tenure < 2 else 1.0
                f = bias * ramp * rng.uniform(0.92, 1.08)
                contracts = round(per_day["new_prospects"] * days * b.conversion * f)
                revenue = Decimal(round(contracts * mean_value * rng.uniform(0.9, 1.1))).quantize(
                    Decimal("0.01")
                )
                created = self._moment(first - timedelta(days=5), 9 * 60, m.team.timezone)
                self.rows[Plan].append(
                    (
                        self.ids.take(Plan),
                        m.id,
                        first,
                        last,
                        contracts,
                        revenue,
                        round(per_day["meetings"] * days * f),
                        round(per_day["calls"] * days * f),
                        round(per_day["new_prospects"] * days * f),
                        round(contracts * b.p_ask * f),
                        m.team.lead_id,
                        created,
                        created,
                    )
                )

    def _build_reviews(self) -> None:
        rng, today = self.rng, self.today
        last_month_end = today.replace(day=1) - timedelta(days=1)
        before_end = last_month_end.replace(day=1) - timedelta(days=1)
        periods = [(end.replace(day=1), end) for end in (last_month_end, before_end)]
        notes = (
            "Over plan on contracts; keep an eye on late close-date moves.",
            "Meetings below the sector band; more time in the field next month.",
            "Good referral habit; push for decision makers in first meetings.",
            "On track. Clean up stale leads before the quarter closes.",
        )
        for team in self.teams:
            for m in rng.sample(team.managers, min(3, len(team.managers))):
                for start, end in periods:
                    if m.hired_on > start:
                        continue
                    written = self._moment(end + timedelta(days=3), 16 * 60, team.timezone)
                    self.rows[PerformanceReview].append(
                        (
                            self.ids.take(PerformanceReview),
                            m.id,
                            team.lead_id,
                            start,
                            end,
                            rng.choice(notes),
                            written,
                            written,
                        )
                    )


# --- one manager's year ------------------------------------------------------------------


class _P:
    """A prospect while it is simulated.

    ``day``/``cursor``: calendar index and epoch second of its latest history, so each new
    step comes after it. ``call_from``/``meet_from``: first day on which a call/held meeting
    changes nothing (it is past `lead`/past `contacted`); ``until``: the day its activity
    stops (lost, onboarding over, or gone quiet). Dates are ordinals.
    """

    __slots__ = (
        "booked",
        "call_from",
        "cday",
        "changes",
        "close",
        "closes",
        "contacts",
        "contract_value",
        "created",
        "cursor",
        "day",
        "dm",
        "event_id",
        "id",
        "lazy",
        "lost_day",
        "lost_from",
        "lost_on",
        "lost_reason",
        "meet_from",
        "name",
        "no_dm",
        "reopened",
        "revisit",
        "signed_day",
        "signed_on",
        "source",
        "stage",
        "touched",
        "until",
        "value",
    )


class _ManagerYear:
    """Simulates one manager's prospects and activity and appends the rows to ``out``."""

    def __init__(self, company: _Company, manager: _Manager, out: dict[type, list[tuple]]) -> None:
        self.c, self.m, self.out = company, manager, out
        self.team = manager.team
        self.b = manager.team.behaviour
        self.cal = manager.team.cal
        self.rng = Random(f"{company.seed}:manager:{manager.index}")
        self.ids = company.ids
        self.prospects: list[_P] = []
        # Lifecycle activity; the last item is the StageChange it made (essential) or None.
        self.calls: list[list[Any]] = []
        self.meetings: list[list[Any]] = []
        self.referrals: list[list[Any]] = []
        hours = self.b.hours
        self.lo, self.hi = hours[0] * 60, hours[1] * 60

    # time --------------------------------------------------------------------------------

    def _gap(self, bounds: tuple[int, int]) -> int:
        return self.rng.randint(*bounds)

    def _time(self, p: _P, day: int) -> int:
        """A moment in working hours on working day ``day`` (not before p's last event)."""
        day = max(day, p.day)
        t = self.cal.midnight[day] + self.rng.randrange(self.lo, self.hi)
        if t <= p.cursor:
            t = p.cursor + self.rng.randrange(60, 1_800)
        p.day, p.cursor = day, t
        return t

    def _at(self, p: _P, day: int) -> int | None:
        """When the next step on ``day`` happens, or None when that is not in the past."""
        if max(day, p.day) >= self.cal.today:
            return None
        if p.stage != LOST:
            self._pushes(p, max(day, p.day))
        return self._time(p, day)

    # history -----------------------------------------------------------------------------

    def _change(self, p: _P, to: str, t: int, note: str = "") -> list[Any]:
        change = [p.stage, to, t, note[:200]]
        p.changes.append(change)
        p.stage, p.touched = to, t
        return change

    def _close_change(self, p: _P, t: int, to: int) -> None:
        p.closes.append((p.close, to, t))
        p.close, p.touched = to, t

    def _pushes(self, p: _P, until: int) -> None:
        """Move the close date later each time it comes before day ``until`` with the deal
        still open; postponers do it in the last working days of the month (a late slip)."""
        cal, rng = self.cal, self.rng
        while p.close is not None and not p.lazy:
            due = cal.index(p.close)
            if due >= until:
                return
            late = self.m.postponer or rng.random() < 0.25
            if late:
                month_last = cal.last_of_month(p.close)
                day = max(p.day, month_last - rng.randrange(LATE_WORKING_DAYS))
            else:
                day = max(p.day, due - rng.randint(0, 3))
            if day >= until:
                return
            t = self._time(p, day)
            new = max(p.close, cal.ordinals[day]) + rng.randint(*self.b.push_days)
            if late:  # into the next month
                new = max(new, _month_end(p.close) + 1 + rng.randint(0, 9))
            self._close_change(p, t, new)

    # activity ----------------------------------------------------------------------------

    def _call(self, p: _P, t: int, outcome: str, kind: str, change: list | None = None) -> None:
        direction = INBOUND if (p.source == "inbound" and change is not None) else OUTBOUND
        self.calls.append([t, p, outcome, kind, direction, self._seconds(outcome), change])

    def _seconds(self, outcome: str) -> int:
        rng = self.rng
        if outcome == NO_ANSWER:
            return rng.randint(0, 45)
        if outcome == REFUSED:
            return rng.randint(20, 150)
        return rng.randint(120, 1_500)

    def _meeting(
        self, p: _P, start: int, status: str, change: list | None = None, sequence: int = 0
    ) -> None:
        minutes = self.rng.randint(*self.b.meeting_minutes)
        self.meetings.append([start, minutes, p, status, sequence, True, change])

    def _plan_meeting(self, p: _P, day: int) -> None:
        """The next meeting of a deal falls after today: it is on the agenda if soon."""
        day = max(day, p.day, self.cal.today)
        if day < self.cal.agenda_end:
            start = self.cal.midnight[day] + self.rng.randrange(self.lo, self.hi - 3_600)
            self._meeting(p, start, PLANNED)

    # a prospect's life -------------------------------------------------------------------

    def _new_prospect(
        self, cday: int, source: str, event_id: int | None = None, stage: str | None = None
    ) -> _P:
        rng, b = self.rng, self.b
        p = _P()
        p.id = self.ids.take(Prospect)
        p.cday, p.day, p.cursor = cday, cday, 0
        p.created = self._time(p, cday)
        p.touched = p.created
        p.source, p.event_id = source, event_id
        first, second = b.companies
        p.name = f"{rng.choice(first)} {rng.choice(second)} {p.id}"
        low, high, step = b.value
        p.value = rng.randrange(low, high + 1, step) if rng.random() < 0.85 else None
        p.changes, p.closes = [], []
        p.close = None
        p.booked = p.reopened = False
        p.call_from = p.meet_from = p.until = p.lost_day = p.signed_day = None
        p.lost_from, p.lost_reason, p.lost_on, p.revisit = "", "", None, None
        p.signed_on = p.contract_value = None
        # contacts: 1-3, sometimes one of them decides
        n = rng.choices((1, 2, 3), (50, 35, 15))[0]
        dm = rng.randrange(n) if rng.random() < b.p_has_dm else -1
        p.dm = dm >= 0
        p.no_dm = rng.random() < b.p_no_dm
        p.lazy = rng.random() < 0.15  # lets its close date go overdue
        created = _dt(p.created)
        p.contacts = []
        company = p.name.rsplit(" ", 1)[0].split(" ")[0].lower().replace("&", "and")
        for i in range(n):
            contact_id = self.ids.take(Contact)
            first_name, last_name = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            title = rng.choice(b.dm_titles if i == dm else b.staff_titles)
            self.out[Contact].append(
                (
                    contact_id,
                    p.id,
                    f"{first_name} {last_name}",
                    title,
                    f"{first_name}.{last_name}@{company}.example".lower(),
                    f"+1 555 {rng.randrange(10_000_000):07d}",
                    i == dm,
                    created,
                    created,
                )
            )
            p.contacts.append((contact_id, i == dm))
        # initial stage, like prospect_create
        if stage is not None:
            p.stage = stage
        elif source == "event":
            p.stage = rng.choices((LEAD, CONTACTED, MEETING), (40, 55, 5))[0]
        elif source in ("inbound", "referral"):
            p.stage = CONTACTED if rng.random() < 0.45 else LEAD
        else:
            p.stage = LEAD
        p.changes.append(["", p.stage, p.created, ""])
        if p.stage != LEAD:
            p.call_from = cday + 1
        if p.stage in (MEETING, PROPOSAL):
            p.meet_from = cday + 1
        if p.stage == PROPOSAL or rng.random() < b.p_close_at_create:
            self._close_change(p, p.created, self.cal.ordinals[cday] + self._gap(b.close_days))
        self.prospects.append(p)
        return p

    def _odds(self, p: _P, base: float) -> float:
        return min(base * self.m.skill * _LIFT[p.source], 0.97)

    def _live(self, p: _P) -> None:
        steps: dict[str, Callable[[_P], str | None]] = {
            LEAD: self._lead,
            CONTACTED: self._contacted,
            MEETING: self._meeting_stage,
            PROPOSAL: self._proposal,
        }
        stage: str | None = p.stage
        while stage is not None:
            stage = steps[stage](p)
        self._finish(p)

    def _lead(self, p: _P) -> str | None:
        rng, b = self.rng, self.b
        reached = rng.random() < self._odds(p, b.p_reach)
        attempts = rng.choice(_ATTEMPTS) + (0 if reached else 1)
        for _ in range(attempts):
            t = self._at(p, p.day + self._gap(b.reach_gap))
            if t is None:
                return None
            self._call(p, t, NO_ANSWER if rng.random() < 0.85 else REFUSED, COLD)
        if not reached:  # most stay leads; some are given up
            if rng.random() < 0.25:
                return self._lose(p, p.day + self._gap((2, 15)))
            return None
        if rng.random() < b.p_skip_contacted:
            return self._first_meeting(p)  # met straight away: lead → meeting
        t = self._at(p, p.day + self._gap(b.reach_gap))
        if t is None:
            return None
        p.booked = rng.random() < 0.3
        change = self._change(p, CONTACTED, t, "call")
        kind = COLD if p.source == "cold_call" else FOLLOW_UP
        self._call(p, t, MEETING_BOOKED if p.booked else TALKED, kind, change)
        p.call_from = p.day + 1
        return CONTACTED

    def _contacted(self, p: _P) -> str | None:
        rng, b = self.rng, self.b
        if p.booked or rng.random() < self._odds(p, b.p_meet):
            return self._first_meeting(p)
        for _ in range(rng.randint(0, 2)):
            t = self._at(p, p.day + self._gap(b.meet_gap))
            if t is None:
                return None
            self._call(p, t, TALKED if rng.random() < 0.6 else NO_ANSWER, FOLLOW_UP)
        if rng.random() < 0.3:
            return self._lose(p, p.day + self._gap(b.meet_gap))
        return None

    def _first_meeting(self, p: _P) -> str | None:
        """The first held meeting moves a lead or contacted prospect to `meeting`."""
        rng, b = self.rng, self.b
        day = p.day + self._gap(b.meet_gap)
        if rng.random() < 0.12:  # called off first, then met
            t = self._at(p, day)
            if t is None:
                self._plan_meeting(p, day)
                return None
            cancelled = rng.random() < 0.6
            self._meeting(p, t, CANCELLED if cancelled else NO_SHOW, sequence=int(cancelled))
            day = p.day + self._gap((2, 6))
        t = self._at(p, day)
        if t is None:
            self._plan_meeting(p, day)
            return None
        change = self._change(p, MEETING, t, "meeting held")
        self._meeting(p, t, HELD, change)
        if p.call_from is None:
            p.call_from = p.day + 1
        p.meet_from = p.day + 1
        if p.close is None and rng.random() < 0.5:
            self._close_change(p, t + 60, self.cal.ordinals[p.day] + self._gap(b.close_days) + 20)
            p.cursor = t + 60
        return MEETING

    def _meeting_stage(self, p: _P) -> str | None:
        rng, b = self.rng, self.b
        more = rng.randint(*b.more_meetings)
        if p.no_dm:
            more = max(more, 3)
        for _ in range(more):
            if rng.random() < 0.4:
                t = self._at(p, p.day + rng.randint(1, 3))
                if t is None:
                    return None
                self._call(p, t, TALKED if rng.random() < 0.7 else NO_ANSWER, FOLLOW_UP)
            day = p.day + self._gap(b.meeting_gap)
            t = self._at(p, day)
            if t is None:
                self._plan_meeting(p, day)
                return None
            self._meeting(p, t, HELD if rng.random() < 0.9 else NO_SHOW)
        if p.no_dm:  # stalled: the decision maker never comes
            return self._lose(p, p.day + self._gap((10, 40))) if rng.random() < 0.3 else None
        if rng.random() >= self._odds(p, b.p_proposal):
            return self._lose(p, p.day + self._gap(b.meeting_gap)) if rng.random() < 0.4 else None
        t = self._at(p, p.day + self._gap(b.proposal_gap))
        if t is None:
            return None
        self._change(p, PROPOSAL, t)
        target = self.cal.ordinals[p.day] + self._gap(b.close_days)
        if p.close is None or p.close < target:
            self._close_change(p, t, target)
        return PROPOSAL

    def _proposal(self, p: _P) -> str | None:
        rng, b = self.rng, self.b
        if rng.random() < 0.06:  # back to `meeting` for another round, then a new proposal
            t = self._at(p, p.day + self._gap((2, 6)))
            if t is None:
                return None
            self._change(p, MEETING, t)
            day = p.day + self._gap(b.meeting_gap)
            t = self._at(p, day)
            if t is None:
                self._plan_meeting(p, day)
                return None
            self._meeting(p, t, HELD)
            t = self._at(p, p.day + self._gap(b.proposal_gap))
            if t is None:
                return None
            self._change(p, PROPOSAL, t)
        decision = p.day + self._gap(b.decide_gap)
        if decision >= self.cal.today:
            return None
        if rng.random() >= self._odds(p, b.p_win):
            return self._lose(p, decision)
        decided = self.cal.ordinals[decision]
        if (
            p.close is not None
            and not p.lazy
            and p.close > _month_end(decided)
            and rng.random() < 0.35
        ):  # the client decides early: pulled into this month
            t = self._at(p, max(p.day, decision - rng.randint(1, 3)))
            if t is None:
                return None
            self._close_change(p, t, decided)
        t = self._at(p, decision)
        if t is None:
            return None
        self._change(p, CONTRACT, t)
        low, _, step = b.value
        value = p.value if p.value is not None else rng.randrange(low, low * 4, step)
        p.contract_value = round(value * rng.uniform(0.85, 1.1) / step) * step
        p.signed_on, p.signed_day = self.cal.ordinals[p.day], p.day
        return None

    def _lose(self, p: _P, day: int) -> str | None:
        rng = self.rng
        t = self._at(p, day)
        if t is None:
            return None
        lost_from = p.stage
        reason = rng.choice(_LOSS_REASONS[lost_from])
        self._change(p, LOST, t, reason)
        p.lost_from, p.lost_reason = lost_from, reason
        p.lost_on = self.cal.ordinals[p.day]
        p.revisit = p.lost_on + rng.randint(30, 180) if rng.random() < 0.3 else None
        if p.lost_day is None:
            p.lost_day = p.day
        if p.reopened or rng.random() >= 0.05:
            return None
        t = self._at(p, p.day + self._gap((10, 60)))  # a refusal is not forever
        if t is None:
            return None
        self._change(p, lost_from, t, "reopened")
        p.lost_from, p.lost_reason, p.lost_on, p.revisit = "", "", None, None
        p.reopened = True
        return lost_from

    def _finish(self, p: _P) -> None:
        """Close-date pushes up to today for an open deal, and until when it gets activity."""
        rng = self.rng
        if p.lost_day is not None:
            p.until = p.lost_day
        elif p.stage == CONTRACT:
            after = self.b.after_sign
            p.until = p.signed_day + after if after is not None else self.cal.agenda_end
        else:
            p.until = p.day + rng.randint(5, 60)  # then it goes quiet (stale)
            # Nobody keeps the close date of a forgotten lead up to date, nor of a quiet deal.
            if rng.random() < (0.8 if p.stage in (LEAD, CONTACTED) else 0.3):
                p.lazy = True
            if p.stage != LOST:
                self._pushes(p, min(p.until, self.cal.today))

    # referrals ---------------------------------------------------------------------------

    def _referrals(self, slots: int) -> list[tuple[int, _P, int]]:
        """Ask clients (and a few open proposals) for referrals; a received one brings a new
        prospect (at most ``slots``). Returns the received ones as (index in
        ``self.referrals``, the client, the day it was received)."""
        rng, cal, b = self.rng, self.cal, self.b
        received: list[tuple[int, _P, int]] = []
        asks = []
        for p in self.prospects:
            if p.signed_day is not None:
                n = (rng.random() < b.p_ask) + (rng.random() < 0.15)
                start = p.signed_day
            elif p.stage == PROPOSAL and rng.random() < 0.1:
                n, start = 1, p.day
            else:
                continue
            for _ in range(n):
                day = start + rng.randint(1, 20)
                if day < cal.today:
                    asks.append((day, p))
        asks.sort(key=lambda a: (a[0], a[1].id))
        for day, p in asks:
            answer = day + rng.randint(2, 15)
            roll = rng.random()
            if answer >= cal.today or roll >= 0.75:
                status, answered = ASKED, None
            elif roll < 0.4 and len(received) < slots:
                status, answered = RECEIVED, answer
            else:
                status, answered = DECLINED, answer
            asked_on = cal.ordinals[day]
            created = _dt(cal.midnight[day] + self.lo + 3_600)
            self.referrals.append([status, p, asked_on, answered, created])
            if status == RECEIVED:
                received.append((len(self.referrals) - 1, p, answer))
        return received

    # fillers -----------------------------------------------------------------------------

    def _day_weights(self) -> tuple[list[float], list[float]]:
        """Call and meeting weights per calendar index, by habit, with two holidays off."""
        rng, cal, m = self.rng, self.cal, self.m
        size = cal.agenda_end
        calls, meets = [0.0] * size, [0.0] * size
        off: set[int] = set()
        span = cal.today - m.first_day
        for _ in range(2 if span > 60 else 0):
            first = m.first_day + rng.randrange(span - 10)
            off.update(range(first, first + rng.randint(5, 10)))
        parity = rng.randrange(2)
        for d in range(m.first_day, size):
            if d in off:
                continue
            noise = rng.uniform(0.6, 1.4)
            if m.style == "alternate":
                meeting_day = (d + parity) % 2 == 0
                cw, mw = (0.25, 1.8) if meeting_day else (1.75, 0.15)
            elif m.style == "friday_calls":
                friday = date.fromordinal(cal.ordinals[d]).isoweekday() == 5
                cw, mw = (2.0, 0.2) if friday else (0.75, 1.15)
            else:
                cw, mw = 1.0, 1.0
            if d < cal.today:
                calls[d] = cw * noise
            meets[d] = mw * noise
        return calls, meets

    def _fill(self) -> None:
        """Top the manager's calls and meetings up to the quota, on prospects at a stage
        where the activity changes nothing (or cold dialling, for calls)."""
        rng, cal = self.rng, self.cal
        self.calls = self._trim(self.calls, self.m.calls)
        self.meetings = self._trim(self.meetings, self.m.meetings)
        call_w, meet_w = self._day_weights()
        # meetings: on days some prospect can be met, on one that can
        meetable = [
            (p.meet_from, min(p.until, cal.agenda_end), p)
            for p in self.prospects
            if p.meet_from is not None and p.meet_from < min(p.until, cal.agenda_end)
        ]
        held_ok = True
        if not meetable:  # nobody ever got to `meeting`: only meetings that did not happen
            held_ok = False
            meetable = [
                (p.cday + 1, min(p.until or cal.agenda_end, cal.agenda_end), p)
                for p in self.prospects
                if p.cday + 1 < min(p.until or cal.agenda_end, cal.agenda_end)
            ]
        extra = self.m.meetings - len(self.meetings)
        if extra > 0:
            if not meetable:
                raise ValueError(
                    f"Manager {self.m.index} has {extra} meetings to place and no prospect "
                    "to meet: ask for more prospects or fewer meetings."
                )
            active = [0] * (cal.agenda_end + 1)
            for start, end, _ in meetable:
                active[start] += 1
                active[end] -= 1
            running, weights, reachable = 0, [], []
            for d in range(cal.agenda_end):
                running += active[d]
                reachable.append(1.0 if running else 0.0)
                weights.append(meet_w[d] * min(1.0, running / 3))
            if sum(weights) <= 0:  # only on days off: any day with someone to meet
                weights = reachable
            for day, p in self._sweep(self._pick_days(weights, extra), meetable):
                start = cal.midnight[day] + rng.randrange(self.lo, self.hi - 1_800)
                if day >= cal.today:
                    status = PLANNED
                else:
                    roll = rng.random()
                    status = HELD if roll < 0.85 else CANCELLED if roll < 0.94 else NO_SHOW
                    if not held_ok and status == HELD:
                        status = CANCELLED
                self._meeting(p, start, status, sequence=int(status == CANCELLED))
                self.meetings[-1][5] = False  # filler: attendees less often
        extra = self.m.calls - len(self.calls)
        if extra > 0:
            callable_ = [
                (p.call_from, min(p.until, cal.today), p)
                for p in self.prospects
                if p.call_from is not None and p.call_from < min(p.until, cal.today)
            ]
            weights = call_w
            if sum(weights) <= 0:
                weights = [1.0] * cal.today
                weights[: self.m.first_day] = [0.0] * self.m.first_day
            for day, p in self._sweep(self._pick_days(weights, extra), callable_):
                t = cal.midnight[day] + rng.randrange(self.lo, self.hi)
                if p is None or rng.random() < 0.3:  # cold dialling, no prospect
                    outcome = rng.choices(
                        (NO_ANSWER, TALKED, REFUSED, MEETING_BOOKED), (60, 25, 12, 3)
                    )[0]
                    self.calls.append(
                        [t, None, outcome, COLD, OUTBOUND, self._seconds(outcome), None]
                    )
                else:
                    outcome = rng.choices(
                        (TALKED, NO_ANSWER, MEETING_BOOKED, REFUSED), (55, 30, 10, 5)
                    )[0]
                    direction = INBOUND if rng.random() < 0.12 else OUTBOUND
                    self.calls.append(
                        [t, p, outcome, FOLLOW_UP, direction, self._seconds(outcome), None]
                    )

    def _trim(self, items: list[list[Any]], quota: int) -> list[list[Any]]:
        """Keep at most ``quota`` lifecycle items: drop optional ones first; an essential
        one dropped leaves its stage change as a move by hand."""
        extra = len(items) - quota
        if extra <= 0:
            return items
        optional = [i for i, item in enumerate(items) if item[-1] is None]
        drop = set(self.rng.sample(optional, min(extra, len(optional))))
        if extra > len(drop):
            essential = [i for i, item in enumerate(items) if item[-1] is not None]
            for i in self.rng.sample(essential, extra - len(drop)):
                items[i][-1][3] = ""  # the StageChange loses its "call"/"meeting held" note
                drop.add(i)
        return [item for i, item in enumerate(items) if i not in drop]

    def _pick_days(self, weights: list[float], n: int) -> list[int]:
        cumulative, total = [], 0.0
        for w in weights:
            total += w
            cumulative.append(total)
        return sorted(self.rng.choices(range(len(weights)), cum_weights=cumulative, k=n))

    def _sweep(
        self, days: list[int], spans: list[tuple[int, int, _P]]
    ) -> Iterable[tuple[int, _P | None]]:
        """For each day (ascending), a random prospect whose span [start, end) holds it."""
        rng = self.rng
        spans = sorted(spans, key=lambda s: (s[0], s[2].id))
        ends: list[tuple[int, int]] = []
        active: list[_P] = []
        where: dict[int, int] = {}
        i = 0
        for day in days:
            while i < len(spans) and spans[i][0] <= day:
                _, end, p = spans[i]
                where[p.id] = len(active)
                active.append(p)
                heapq.heappush(ends, (end, p.id))
                i += 1
            while ends and ends[0][0] <= day:
                _, pid = heapq.heappop(ends)
                at = where.pop(pid)
                last = active.pop()
                if last.id != pid:
                    active[at] = last
                    where[last.id] = at
            yield day, (active[rng.randrange(len(active))] if active else None)

    # the whole year ----------------------------------------------------------------------

    def run(self) -> None:
        rng, cal, m = self.rng, self.cal, self.m
        total = m.prospects
        if total:
            referral_slots = round(total * 0.06)
            event_slots = []
            for event_id, last_day, kind in m.events:
                for _ in range(_poisson(rng, _EVENT_GOING[kind][1])):
                    day = last_day + rng.randint(1, 3)  # after the event
                    if day < cal.today:
                        event_slots.append((day, event_id))
            rng.shuffle(event_slots)
            event_slots = event_slots[: total // 7]
            plain = total - referral_slots - len(event_slots)  # ≥ 0: 6% + 1/7 < 100%
            births = [(day, "event", event_id, None) for day, event_id in event_slots]
            if m.first_day == cal.index(self.c.start.toordinal()):
                # On their first day with Funnelbook, managers enter the deals they already
                # work on: the year does not start with an empty pipeline.
                imported = round(plain * 0.05)
                plain -= imported
                births += [
                    (
                        m.first_day + rng.randint(0, 2),
                        self._source(),
                        None,
                        rng.choices((CONTACTED, MEETING, PROPOSAL), (30, 40, 30))[0],
                    )
                    for _ in range(imported)
                ]
            births += [(self._any_day(), self._source(), None, None) for _ in range(plain)]
            births.sort(key=lambda x: x[0])
            for day, source, event_id, stage in births:
                self._live(self._new_prospect(day, source, event_id, stage))
            received = self._referrals(referral_slots)
            for index, _, day in received:
                p = self._new_prospect(day, "referral")
                self.referrals[index].append(p)
                self._live(p)
            for _ in range(referral_slots - len(received)):
                self._live(self._new_prospect(self._any_day(), self._source()))
        self._fill()
        self._emit()

    def _any_day(self) -> int:
        return self.rng.randrange(self.m.first_day, max(self.cal.today, self.m.first_day + 1))

    def _source(self) -> str:
        return self.rng.choices(("cold_call", "inbound", "other"), (55, 20, 25))[0]

    # rows --------------------------------------------------------------------------------

    def _emit(self) -> None:
        out, ids, m, rng = self.out, self.ids, self.m, self.rng
        owner = m.id
        prospect_rows, change_rows, close_rows = (
            out[Prospect],
            out[StageChange],
            out[CloseDateChange],
        )
        for p in self.prospects:
            prospect_rows.append(
                (
                    p.id,
                    owner,
                    p.name,
                    p.stage,
                    p.lost_from,
                    p.source,
                    p.event_id,
                    p.value,
                    None if p.close is None else date.fromordinal(p.close),
                    p.contract_value,
                    None if p.signed_on is None else date.fromordinal(p.signed_on),
                    p.lost_reason,
                    None if p.lost_on is None else date.fromordinal(p.lost_on),
                    None if p.revisit is None else date.fromordinal(p.revisit),
                    _dt(p.created),
                    _dt(p.touched),
                )
            )
            for from_stage, to_stage, t, note in p.changes:
                change_rows.append(
                    (ids.take(StageChange), p.id, from_stage, to_stage, _dt(t), owner, note, owner)
                )
            for from_date, to_date, t in p.closes:
                close_rows.append(
                    (
                        ids.take(CloseDateChange),
                        p.id,
                        None if from_date is None else date.fromordinal(from_date),
                        date.fromordinal(to_date),
                        _dt(t),
                        owner,
                        owner,
                    )
                )
        call_rows = out[Call]
        self.calls.sort(key=lambda c: (c[0], c[1].id if c[1] is not None else 0))
        for t, p, outcome, kind, direction, seconds, _ in self.calls:
            at = _dt(t)
            done = _dt(t + seconds)
            call_rows.append(
                (
                    ids.take(Call),
                    owner,
                    p.id if p is not None else None,
                    at,
                    _DURATION[seconds],
                    direction,
                    kind,
                    outcome,
                    "",
                    done,
                    done,
                )
            )
        meeting_rows, attendee_rows = out[Meeting], out[_MeetingAttendee]
        locations, notes = self.b.locations, self.b.notes
        now = self.cal.midnight[self.cal.today] - 3_600
        self.meetings.sort(key=lambda x: (x[0], x[2].id))
        for start, minutes, p, status, sequence, lifecycle, _ in self.meetings:
            meeting_id = ids.take(Meeting)
            dm_present = False
            if rng.random() < (0.75 if lifecycle else 0.3):
                people = [c for c in p.contacts if not (c[1] and p.no_dm)]
                if people:
                    chosen = rng.sample(people, min(len(people), rng.choice((1, 1, 2))))
                    chosen.sort()
                    for contact_id, is_dm in chosen:
                        attendee_rows.append((ids.take(_MeetingAttendee), meeting_id, contact_id))
                        dm_present = dm_present or is_dm
            elif status == HELD and p.dm and not p.no_dm and rng.random() < 0.15:
                dm_present = True  # set by hand
            end = start + minutes * 60
            created = max(p.created, min(start - 86_400 * rng.randint(0, 7), now))
            updated = end if status == HELD else max(created, min(start, now))
            meeting_rows.append(
                (
                    meeting_id,
                    owner,
                    p.id,
                    _dt(start),
                    _dt(end),
                    rng.choice(locations),
                    status,
                    dm_present,
                    rng.choice(notes),
                    sequence,
                    "",
                    _dt(created),
                    _dt(updated),
                )
            )
        referral_rows = out[Referral]
        for item in self.referrals:
            status, p, asked_on, answered, created = item[:5]
            referred = item[5].id if len(item) > 5 else None
            answered_on = (
                None if answered is None else date.fromordinal(self.cal.ordinals[answered])
            )
            updated = (
                created if answered is None else _dt(self.cal.midnight[answered] + self.lo + 3_600)
            )
            referral_rows.append(
                (
                    ids.take(Referral),
                    owner,
                    p.id,
                    date.fromordinal(asked_on),
                    status,
                    referred,
                    answered_on,
                    "",
                    created,
                    updated,
                )
            )


# --- loading -----------------------------------------------------------------------------


class _Loader:
    """COPY rows into one table at a time, counting rows and seconds per table."""

    def __init__(self, cursor: Any, *, progress: bool, totals: dict[type, int | None]) -> None:
        self.cursor = cursor
        self.rows: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.bars = {
            model: tqdm(
                total=totals.get(model),
                desc=f"{_table(model):<26}",
                unit=" rows",
                unit_scale=True,
                position=i,
                leave=True,
                disable=not progress,
                mininterval=0.5,
            )
            for i, model in enumerate((*_COMPANY_MODELS, *_BATCH_MODELS))
        }

    def copy(self, model: type, rows: list[tuple]) -> None:
        if not rows:
            return
        table = _table(model)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in _COLUMNS[model])
        started = time.perf_counter()
        with self.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.seconds[table] += time.perf_counter() - started
        self.rows[table] += len(rows)
        self.bars[model].update(len(rows))

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def domain_row_counts() -> dict[str, int]:
    """Rows in the domain tables and users made by this generator; empty means none."""
    counts = {}
    with connection.cursor() as cursor:
        for table in domain_tables():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            n = cursor.fetchone()[0]
            if n:
                counts[table] = n
    bench_users = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").count()
    if bench_users:
        counts[f"{_table(User)} (bench users)"] = bench_users
    return counts


def reset() -> None:
    """Empty the domain tables and delete the users this generator made."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = ", ".join(quote(t) for t in domain_tables())
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY")
    # Through the ORM: tokens, admin log entries and the like of these users go too.
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()


def build(
    *,
    sizes: Sizes,
    seed: int,
    today: date,
    reset_first: bool = False,
    progress: bool = True,
    vacuum: bool = True,
    check: bool = True,
) -> LoadReport:
    """Generate the data set and load it, all in one transaction.

    Raises ``NotPostgreSQLError`` off PostgreSQL and ``DatabaseNotEmptyError`` when domain
    rows exist and ``reset_first`` is false. ``vacuum`` runs VACUUM (ANALYZE) after the
    commit (impossible inside an outer transaction, e.g. a test's: then only ANALYZE);
    ``check`` runs ``consistency_problems()`` on the result.
    """
    if connection.vendor != "postgresql":
        raise NotPostgreSQLError(
            f"The bench generator loads with PostgreSQL COPY; this database is {connection.vendor}."
        )
    _check_columns()
    started = time.perf_counter()
    with transaction.atomic():
        existing = domain_row_counts()
        if existing and not reset_first:
            listed = ", ".join(f"{t}: {n:,}" for t, n in existing.items())
            raise DatabaseNotEmptyError(
                f"The database already holds domain rows ({listed}). Use an empty database "
                "or pass --reset to replace them."
            )
        if existing:
            reset()
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            ids, sectors = _prepare(raw)
            tick = time.perf_counter()
            company = _Company(sizes=sizes, seed=seed, today=today, sectors=sectors, ids=ids)
            simulate = time.perf_counter() - tick
            totals: dict[type, int | None] = {m: len(rows) for m, rows in company.rows.items()}
            totals.update({Prospect: sizes.prospects, Call: sizes.calls, Meeting: sizes.meetings})
            loader = _Loader(raw, progress=progress, totals=totals)
            try:
                simulate += _load(company, loader)
            finally:
                loader.close()
            tick = time.perf_counter()
            _move_sequences(raw)
            services.prospect_activity_refresh()
            services.prospect_history_refresh()
            services.activity_days_refresh()
            finish = time.perf_counter() - tick
    tick = time.perf_counter()
    _analyze(vacuum=vacuum and not connection.in_atomic_block)
    finish += time.perf_counter() - tick
    tick = time.perf_counter()
    problems = consistency_problems(today=today) if check else []
    check_seconds = time.perf_counter() - tick
    rows = {_table(m): loader.rows[_table(m)] for m in (*_COMPANY_MODELS, *_BATCH_MODELS)}
    return LoadReport(
        rows=rows,
        copy_seconds={t: loader.seconds[t] for t in rows},
        simulate_seconds=simulate,
        finish_seconds=finish,
        check_seconds=check_seconds,
        total_seconds=time.perf_counter() - started,
        problems=problems,
    )


def _prepare(raw: Any) -> tuple[_Ids, dict[str, int]]:
    """Lock the tables, take the first free id of each, and read the seeded sectors."""
    quote = connection.ops.quote_name
    # Nobody else writes these tables meanwhile: the ids assigned here stay ours.
    tables = ", ".join(quote(_table(m)) for m in _COLUMNS)
    raw.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    # Foreign keys are checked at the end of each COPY instead of piling up until COMMIT.
    raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
    next_ids = {}
    for model in _COLUMNS:
        raw.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {quote(_table(model))}")
        next_ids[model] = raw.fetchone()[0]
    raw.execute("SELECT code, id FROM funnel_sector")
    sectors = dict(raw.fetchall())
    missing = {b.code for b in _BEHAVIOURS} - set(sectors)
    if missing:
        raise RuntimeError(f"Sectors {sorted(missing)} are missing: run migrate.")
    return _Ids(next_ids), sectors


def _load(company: _Company, loader: _Loader) -> float:
    """COPY the company, then the managers' years batch by batch; returns the seconds
    spent simulating."""
    for model in _COMPANY_MODELS:
        loader.copy(model, company.rows[model])
    company.rows.clear()
    simulate = 0.0
    batch: dict[type, list[tuple]] = {model: [] for model in _BATCH_MODELS}
    for manager in company.managers:
        tick = time.perf_counter()
        _ManagerYear(company, manager, batch).run()
        simulate += time.perf_counter() - tick
        if len(batch[Prospect]) >= BATCH_PROSPECTS:
            _flush(loader, batch)
    _flush(loader, batch)
    return simulate


def _flush(loader: _Loader, batch: dict[type, list[tuple]]) -> None:
    for model in _BATCH_MODELS:  # in foreign-key order
        loader.copy(model, batch[model])
        batch[model] = []


def _move_sequences(raw: Any) -> None:
    """Set every sequence past the ids loaded, so the application's inserts do not collide."""
    for model in _COLUMNS:
        table = _table(model)
        raw.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {connection.ops.quote_name(table)}), false)",
            [table],
        )


def _analyze(*, vacuum: bool) -> None:
    """Planner statistics for the reports; VACUUM also sets the visibility map (index-only
    scans) and hint bits, so the first benchmark run does not pay for them."""
    with connection.cursor() as cursor:
        for model in (*_COLUMNS, ActivityDay):
            table = connection.ops.quote_name(_table(model))
            cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")


# --- consistency, in SQL (fast enough for the full size) -----------------------------------

_CHECKS = (
    (
        "stage or close-date change whose owner is not its prospect's",
        """SELECT (SELECT count(*) FROM crm_stagechange s
                   JOIN crm_prospect p ON p.id = s.prospect_id WHERE s.owner_id <> p.owner_id)
                + (SELECT count(*) FROM crm_closedatechange c
                   JOIN crm_prospect p ON p.id = c.prospect_id WHERE c.owner_id <> p.owner_id)""",
    ),
    (
        "prospects without a StageChange",
        """SELECT count(*) FROM crm_prospect p
           WHERE NOT EXISTS (SELECT 1 FROM crm_stagechange s WHERE s.prospect_id = p.id)""",
    ),
    (
        "stage history out of chain (first from '', at created_at; each from = previous to; "
        "in time order; stage = last to)",
        """WITH h AS (
             SELECT s.prospect_id, s.from_stage, s.to_stage, s.changed_at,
                    lag(s.to_stage) OVER w AS prev_to, lag(s.changed_at) OVER w AS prev_at,
                    row_number() OVER w AS n,
                    count(*) OVER (PARTITION BY s.prospect_id) AS total
             FROM crm_stagechange s
             WINDOW w AS (PARTITION BY s.prospect_id ORDER BY s.changed_at, s.id))
           SELECT count(*) FROM h JOIN crm_prospect p ON p.id = h.prospect_id
           WHERE (h.n = 1 AND (h.from_stage <> '' OR h.changed_at <> p.created_at))
              OR (h.n > 1 AND (h.from_stage IS DISTINCT FROM h.prev_to
                               OR h.changed_at < h.prev_at))
              OR (h.n = h.total AND h.to_stage <> p.stage)""",
    ),
    (
        "closed-state fields disagree with the stage",
        """SELECT count(*) FROM crm_prospect p
           WHERE (p.stage = 'contract') <> (p.signed_on IS NOT NULL)
              OR (p.stage = 'contract') <> (p.contract_value IS NOT NULL)
              OR (p.stage = 'lost') <> (p.lost_on IS NOT NULL)
              OR (p.stage = 'lost') <> (p.lost_from_stage <> '')
              OR (p.stage <> 'lost' AND (p.lost_reason <> '' OR p.revisit_on IS NOT NULL))
              OR p.revisit_on <= p.lost_on""",
    ),
    (
        "lost_from_stage is not the stage the prospect was lost from",
        """SELECT count(*) FROM crm_prospect p
           JOIN LATERAL (SELECT from_stage FROM crm_stagechange s WHERE s.prospect_id = p.id
                         ORDER BY changed_at DESC, id DESC LIMIT 1) last ON true
           WHERE p.stage = 'lost' AND last.from_stage <> p.lost_from_stage""",
    ),
    (
        "signed_on or lost_on before the local day of creation, or after the stage change",
        """SELECT count(*) FROM crm_prospect p
           JOIN crm_profile pr ON pr.user_id = p.owner_id JOIN crm_team t ON t.id = pr.team_id
           WHERE p.signed_on < (p.created_at AT TIME ZONE t.timezone)::date
              OR p.lost_on < (p.created_at AT TIME ZONE t.timezone)::date
              OR p.signed_on <> (SELECT (max(changed_at) AT TIME ZONE t.timezone)::date
                                 FROM crm_stagechange s
                                 WHERE s.prospect_id = p.id AND s.to_stage = 'contract')""",
    ),
    (
        "close-date history out of chain (first from NULL; from = previous to; last to = "
        "expected_close_date; not before creation; in time order)",
        """WITH h AS (
             SELECT c.prospect_id, c.from_date, c.to_date, c.changed_at,
                    lag(c.to_date) OVER w AS prev_to, lag(c.changed_at) OVER w AS prev_at,
                    row_number() OVER w AS n,
                    count(*) OVER (PARTITION BY c.prospect_id) AS total
             FROM crm_closedatechange c
             WINDOW w AS (PARTITION BY c.prospect_id ORDER BY c.changed_at, c.id))
           SELECT count(*) FROM h JOIN crm_prospect p ON p.id = h.prospect_id
           WHERE (h.n = 1 AND h.from_date IS NOT NULL)
              OR (h.n > 1 AND (h.from_date IS DISTINCT FROM h.prev_to
                               OR h.changed_at < h.prev_at))
              OR (h.n = h.total AND h.to_date IS DISTINCT FROM p.expected_close_date)
              OR h.changed_at < p.created_at""",
    ),
    (
        "expected_close_date set without a CloseDateChange",
        """SELECT count(*) FROM crm_prospect p WHERE p.expected_close_date IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM crm_closedatechange c WHERE c.prospect_id = p.id)""",
    ),
    (
        "close date changed while the prospect was signed or lost",
        """SELECT count(*) FROM crm_closedatechange c
           JOIN LATERAL (SELECT to_stage FROM crm_stagechange s
                         WHERE s.prospect_id = c.prospect_id AND s.changed_at <= c.changed_at
                         ORDER BY changed_at DESC, id DESC LIMIT 1) st ON true
           WHERE st.to_stage IN ('contract', 'lost')""",
    ),
    (
        "a call reached a lead without moving it to contacted",
        """SELECT count(*) FROM crm_call c
           JOIN LATERAL (SELECT to_stage FROM crm_stagechange s
                         WHERE s.prospect_id = c.prospect_id AND s.changed_at <= c.at
                         ORDER BY changed_at DESC, id DESC LIMIT 1) st ON true
           WHERE c.outcome IN ('talked', 'meeting_booked') AND st.to_stage = 'lead'""",
    ),
    (
        "a held meeting left its prospect below `meeting`",
        """SELECT count(*) FROM crm_meeting m
           JOIN LATERAL (SELECT to_stage FROM crm_stagechange s
                         WHERE s.prospect_id = m.prospect_id AND s.changed_at <= m.starts_at
                         ORDER BY changed_at DESC, id DESC LIMIT 1) st ON true
           WHERE m.status = 'held' AND st.to_stage IN ('lead', 'contacted')""",
    ),
    (
        "activity before its prospect was created, or by another manager",
        """SELECT (SELECT count(*) FROM crm_call c JOIN crm_prospect p ON p.id = c.prospect_id
                   WHERE c.at < p.created_at OR c.manager_id <> p.owner_id)
              + (SELECT count(*) FROM crm_meeting m JOIN crm_prospect p ON p.id = m.prospect_id
                 WHERE m.starts_at < p.created_at OR m.manager_id <> p.owner_id)""",
    ),
    (
        "meetings planned in the past, or held/cancelled/no-show in the future",
        """SELECT count(*) FROM crm_meeting m
           JOIN crm_profile pr ON pr.user_id = m.manager_id JOIN crm_team t ON t.id = pr.team_id
           WHERE (m.status = 'planned') <> ((m.starts_at AT TIME ZONE t.timezone)::date >= %s)""",
    ),
    (
        "attendees of another prospect, or decision_maker_present false with a decision "
        "maker attending",
        """SELECT (SELECT count(*) FROM crm_meeting_attendees a
                   JOIN crm_meeting m ON m.id = a.meeting_id
                   JOIN crm_contact c ON c.id = a.contact_id
                   WHERE c.prospect_id <> m.prospect_id)
              + (SELECT count(*) FROM crm_meeting m WHERE NOT m.decision_maker_present
                 AND EXISTS (SELECT 1 FROM crm_meeting_attendees a
                             JOIN crm_contact c ON c.id = a.contact_id
                             WHERE a.meeting_id = m.id AND c.is_decision_maker))""",
    ),
    (
        "referrals inconsistent (manager owns the client; received ones name a prospect of "
        "the manager with source referral, created on the answer day or later)",
        """SELECT count(*) FROM crm_referral r
           JOIN crm_prospect f ON f.id = r.from_prospect_id
           LEFT JOIN crm_prospect n ON n.id = r.referred_prospect_id
           WHERE f.owner_id <> r.manager_id OR r.answered_on < r.asked_on
              OR (r.status = 'received' AND (n.source <> 'referral' OR n.owner_id <> r.manager_id
                                            OR n.created_at::date < r.answered_on - 1))
              OR (r.status <> 'received' AND r.referred_prospect_id IS NOT NULL)""",
    ),
    (
        "prospects with source referral that no referral brought",
        """SELECT count(*) FROM crm_prospect p WHERE p.source = 'referral'
           AND NOT EXISTS (SELECT 1 FROM crm_referral r WHERE r.referred_prospect_id = p.id)""",
    ),
    (
        "event-sourced prospects whose owner did not attend the event, or created before it",
        """SELECT count(*) FROM crm_prospect p JOIN events_event e ON e.id = p.source_event_id
           WHERE p.created_at < e.starts_at OR NOT EXISTS (
             SELECT 1 FROM events_eventattendance a
             WHERE a.event_id = e.id AND a.manager_id = p.owner_id AND a.status = 'attended')
              OR (p.source = 'event') <> (p.source_event_id IS NOT NULL)""",
    ),
    (
        "prospects whose activity cache differs from their calls and held meetings",
        """SELECT count(*) FROM crm_prospect p
           WHERE p.held_meetings <> (SELECT count(*) FROM crm_meeting m
                                     WHERE m.prospect_id = p.id AND m.status = 'held')
              OR p.held_with_dm <> (SELECT count(*) FROM crm_meeting m
                                    WHERE m.prospect_id = p.id AND m.status = 'held'
                                      AND m.decision_maker_present)
              OR p.last_touch_at IS DISTINCT FROM greatest(
                   (SELECT max(c.at) FROM crm_call c WHERE c.prospect_id = p.id),
                   (SELECT max(m.starts_at) FROM crm_meeting m
                    WHERE m.prospect_id = p.id AND m.status = 'held'))""",
    ),
    (
        "prospects whose push_count differs from their close-date changes",
        """SELECT count(*) FROM crm_prospect p
           WHERE p.push_count <> (SELECT count(*) FROM crm_closedatechange c
                                  WHERE c.prospect_id = p.id AND c.to_date > c.from_date)""",
    ),
    (
        "prospects whose furthest_stage differs from their stage changes",
        """SELECT count(*) FROM crm_prospect p
           WHERE p.furthest_stage IS DISTINCT FROM (
             SELECT s.to_stage FROM crm_stagechange s
             WHERE s.prospect_id = p.id
               AND s.to_stage IN ('lead', 'contacted', 'meeting', 'proposal', 'contract')
             ORDER BY array_position(
               ARRAY['lead', 'contacted', 'meeting', 'proposal', 'contract'], s.to_stage::text
             ) DESC
             LIMIT 1)""",
    ),
    (
        "manager days (crm_activityday) that differ from the calls and held meetings",
        """WITH live AS (
             SELECT manager_id, day, sum(calls) AS calls, sum(held) AS held FROM (
               SELECT c.manager_id, (c.at AT TIME ZONE t.timezone)::date AS day,
                      count(*) AS calls, 0 AS held
               FROM crm_call c JOIN crm_profile pr ON pr.user_id = c.manager_id
               JOIN crm_team t ON t.id = pr.team_id GROUP BY 1, 2
               UNION ALL
               SELECT m.manager_id, (m.starts_at AT TIME ZONE t.timezone)::date, 0, count(*)
               FROM crm_meeting m JOIN crm_profile pr ON pr.user_id = m.manager_id
               JOIN crm_team t ON t.id = pr.team_id WHERE m.status = 'held' GROUP BY 1, 2
             ) AS parts GROUP BY 1, 2)
           SELECT (SELECT count(*) FROM live FULL JOIN crm_activityday a
                     ON a.manager_id = live.manager_id AND a.day = live.day
                   WHERE a.calls IS DISTINCT FROM live.calls
                      OR a.held_meetings IS DISTINCT FROM live.held)
                + (SELECT count(*) FROM crm_profile pr JOIN crm_team t ON t.id = pr.team_id
                   WHERE pr.activity_days_tz <> t.timezone)""",
    ),
    (
        "sequences not past max(id)",
        None,
    ),
)


def consistency_problems(*, today: date) -> list[str]:
    """What a reader of the history would find wrong; empty when the data is consistent."""
    problems = []
    with connection.cursor() as cursor:
        for label, sql in _CHECKS:
            if sql is None:
                for model in _COLUMNS:
                    table = _table(model)
                    cursor.execute(
                        f"SELECT coalesce(max(id), 0) FROM {connection.ops.quote_name(table)}"
                    )
                    top = cursor.fetchone()[0]
                    cursor.execute(f"SELECT last_value, is_called FROM {_sequence(cursor, table)}")
                    last, called = cursor.fetchone()
                    if (last if called else last - 1) < top:
                        problems.append(f"{label}: {table}")
                continue
            cursor.execute(sql, [today] if "%s" in sql else None)
            n = cursor.fetchone()[0]
            if n:
                problems.append(f"{label}: {n:,}")
    return problems


def _sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]
