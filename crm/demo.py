"""The demo company behind ``python manage.py demo``.

Three teams (B2B Solutions, Consumer Goods, Consulting), each with a lead and
``managers_per_team`` account managers, and the ``months`` full months before ``today``'s
month plus the current month up to yesterday: prospects with contacts, calls, meetings,
referrals, events, monthly plans and a few performance reviews. Today and the next two
weeks hold planned meetings only (the agenda); nothing in the past is left planned.

How it is built:

1. ``_Simulation`` plays the company in plain Python, driven only by
   ``random.Random(seed)`` and ``today`` (no clock, no global random, no iteration over
   sets), so the same seed and day give the same rows. Each prospect walks its own life
   (reached by a call, first meeting, proposal, close-date pushes and pull-ins, signed or
   lost, sometimes reopened); then each manager's working days are topped up with repeat
   meetings and calls to the rates of the sector and the manager's habit (both every day,
   or alternating call days and meeting days).
2. ``_Writer`` stores it. Every write that shapes history goes through the services:
   prospect creation, the first reaching call of a ``lead``, the first held meeting of a
   prospect below ``meeting``, stage moves, signing, losing, reopening, close-date
   changes, and also referrals, events, attendance, plans and reviews. StageChange and
   CloseDateChange rows are therefore exactly what the application records (a first held
   meeting is planned with ``meeting_plan``, then held with ``meeting_hold``). Rows that
   cannot change history are bulk-inserted with the fields the services would set:
   contacts; repeat, cancelled, no-show and planned meetings (``decision_maker_present``
   from the attendees, ``sequence`` 1 when cancelled); calls to prospects past ``lead``,
   unanswered calls and cold dialling.

Times are aware and fall in working hours in the team's time zone, on the team's working
days (Monday to Friday without the public holidays of its country). Logins are
``admin``, ``lead-<team>`` and ``<team>-<n>``, all with the password ``demo``.
"""

from __future__ import annotations

import math
import re
import time
import zoneinfo
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from random import Random
from statistics import median
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from tqdm import tqdm

from crm import services
from crm.models import (
    Call,
    CallDirection,
    CallKind,
    CallOutcome,
    CloseDateChange,
    Contact,
    Meeting,
    MeetingStatus,
    Prospect,
    Referral,
    ReferralStatus,
    Role,
    Source,
    Stage,
    StageChange,
    Team,
)
from events import services as event_services
from events.models import AttendanceStatus, Event, EventAttendance, EventKind
from funnel import services as funnel_services
from funnel.models import PerformanceReview, Plan, Sector
from funnel.periods import WorkCalendar, month_of

User = get_user_model()

PASSWORD = "demo"
ADMIN_USERNAME = "admin"
AGENDA_DAYS = 14  # planned meetings reach this many calendar days past today
LATE_WORKING_DAYS = 5  # a late slip falls in the last five working days of a month
PRELUDE_DAYS = 120  # deals carried into the demo period were worked on this long before it
ONBOARDING_DAYS = 30  # a B2B or consulting client still gets meetings this long after signing
DEMO_EMAIL_DOMAIN = "funnelbook.example"
DEMO_USERNAME = re.compile(r"^(admin|lead-(b2b|goods|consulting)|(b2b|goods|consulting)-\d+)$")

LEAD, CONTACTED, MEETING, PROPOSAL = Stage.LEAD, Stage.CONTACTED, Stage.MEETING, Stage.PROPOSAL
CONTRACT, LOST = Stage.CONTRACT, Stage.LOST
HELD, PLANNED = MeetingStatus.HELD, MeetingStatus.PLANNED
CANCELLED, NO_SHOW = MeetingStatus.CANCELLED, MeetingStatus.NO_SHOW
REACHING = (CallOutcome.TALKED, CallOutcome.MEETING_BOOKED)

_FIRST_NAMES = {
    "DE": "Anna Lukas Sophie Jonas Lea Felix Marie Paul Laura Maximilian Julia Tobias "
    "Katharina Niklas Sarah Jan Hannah Moritz Lena David Clara Simon Nina Florian",
    "GB": "Oliver Amelia George Isla Harry Ava Jack Emily Charlie Sophia Thomas Grace "
    "James Lily William Freya Henry Ella Alfie Evie Oscar Ruby Arthur Poppy",
    "US": "Michael Emma Daniel Olivia Matthew Mia Andrew Abigail Joshua Madison Ryan Chloe "
    "Tyler Natalie Brandon Samantha Kevin Rachel Justin Lauren Eric Megan Aaron Kayla",
}
_LAST_NAMES = {
    "DE": "Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Neumann Schwarz Zimmermann Braun Hartmann Krueger Lange Werner Krause",
    "GB": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Robinson "
    "Thompson Evans Walker White Hughes Edwards Green Hall Wood Clarke Turner",
    "US": "Johnson Miller Davis Garcia Rodriguez Martinez Anderson Thomas Jackson Martin "
    "Lee Harris Clark Lewis Young Allen King Scott Baker Nelson Carter Mitchell",
}


@dataclass(frozen=True, slots=True)
class _Sector:
    """How one team sells: its rates, odds and vocabulary."""

    key: str  # the login prefix: b2b-1, lead-b2b
    team_name: str
    sector_code: str
    timezone: str
    country: str
    day_start: int  # first activity of the day, minutes after midnight
    new_per_month: float  # prospects a manager finds per month besides events and referrals
    clients: int  # signed before the demo period (visited, asked for referrals)
    in_flight: int  # open deals carried into the demo period
    meetings_per_day: tuple[float, float]  # range of a manager's held meetings per working day
    calls_per_day: tuple[float, float]
    meeting_minutes: tuple[int, int]
    value: tuple[int, int]  # range of a deal's expected value
    value_step: int
    p_reach: float  # a lead is reached by phone
    p_meet: float  # a reached prospect agrees to meet
    more_meetings: tuple[int, int]  # held meetings after the first one, before a proposal
    p_proposal: float
    p_win: float  # a proposal is signed
    p_stall: float  # meetings go on without the decision maker
    p_dm: float  # the decision maker attends a meeting (when the prospect has one)
    meeting_gap: tuple[int, int]  # working days between meetings of one deal
    decide_gap: tuple[int, int]  # working days from the proposal to the decision
    close_days: tuple[int, int]  # calendar days from the proposal to the expected close
    account_weight: float  # how often signed clients get repeat meetings
    companies: tuple[str, str]  # name parts, space-separated words / "|"-separated phrases
    dm_titles: str
    staff_titles: str
    phone: str  # a format with {n} for random digits
    locations: str  # "|"-separated; {company} and {street} are filled in
    streets: str
    first_notes: str  # notes of the meetings of a deal, in order
    repeat_notes: str  # notes of repeat meetings
    events: tuple[tuple[str, str, str], ...]  # (kind, name, location)


SECTORS: tuple[_Sector, ...] = (
    _Sector(
        key="b2b",
        team_name="B2B Solutions",
        sector_code="b2b",
        timezone="Europe/Berlin",
        country="DE",
        day_start=9 * 60,
        new_per_month=2.8,
        clients=3,
        in_flight=3,
        meetings_per_day=(1.2, 1.9),
        calls_per_day=(7.0, 12.0),
        meeting_minutes=(45, 90),
        value=(15_000, 120_000),
        value_step=500,
        p_reach=0.8,
        p_meet=0.72,
        more_meetings=(1, 4),
        p_proposal=0.68,
        p_win=0.55,
        p_stall=0.03,
        p_dm=0.5,
        meeting_gap=(3, 9),
        decide_gap=(8, 25),
        close_days=(20, 45),
        account_weight=0.6,
        companies=(
            "Nordwerk Rheintal Alpenblick Hansa Elbwerk Brandt Kessler Lindner Falkenstein "
            "Weser Isar Spree Taunus Mosel Harz Eifel Ostsee Neckar Saale Donau Breisgau",
            "Logistik GmbH|Maschinenbau AG|Systemhaus GmbH|Automotive GmbH|Energie AG|"
            "Medizintechnik GmbH|Bau GmbH|Chemie AG|Software GmbH|Verpackung GmbH|Stahl AG",
        ),
        dm_titles="Geschaeftsfuehrer|CFO|Head of Procurement|COO|Head of Operations",
        staff_titles="IT Lead|Project Manager|Buyer|Plant Manager|Office Manager",
        phone="+49 30 5550{n:04d}",
        locations="{company}, head office|Video call|Our office, Berlin|{company}, plant",
        streets="",
        first_notes="Discovery|Product demo|Technical deep-dive|Commercial discussion|Negotiation",
        repeat_notes="Account check-in|Quarterly business review|Onboarding|Follow-up",
        events=(
            ("trade_show", "Intralogistics Trade Fair", "Messe Stuttgart"),
            ("conference", "Industry 4.0 Summit", "Berlin, Estrel Congress Center"),
            ("webinar", "Webinar: predictive maintenance in practice", "Online"),
            ("exhibition", "Automation Exhibition", "Messe Muenchen"),
            ("meetup", "Berlin B2B Sales Meetup", "Berlin, Kreuzberg"),
            ("conference", "Mittelstand Digital Forum", "Frankfurt, Kap Europa"),
        ),
    ),
    _Sector(
        key="goods",
        team_name="Consumer Goods",
        sector_code="consumer_goods",
        timezone="Europe/London",
        country="GB",
        day_start=8 * 60 + 30,
        new_per_month=1.5,
        clients=8,
        in_flight=4,
        meetings_per_day=(16.5, 23.0),
        calls_per_day=(3.0, 6.0),
        meeting_minutes=(10, 20),
        value=(2_000, 25_000),
        value_step=250,
        p_reach=0.85,
        p_meet=0.8,
        more_meetings=(0, 2),
        p_proposal=0.7,
        p_win=0.62,
        p_stall=0.02,
        p_dm=0.55,
        meeting_gap=(2, 6),
        decide_gap=(5, 15),
        close_days=(10, 30),
        account_weight=3.0,
        companies=(
            "FreshMart|Corner Larder|Daily Basket|Green Grocer|Village Stores|Harbour Foods|"
            "Market Square|Oak & Barley|Riverside Deli|Sunny Side|Budget Bay|Local Larder|"
            "Family Foods|Quick Stop|High Street Mini|Bramble Co-op",
            "Camden Hackney Islington Brixton Croydon Ealing Richmond Wimbledon Greenwich "
            "Shoreditch Clapham Putney Chiswick Fulham Peckham Stratford Walthamstow",
        ),
        dm_titles="Store Owner|Category Buyer|Regional Buyer|Managing Director",
        staff_titles="Store Manager|Assistant Manager|Shift Supervisor|Stock Controller",
        phone="+44 20 7946 0{n:03d}",
        locations="{company}, {street} store",
        streets="High Street|Station Road|Church Lane|Market Place|Mill Road|Park Road|"
        "Victoria Street|King Street",
        first_notes="Introduction|Range presentation|Listing offer|Terms",
        repeat_notes="Shelf check|Promo planning|Order review|Stock check|New range||||",
        events=(
            ("trade_show", "Convenience Retail Show", "NEC Birmingham"),
            ("exhibition", "Food & Drink Expo", "ExCeL London"),
            ("presentation", "Seasonal range presentation for buyers", "London showroom"),
            ("webinar", "Webinar: category management for independents", "Online"),
            ("meetup", "Independent Grocers Breakfast", "London, Shoreditch"),
            ("trade_show", "Local Retail Trade Fair", "Olympia London"),
        ),
    ),
    _Sector(
        key="consulting",
        team_name="Consulting",
        sector_code="consulting",
        timezone="America/New_York",
        country="US",
        day_start=9 * 60,
        new_per_month=3.3,
        clients=2,
        in_flight=3,
        meetings_per_day=(0.6, 1.0),
        calls_per_day=(5.0, 9.0),
        meeting_minutes=(60, 120),
        value=(25_000, 250_000),
        value_step=1000,
        p_reach=0.62,
        p_meet=0.55,
        more_meetings=(1, 3),
        p_proposal=0.58,
        p_win=0.47,
        p_stall=0.04,
        p_dm=0.45,
        meeting_gap=(4, 12),
        decide_gap=(10, 30),
        close_days=(25, 60),
        account_weight=0.5,
        companies=(
            "Summit Cedar Harbor Granite Liberty Pioneer Beacon Keystone Evergreen Lakeside "
            "Redwood Silverline Bluewater Ironwood Prairie Meridian Northstar Crescent",
            "Health System|Financial Group|Insurance|Logistics|Manufacturing|Energy|Bank|"
            "Retail Group|Foods|Medical Center|Credit Union|Utilities|Pharma|Capital",
        ),
        dm_titles="CEO|CFO|COO|Chief Strategy Officer|VP Operations",
        staff_titles="Director of Finance|Program Manager|Chief of Staff|Analyst",
        phone="+1 212-555-01{n:02d}",
        locations="{company}, HQ|Zoom|Our office, Manhattan",
        streets="",
        first_notes="Intro call|Scoping workshop|Stakeholder interviews|Proposal walkthrough",
        repeat_notes="Steering committee|Check-in|Project review",
        events=(
            ("conference", "Digital Transformation Forum", "New York, Javits Center"),
            ("presentation", "Roundtable: cost excellence in healthcare", "Boston, Seaport"),
            ("webinar", "Webinar: AI in operations", "Online"),
            ("meetup", "CFO Breakfast Club", "New York, Midtown"),
            ("conference", "Supply Chain Leaders Summit", "Chicago, McCormick Place"),
        ),
    ),
)
COMPANY_WEBINARS = (
    "Sales Academy: asking for referrals",
    "Sales Academy: handling price objections",
    "Sales Academy: getting the decision maker in the room",
)
DEMO_TEAM_NAMES = frozenset(sector.team_name for sector in SECTORS)

# Chance that a prospect from this source becomes a client, relative to a cold call.
_SOURCE_LIFT = {
    Source.COLD_CALL: 0.9,
    Source.INBOUND: 1.25,
    Source.OTHER: 1.0,
    Source.EVENT: 1.15,
    Source.REFERRAL: 1.7,
}
_LOSS_REASONS = {
    LEAD: ("No response after several attempts", "Wrong contact, company not a fit"),
    CONTACTED: ("Not interested", "Happy with current supplier", "No budget this year"),
    MEETING: ("No budget this year", "Chose a competitor", "Project postponed indefinitely"),
    PROPOSAL: ("Chose a competitor", "Price too high", "Budget cut", "Went with in-house team"),
}
_EVENT_DAYS = {"trade_show": (2, 3), "exhibition": (2, 2), "conference": (1, 2)}
_EVENT_COST = {
    "trade_show": (4000, 9000),
    "exhibition": (1500, 4000),
    "conference": (900, 3000),
    "presentation": (300, 900),
    "meetup": (0, 200),
    "webinar": (0, 0),
}
_EVENT_PROSPECTS = {
    "trade_show": (2, 4),
    "exhibition": (1, 3),
    "conference": (1, 3),
    "presentation": (1, 2),
    "meetup": (0, 2),
    "webinar": (0, 2),
}


class NonDemoDataError(Exception):
    """The database holds rows that the demo did not write; it will not overwrite them."""


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    role: str
    team: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``build_demo`` wrote: the logins, row counts per table, time taken, highlights."""

    logins: tuple[Login, ...]
    counts: dict[str, int]
    seconds: float
    highlights: tuple[str, ...]

    def as_text(self) -> str:
        width = max(len(login.username) for login in self.logins)
        lines = [f"Demo logins (password “{PASSWORD}”):", ""]
        lines += [f"  {'login':<{width}}  {'role':<8}  team", f"  {'-' * width}  --------  ----"]
        lines += [
            f"  {login.username:<{width}}  {login.role:<8}  {login.team}" for login in self.logins
        ]
        label_width = max(len(label) for label in self.counts)
        lines += ["", "Rows written:"]
        lines += [f"  {label:<{label_width}}  {n:>7,}" for label, n in self.counts.items()]
        if self.highlights:
            lines += ["", "Worth a look:"] + [f"  - {line}" for line in self.highlights]
        lines += ["", f"Seeded in {self.seconds:.1f} s."]
        return "\n".join(lines)


def build_demo(
    *,
    seed: int,
    today: date,
    managers_per_team: int = 5,
    months: int = 6,
    progress: bool = True,
    stdout: TextIO | None = None,
) -> DemoSummary:
    """Replace any previous demo with a new one, in one transaction.

    ``managers_per_team`` ≥ 1 (the command asks for at least 5, the documented logins),
    ``months`` ≥ 0 full months before ``today``'s month. Raises ``NonDemoDataError``
    before writing anything when the database holds users, teams or events that are not
    the demo's.
    """
    if managers_per_team < 1:
        raise ValueError("A demo team needs at least one manager.")
    if months < 0:
        raise ValueError("months cannot be negative.")
    started = time.perf_counter()
    with transaction.atomic():
        foreign = demo_foreign_data()
        if foreign:
            raise NonDemoDataError(
                "The database holds data that is not from the demo ("
                + "; ".join(foreign)
                + "). Refusing to overwrite it: use an empty database, e.g. delete "
                "funnelbook.sqlite3 or point DATABASE_URL at a new database."
            )
        if stdout is not None and User.objects.exists():
            stdout.write("Removing the previous demo…\n")
        demo_clear()
        sim = _Simulation(seed=seed, today=today, managers=managers_per_team, months=months)
        sim.run()
        writer = _Writer(sim, progress=progress)
        writer.write()
        counts = demo_counts()
    return DemoSummary(
        logins=writer.logins,
        counts=counts,
        seconds=time.perf_counter() - started,
        highlights=tuple(sim.highlights()),
    )


def demo_foreign_data() -> list[str]:
    """Describe the rows that keep the demo from running: users, teams or events not its own."""
    found = []
    users = sorted(
        username
        for username, email in User.objects.values_list("username", "email")
        if not _demo_user(username, email)
    )
    if users:
        found.append("users: " + ", ".join(users[:5]) + (" …" if len(users) > 5 else ""))
    teams = sorted(
        t for t in Team.objects.values_list("name", flat=True) if t not in DEMO_TEAM_NAMES
    )
    if teams:
        found.append("teams: " + ", ".join(teams[:5]) + (" …" if len(teams) > 5 else ""))
    events = [
        name
        for name, author, email in Event.objects.values_list(
            "name", "created_by__username", "created_by__email"
        )
        if author is None or not _demo_user(author, email)
    ]
    if events:
        found.append(f"{len(events)} events not created by a demo user")
    return found


def _demo_user(username: str, email: str) -> bool:
    return DEMO_USERNAME.match(username) is not None and email == _email(username)


def _email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def demo_clear() -> None:
    """Delete the demo's rows, leaves first; sectors and benchmarks (migration data) stay."""
    Referral.objects.all().delete()
    Meeting.attendees.through.objects.all().delete()
    Meeting.objects.all().delete()
    Call.objects.all().delete()
    StageChange.objects.all().delete()
    CloseDateChange.objects.all().delete()
    Contact.objects.all().delete()
    Prospect.objects.all().delete()
    EventAttendance.objects.all().delete()
    Event.objects.all().delete()
    Plan.objects.all().delete()
    PerformanceReview.objects.all().delete()
    demo_users = [
        username
        for username, email in User.objects.values_list("username", "email")
        if _demo_user(username, email)
    ]
    User.objects.filter(username__in=demo_users).delete()
    Team.objects.filter(name__in=DEMO_TEAM_NAMES).delete()


def demo_counts() -> dict[str, int]:
    """Rows per table after seeding."""
    return {
        "teams": Team.objects.count(),
        "users": User.objects.count(),
        "prospects": Prospect.objects.count(),
        "contacts": Contact.objects.count(),
        "stage changes": StageChange.objects.count(),
        "close-date changes": CloseDateChange.objects.count(),
        "calls": Call.objects.count(),
        "meetings": Meeting.objects.count(),
        "meeting attendees": Meeting.attendees.through.objects.count(),
        "referrals": Referral.objects.count(),
        "events": Event.objects.count(),
        "event attendances": EventAttendance.objects.count(),
        "plans": Plan.objects.count(),
        "performance reviews": PerformanceReview.objects.count(),
    }


# --- calendar helpers ----------------------------------------------------------------


def _month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return month_of(day).end


def _moment(day: date, minutes: float, zone: zoneinfo.ZoneInfo) -> datetime:
    """Wall-clock time on ``day`` in ``zone``, ``minutes`` after midnight."""
    whole = int(minutes)
    seconds = round((minutes - whole) * 60)
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
        minutes=whole, seconds=min(seconds, 59)
    )


class _Calendar:
    """The working days of one team (Monday to Friday without its country's holidays),
    exactly as the reports count them."""

    def __init__(self, *, country: str, first: date, last: date) -> None:
        self.days = WorkCalendar(holiday_country=country).working_days(first, last)

    def on_or_after(self, day: date) -> date:
        return self.days[min(bisect_left(self.days, day), len(self.days) - 1)]

    def on_or_before(self, day: date) -> date:
        return self.days[max(bisect_right(self.days, day) - 1, 0)]

    def between(self, first: date, last: date) -> list[date]:
        return self.days[bisect_left(self.days, first) : bisect_right(self.days, last)]


# --- the simulated company -----------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Contact:
    name: str
    title: str
    email: str
    phone: str
    is_dm: bool
    obj: Contact | None = None


@dataclass(slots=True, eq=False)
class _Call:
    manager: _Manager
    prospect: _Prospect | None
    day: date
    outcome: str
    kind: str
    direction: str
    seconds: int
    service: bool = False  # the first call that reaches a lead: written by call_log
    at: datetime | None = None


@dataclass(slots=True, eq=False)
class _Meeting:
    manager: _Manager
    prospect: _Prospect
    day: date
    status: str
    minutes: int
    location: str
    notes: str
    attendees: list[_Contact]
    sequence: int = 0
    service_hold: bool = False  # the first held meeting below `meeting`: plan + hold
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    obj: Meeting | None = None

    @property
    def dm_present(self) -> bool:
        return any(contact.is_dm for contact in self.attendees)


@dataclass(slots=True, eq=False)
class _Op:
    """One history-shaping service call on a prospect, after its creation."""

    kind: str  # call | hold | move | close | update | sign | lose | reopen
    day: date
    at: datetime | None = None  # for admin ops; a call or hold takes its activity's time
    call: _Call | None = None
    meeting: _Meeting | None = None
    stage: str = ""
    close: date | None = None
    value: Decimal | None = None
    reason: str = ""
    revisit: date | None = None


@dataclass(slots=True, eq=False)
class _Event:
    team: _Team | None
    kind: str
    name: str
    location: str
    cost: Decimal
    starts_at: datetime
    ends_at: datetime
    days: list[date]
    attendees: list[tuple[_Manager, str]] = field(default_factory=list)
    obj: Event | None = None


@dataclass(slots=True, eq=False)
class _Referral:
    manager: _Manager
    from_prospect: _Prospect
    asked_on: date
    status: str = ReferralStatus.ASKED
    answered_on: date | None = None
    referred: _Prospect | None = None
    obj: Referral | None = None


@dataclass(slots=True, eq=False)
class _Prospect:
    manager: _Manager
    name: str
    source: str
    created: datetime
    stage0: str
    value: Decimal | None
    close0: date | None
    contacts: list[_Contact]
    event: _Event | None = None
    referral: _Referral | None = None
    no_dm: bool = False  # meetings never see the decision maker (a stalled deal)
    account: bool = False  # a client visited on and on (consumer goods, old clients)
    stage: str = ""
    close: date | None = None
    ops: list[_Op] = field(default_factory=list)
    contacted_day: date | None = None
    met_day: date | None = None
    proposal_day: date | None = None
    signed_on: date | None = None
    contract_value: Decimal | None = None
    lost_on: date | None = None
    lost_from: str = ""
    until: date | None = None  # last day repeat meetings and follow-up calls may happen
    meetings_held: int = 0
    lazy_dates: bool = False  # the manager lets this close date go overdue
    push_days: tuple[int, int] = (10, 35)
    last_ask: date | None = None
    quiet: tuple[date, date] | None = None  # lost on … reopened on: no activity
    dm_met: bool = False  # a held meeting had a decision maker present
    obj: Prospect | None = None

    def __post_init__(self) -> None:
        self.stage = self.stage0
        self.close = self.close0

    @property
    def created_day(self) -> date:
        return self.created.date()

    @property
    def is_open(self) -> bool:
        return self.stage in (LEAD, CONTACTED, MEETING, PROPOSAL)

    def active_on(self, day: date) -> bool:
        """Not lost on ``day`` (repeat meetings and follow-up calls may happen)."""
        if self.lost_on is not None and day >= self.lost_on:
            return False
        return self.quiet is None or not self.quiet[0] <= day <= self.quiet[1]


@dataclass(slots=True, eq=False)
class _Manager:
    team: _Team
    index: int
    username: str
    first_name: str
    last_name: str
    hired_on: date
    style: str  # mixed | alternate | office_friday
    skill: float
    meeting_rate: float
    call_rate: float
    asks_per_month: float
    plan_bias: float
    postponer: bool
    days: list[date] = field(default_factory=list)  # working days at work, to the agenda's end
    kinds: dict[date, str] = field(default_factory=dict)  # meeting | call | mixed
    away: set[date] = field(default_factory=set)  # in-person event days
    prospects: list[_Prospect] = field(default_factory=list)
    calls: list[_Call] = field(default_factory=list)
    meetings: list[_Meeting] = field(default_factory=list)
    asks: list[_Referral] = field(default_factory=list)
    plans: list[tuple[date, date, dict[str, Any]]] = field(default_factory=list)
    admin_slots: Counter = field(default_factory=Counter)
    user: Any = None


@dataclass(slots=True, eq=False)
class _Team:
    sector: _Sector
    zone: zoneinfo.ZoneInfo
    calendar: _Calendar
    lead_username: str
    lead_names: tuple[str, str]
    managers: list[_Manager] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    event_win_due: bool = True  # one early event contact per team is sure to sign
    tally: dict[str, tuple[float, int]] = field(default_factory=dict)  # see _chance
    obj: Team | None = None
    lead: Any = None


_DAY_KINDS = {"meeting": ("meeting", "mixed"), "call": ("call", "mixed"), "any": None}


class _Simulation:
    """The whole company as plain Python objects, ready to be written."""

    def __init__(self, *, seed: int, today: date, managers: int, months: int) -> None:
        self.rng = Random(seed)
        self.today = today
        self.managers_per_team = managers
        self.start = _month_start(today, -months)  # first day of the demo period
        self.agenda_end = today + timedelta(days=AGENDA_DAYS)
        self.months = [_month_start(today, -k) for k in range(months, -1, -1)]
        full = self.months[:-1]
        # The postponer slips deals in the last full month (and three months before it).
        self.postpone_months = [m for m in (full[-4:-3] + full[-1:]) if m]
        self.teams: list[_Team] = []
        self.events: list[_Event] = []
        self.referrals: list[_Referral] = []
        self.prospects: list[_Prospect] = []
        self.reviews: list[tuple[_Manager, date, date, str]] = []

    # -- the plot -------------------------------------------------------------------

    def run(self) -> None:
        self._cast()
        self._schedule_events()
        self._pipeline()
        self._ask_referrals()
        for team in self.teams:
            for manager in team.managers:
                self._fill_days(manager)
                self._lay_out(manager)
        self._plan()
        self._review()

    def _cast(self) -> None:
        first = self.start - timedelta(days=400)
        for sector in SECTORS:
            zone = zoneinfo.ZoneInfo(sector.timezone)
            calendar = _Calendar(country=sector.country, first=first, last=self.agenda_end)
            team = _Team(
                sector=sector,
                zone=zone,
                calendar=calendar,
                lead_username=f"lead-{sector.key}",
                lead_names=self._person(sector.country),
            )
            self.teams.append(team)
            for index in range(1, self.managers_per_team + 1):
                team.managers.append(self._new_manager(team, index))

    def _new_manager(self, team: _Team, index: int) -> _Manager:
        rng = self.rng
        sector = team.sector
        persona = {
            # index: (skill, plan bias, style, asks per month)
            1: (1.25, 1.2, "mixed", 1.0),
            2: (1.1, 1.05, "alternate", 0.8),
            3: (0.75, 0.8, "mixed", 0.4),
            4: (1.0, 1.0, "alternate", 2.5),
            5: (0.95, 0.95, "mixed", 0.8),
        }.get(index)
        if persona is None:
            persona = (
                rng.uniform(0.8, 1.2),
                rng.uniform(0.85, 1.15),
                rng.choice(("mixed", "alternate")),
                rng.uniform(0.5, 2),
            )
        skill, bias, style, asks = persona
        if sector.key == "goods":
            style = "office_friday" if index == 3 else "mixed"
        elif sector.key == "consulting" and index <= 5:
            style = "alternate" if index in (1, 3) else "mixed"
        recent = sector.key == "b2b" and index == self.managers_per_team and index >= 3
        if recent:
            hired = team.calendar.on_or_after(self.today - timedelta(days=rng.randint(38, 52)))
        else:
            hired = self.start - timedelta(days=rng.randint(200, 1800))
            hired += timedelta(days=(8 - hired.isoweekday()) % 7)  # a Monday
        first, last = self._person(sector.country)
        manager = _Manager(
            team=team,
            index=index,
            username=f"{sector.key}-{index}",
            first_name=first,
            last_name=last,
            hired_on=hired,
            style=style,
            skill=skill * rng.uniform(0.95, 1.05),
            meeting_rate=rng.uniform(*sector.meetings_per_day),
            call_rate=rng.uniform(*sector.calls_per_day),
            asks_per_month=asks,
            plan_bias=bias,
            postponer=sector.key == "b2b" and index == 2,
        )
        # Deals carried into the demo period have their own steps before it.
        first_day = max(self.start - timedelta(days=PRELUDE_DAYS), hired)
        days = team.calendar.between(first_day, self.agenda_end)
        vacation: list[date] = []
        history = [d for d in days if self.start <= d < self.today - timedelta(days=14)]
        if not recent and len(history) > 30:
            for _ in range(5):
                begin = rng.randrange(5, len(history) - 10)
                vacation = history[begin : begin + 5]
                late = [self._late_days(team, m) for m in self.postpone_months]
                if not manager.postponer or not any(d in w for w in late for d in vacation):
                    break
        manager.days = [d for d in days if d not in vacation]
        for i, day in enumerate(manager.days):
            if style == "alternate":
                even = (i % 2 == 0) != (rng.random() < 0.15)
                manager.kinds[day] = "meeting" if even else "call"
            elif style == "office_friday":
                manager.kinds[day] = "call" if day.isoweekday() == 5 else "meeting"
            else:
                manager.kinds[day] = "mixed"
        return manager

    def _person(self, country: str) -> tuple[str, str]:
        return (
            self.rng.choice(_FIRST_NAMES[country].split()),
            self.rng.choice(_LAST_NAMES[country].split()),
        )

    def _late_days(self, team: _Team, month: date) -> list[date]:
        return team.calendar.between(month, _month_end(month))[-LATE_WORKING_DAYS:]

    def _ramp(self, manager: _Manager, day: date) -> float:
        """A new hire works up to full speed: 50% in the first month, 75% in the second."""
        hired = manager.hired_on
        months = (day.year - hired.year) * 12 + day.month - hired.month
        return 0.5 if months <= 0 else 0.75 if months == 1 else 1.0

    # -- events ----------------------------------------------------------------------

    def _schedule_events(self) -> None:
        rng = self.rng
        months = [*self.months, _month_start(self.today, 1)]
        for team in self.teams:
            kinds = list(team.sector.events)
            rng.shuffle(kinds)
            for n, month in enumerate(months):
                kind, name, location = kinds[n % len(kinds)]
                days = team.calendar.between(month + timedelta(days=3), _month_end(month))
                if not days:
                    continue
                first = rng.choice(days[:-3] or days)
                if first > self.today + timedelta(days=30):
                    continue
                self._add_event(team, kind, f"{name} {first:%Y}", location, first)
        for n, month in enumerate(months[::2]):
            team = self.teams[0]
            days = team.calendar.between(month + timedelta(days=7), _month_end(month))
            first = rng.choice(days) if days else None
            if first and first <= self.today + timedelta(days=30):
                title = COMPANY_WEBINARS[n % len(COMPANY_WEBINARS)]
                self._add_event(None, "webinar", title, "Online", first)

    def _add_event(
        self, team: _Team | None, kind: str, name: str, location: str, first: date
    ) -> None:
        rng = self.rng
        calendar = (team or self.teams[0]).calendar
        zone = (team or self.teams[0]).zone
        span = rng.randint(*_EVENT_DAYS.get(kind, (1, 1)))
        days = calendar.days[bisect_left(calendar.days, first) :][:span]
        hour = rng.choice((11, 16))
        begin, end = {
            "presentation": (14 * 60, 16 * 60),
            "meetup": (16 * 60 + 30, 19 * 60),
            "webinar": (hour * 60, hour * 60 + 60),
        }.get(kind, (9 * 60, 17 * 60 + 30))
        low, high = _EVENT_COST[kind]
        free = high == 0 or (low == 0 and rng.random() < 0.7)  # webinars, most meetups
        cost = 0 if free else rng.randrange(max(low, 50), high + 1, 50)
        event = _Event(
            team=team,
            kind=kind,
            name=name,
            location=location,
            cost=Decimal(cost).quantize(Decimal("0.01")),
            starts_at=_moment(days[0], begin, zone),
            ends_at=_moment(days[-1], end, zone),
            days=days,
        )
        self.events.append(event)
        pool = [m for t in ([team] if team else self.teams) for m in t.managers]
        pool = [m for m in pool if all(d in m.kinds for d in days)]
        if not pool:
            return
        size = (3, 6) if team is None else (1, 3) if kind in ("webinar", "meetup") else (2, 3)
        chosen = rng.sample(pool, min(len(pool), rng.randint(*size)))
        chosen.sort(key=lambda m: (m.team.sector.key, m.index))
        past = days[-1] < self.today
        for manager in chosen:
            event.attendees.append(
                (manager, AttendanceStatus.ATTENDED if past else AttendanceStatus.PLANNED)
            )
            if kind != "webinar":
                manager.away.update(days)

    # -- prospects -------------------------------------------------------------------

    def _pipeline(self) -> None:
        """Old clients, deals carried in, new prospects of every month, event contacts."""
        rng = self.rng
        history_end = self.today - timedelta(days=1)
        for team in self.teams:
            stall_due = True
            for manager in team.managers:
                if manager.hired_on < self.start:
                    self._old_clients(manager)
                    self._in_flight(manager, team.sector.in_flight)
                else:  # a new hire takes over a couple of open deals
                    self._in_flight(manager, 2, handed_over=True)
                for month in self.months:
                    days = [
                        d for d in manager.days if month <= d <= min(_month_end(month), history_end)
                    ]
                    if not days:
                        continue
                    rate = team.sector.new_per_month * self._ramp(manager, days[0])
                    rate *= len(days) / max(len(team.calendar.between(month, _month_end(month))), 1)
                    for _ in range(self._count(rate * manager.skill**0.3)):
                        day = rng.choice(days)
                        source = rng.choices(
                            (Source.COLD_CALL, Source.INBOUND, Source.OTHER), (5, 3, 2)
                        )[0]
                        stage = (
                            CONTACTED if source == Source.INBOUND and rng.random() < 0.6 else LEAD
                        )
                        p = self._new_prospect(
                            manager, day, self._creation_time(manager, day), source, stage
                        )
                        stall = stall_due and day <= self.today - timedelta(days=55)
                        stall_due = stall_due and not stall
                        self._live(p, day, stall=stall)
            self._postponed_deals(team)
        for event in self.events:
            self._event_contacts(event)
        self.prospects.sort(key=lambda p: (p.created, p.manager.username, p.name))

    def _count(self, mean: float) -> int:
        """A whole number around ``mean``: jittered, then rounded up or down at random."""
        x = max(mean, 0) * self.rng.uniform(0.7, 1.3)
        n = int(x)
        return n + (self.rng.random() < x - n)

    def _creation_time(self, manager: _Manager, day: date) -> datetime:
        """Prospects are logged before the day's calls and meetings, 08:00 to 08:29."""
        slot = manager.admin_slots[("create", day)]
        manager.admin_slots[("create", day)] += 1
        return _moment(day, 8 * 60 + min(slot, 29) + self.rng.random() * 0.9, manager.team.zone)

    def _admin_time(self, manager: _Manager, day: date) -> datetime:
        """Stage moves and close dates are kept after the day's activity, 17:05 onwards."""
        slot = manager.admin_slots[("admin", day)]
        manager.admin_slots[("admin", day)] += 1
        return _moment(day, 17 * 60 + 5 + slot * 1.5, manager.team.zone)

    def _company_name(self, team: _Team) -> str:
        first, second = (
            part.split("|") if "|" in part else part.split() for part in team.sector.companies
        )
        for attempt in range(100):
            name = f"{self.rng.choice(first)} {self.rng.choice(second)}"
            if attempt > 50:
                name += f" {attempt}"
            if name not in team.names:
                team.names.add(name)
                return name
        raise RuntimeError("ran out of company names")

    def _contacts(self, team: _Team, company: str, n: int, *, dm: bool) -> list[_Contact]:
        rng = self.rng
        sector = team.sector
        domain = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") + ".example"
        digits = int(re.search(r"\{n:0(\d)d\}", sector.phone).group(1))
        contacts = []
        for i in range(n):
            first, last = self._person(sector.country)
            is_dm = dm and i == 0
            titles = (sector.dm_titles if is_dm else sector.staff_titles).split("|")
            contacts.append(
                _Contact(
                    name=f"{first} {last}",
                    title=rng.choice(titles),
                    email=f"{first}.{last}@{domain}".lower(),
                    phone=sector.phone.format(n=rng.randrange(10**digits)),
                    is_dm=is_dm,
                )
            )
        rng.shuffle(contacts)
        return contacts

    def _value(self, sector: _Sector) -> Decimal:
        low, high = sector.value
        amount = self.rng.randrange(low, high + 1, sector.value_step)
        return Decimal(amount).quantize(Decimal("0.01"))

    def _new_prospect(
        self,
        manager: _Manager,
        day: date,
        created: datetime,
        source: str,
        stage: str,
        *,
        event: _Event | None = None,
        referral: _Referral | None = None,
    ) -> _Prospect:
        rng = self.rng
        team = manager.team
        company = self._company_name(team)
        n_contacts = (
            rng.choice((0, 1, 1))
            if stage == LEAD and source != Source.REFERRAL
            else rng.choice((1, 1, 2, 2, 3))
        )
        has_dm = rng.random() < 0.9
        close = None
        if referral is None and rng.random() < 0.35:
            close = day + timedelta(days=rng.randint(40, 100))
        p = _Prospect(
            manager=manager,
            name=company,
            source=source,
            created=created,
            stage0=stage,
            value=None if referral else self._value(team.sector),
            close0=close,
            contacts=self._contacts(team, company, n_contacts, dm=has_dm),
            event=event,
            referral=referral,
        )
        p.lazy_dates = rng.random() < 0.15
        if stage == CONTACTED:
            p.contacted_day = day
        manager.prospects.append(p)
        self.prospects.append(p)
        return p

    def _old_clients(self, manager: _Manager) -> None:
        """Clients signed before the demo period: visited, and asked for referrals."""
        rng = self.rng
        calendar = manager.team.calendar
        for _ in range(manager.team.sector.clients):
            day = calendar.on_or_after(self.start - timedelta(days=rng.randint(60, 330)))
            day = max(day, calendar.on_or_after(manager.hired_on))
            p = self._new_prospect(
                manager, day, self._creation_time(manager, day), Source.OTHER, PROPOSAL
            )
            p.met_day = p.proposal_day = day
            signed = calendar.on_or_after(day + timedelta(days=rng.randint(7, 40)))
            signed = min(signed, calendar.on_or_before(self.start - timedelta(days=1)))
            if signed <= day:
                signed = day
            self._sign(p, signed)
            p.account = True
            p.until = self.agenda_end

    def _in_flight(self, manager: _Manager, count: int, *, handed_over: bool = False) -> None:
        """Open deals carried into the demo period (or handed over to a new hire)."""
        rng = self.rng
        sector = manager.team.sector
        calendar = manager.team.calendar
        stages = (MEETING, PROPOSAL) if sector.key == "goods" else (CONTACTED, MEETING, PROPOSAL)
        if handed_over:
            stages = (MEETING, PROPOSAL)
        for _ in range(count):
            day = calendar.on_or_after(self.start - timedelta(days=rng.randint(12, 70)))
            if handed_over:
                day = manager.hired_on
            stage = rng.choice(stages)
            p = self._new_prospect(
                manager, day, self._creation_time(manager, day), Source.OTHER, stage
            )
            if stage in (MEETING, PROPOSAL):
                p.met_day = day
                p.meetings_held = 1
            if stage == PROPOSAL:
                p.proposal_day = day
                p.close = p.close0 = max(self.start, day) + timedelta(days=rng.randint(5, 45))
            self._live(p, day)

    def _event_contacts(self, event: _Event) -> None:
        """People met at an event become prospects of the managers who went."""
        rng = self.rng
        if event.team is None or event.days[0] >= self.today:
            return
        for manager, _status in event.attendees:
            for _ in range(rng.randint(*_EVENT_PROSPECTS[event.kind])):
                zone = manager.team.zone
                start = event.starts_at.astimezone(zone)
                minutes = start.hour * 60 + start.minute + rng.randint(20, 110)
                created = _moment(event.days[0], min(minutes, 17 * 60 + 20), zone)
                stage = LEAD if event.kind == "webinar" else CONTACTED
                p = self._new_prospect(
                    manager, event.days[0], created, Source.EVENT, stage, event=event
                )
                win_on = None
                team = event.team
                if (
                    team.event_win_due
                    and stage == CONTACTED
                    and (event.days[0] <= self.today - timedelta(days=60))
                ):
                    team.event_win_due = False
                    win_on = self._day_after(manager, event.days[-1], "any", (28, 34))
                self._live(p, event.days[-1], win_on=win_on)

    def _postponed_deals(self, team: _Team) -> None:
        """The postponer's month: contracts early in it, deals slipped out of its last week."""
        rng = self.rng
        for manager in team.managers:
            if not manager.postponer:
                continue
            for month in self.postpone_months:
                days = [d for d in manager.days if month <= d <= _month_end(month)]
                if len(days) < 15:
                    continue
                late = self._late_days(team, month)
                for win_on in (*rng.sample(days[3:12], 3), *rng.sample(late, 3)):
                    if win_on not in manager.kinds:
                        continue
                    day = team.calendar.on_or_before(win_on - timedelta(days=rng.randint(40, 55)))
                    if day < manager.hired_on:
                        continue
                    p = self._new_prospect(
                        manager, day, self._creation_time(manager, day), Source.COLD_CALL, LEAD
                    )
                    if win_on in late:
                        p.close = p.close0 = rng.choice([d for d in late if d >= win_on])
                    self._live(p, day, win_on=win_on)

    # -- one prospect's life ---------------------------------------------------------

    def _day_after(
        self, manager: _Manager, after: date, kind: str, gap: tuple[int, int]
    ) -> date | None:
        """A working day of the manager ``gap`` working days after ``after``, of ``kind``."""
        days = manager.days
        i = bisect_right(days, after) + self.rng.randint(*gap) - 1
        i = max(i, bisect_right(days, after))
        wanted = _DAY_KINDS[kind]
        while i < len(days):
            day = days[i]
            if day not in manager.away and (wanted is None or manager.kinds[day] in wanted):
                return day
            i += 1
        return None

    def _live(
        self, p: _Prospect, cur: date, *, win_on: date | None = None, stall: bool = False
    ) -> None:
        """Walk a prospect from its current stage to its fate, or up to today."""
        rng = self.rng
        manager = p.manager
        sector = manager.team.sector
        forced = win_on is not None
        lift = math.sqrt(manager.skill * _SOURCE_LIFT[p.source])
        stall = stall or (not forced and rng.random() < sector.p_stall)
        if stall:
            p.no_dm = True
        today = self.today

        if p.stage == LEAD:
            reached = forced or stall or self._chance(manager.team, "reach", sector.p_reach * lift)
            attempts = rng.choice((0, 0, 1, 1, 2)) if reached else rng.randint(1, 4)
            kind = CallKind.COLD if p.source == Source.COLD_CALL else CallKind.FOLLOW_UP
            for _ in range(attempts):
                day = self._day_after(manager, cur, "call", (1, 3))
                if day is None or day >= today:
                    return self._rest(p, cur)
                self._call(p, day, CallOutcome.NO_ANSWER, kind)
                cur = day
            if not reached:
                day = self._day_after(manager, cur, "any", (3, 10))
                if day is not None and day < today and rng.random() < 0.5:
                    return self._lose(p, day)
                return self._rest(p, cur, ghost=True)
            day = self._day_after(manager, cur, "call", (1, 3) if forced else (1, 4))
            if day is None or day >= today:
                return self._rest(p, cur)
            will_meet = forced or stall or self._chance(manager.team, "meet", sector.p_meet * lift)
            outcome = CallOutcome.MEETING_BOOKED if will_meet else CallOutcome.TALKED
            self._advance(p, cur, day)
            self._call(p, day, outcome, kind)
            cur = day
        else:
            will_meet = forced or stall or self._chance(manager.team, "meet", sector.p_meet * lift)

        if p.stage == CONTACTED:
            if not will_meet:
                for _ in range(rng.randint(0, 2)):
                    day = self._day_after(manager, cur, "call", (3, 10))
                    if day is None or day >= today:
                        return self._rest(p, cur)
                    self._call(p, day, rng.choice((*REACHING, CallOutcome.NO_ANSWER)))
                    cur = day
                day = self._day_after(manager, cur, "any", (3, 12))
                if day is not None and day < today and rng.random() < 0.6:
                    return self._lose(p, self._advance(p, cur, day))
                return self._rest(p, cur, ghost=rng.random() < 0.35)
            cur = self._meet(p, cur, first=True)
            if cur is None:
                return None

        # At `meeting` or beyond: more meetings, a proposal, a decision.
        more = rng.randint(3, 5) if stall else rng.randint(*sector.more_meetings)
        if forced:
            more = min(more, 2)
        if p.stage == PROPOSAL:
            more = rng.randint(0, 1)
        for _ in range(more):
            cur = self._meet(p, cur)
            if cur is None:
                return None
        if stall:
            return self._rest(p, cur, ghost=rng.random() < 0.2)
        if p.stage == MEETING:
            if not (forced or self._chance(manager.team, "propose", sector.p_proposal * lift)):
                day = self._day_after(manager, cur, "any", (5, 20))
                if day is not None and day < today and rng.random() < 0.55:
                    return self._lose(p, self._advance(p, cur, day))
                return self._rest(p, cur, ghost=rng.random() < 0.25)
            day = self._day_after(manager, cur, "any", (1, 3))
            if day is None or day >= today:
                return self._rest(p, cur)
            cur = self._propose(p, self._advance(p, cur, day))
            if not forced and rng.random() < 0.06:  # sales is messy: back to `meeting`
                day = self._day_after(manager, cur, "any", (2, 5))
                if day is None or day >= today:
                    return self._rest(p, cur)
                self._move(p, self._advance(p, cur, day), MEETING)
                cur = self._meet(p, day)
                if cur is None:
                    return None
                day = self._day_after(manager, cur, "any", (1, 3))
                if day is None or day >= today:
                    return self._rest(p, cur)
                self._move(p, self._advance(p, cur, day), PROPOSAL)
                cur = day

        win = forced or self._chance(manager.team, "win", sector.p_win * lift)
        if forced:
            decide = win_on if win_on > cur else self._day_after(manager, cur, "any", (1, 2))
        else:
            decide = self._day_after(manager, cur, "any", sector.decide_gap)
        if decide is None:
            return self._rest(p, cur)
        if win and rng.random() < 0.5:  # a last meeting to negotiate
            gap = len(
                manager.days[bisect_right(manager.days, cur) : bisect_left(manager.days, decide)]
            )
            if gap >= 3:
                cur = self._meet(p, cur, gap=(1, gap - 1))
                if cur is None:
                    return None
        if decide <= cur:  # the last meeting took longer to arrange than planned
            decide = self._day_after(manager, cur, "any", (1, 2))
            if decide is None:
                return self._rest(p, cur)
        decide = self._advance(p, cur, decide, signing=win)
        if decide >= today:
            return self._rest(p, cur, planned_from=decide)
        if win:
            return self._sign(p, decide)
        self._lose(p, decide)
        return self._maybe_reopen(p)

    def _chance(self, team: _Team, step: str, p: float) -> bool:
        """A coin flip with odds ``p``, nudged by how far the team's successes at this step
        trail or lead the odds so far: each prospect stays random, the team's totals (and so
        its conversion, e.g. consulting's 1 in 10) stay close to the sector's rates."""
        expected, actual = team.tally.get(step, (0.0, 0))
        odds = min(max(p + 0.25 * (expected - actual), 0.02), 0.97)
        hit = self.rng.random() < odds
        team.tally[step] = (expected + min(p, 0.97), actual + hit)
        return hit

    def _meet(
        self, p: _Prospect, cur: date, *, first: bool = False, gap: tuple[int, int] | None = None
    ) -> date | None:
        """One held meeting (after any cancellation or no-show); None when it lies ahead."""
        rng = self.rng
        manager = p.manager
        sector = manager.team.sector
        gap = gap or ((2, 8) if first else sector.meeting_gap)
        while True:
            day = self._day_after(manager, cur, "meeting", gap)
            if day is None:
                self._rest(p, cur)
                return None
            if day >= self.today:
                self._rest(p, cur)
                if day <= self.agenda_end:
                    self._meeting(p, day, PLANNED)
                return None
            self._advance(p, cur, day)
            roll = rng.random()
            if roll < 0.05:
                self._meeting(p, day, CANCELLED)
            elif roll < 0.09:
                self._meeting(p, day, NO_SHOW)
            else:
                self._meeting(p, day, HELD)
                if rng.random() < 0.35:  # a follow-up call a few days later
                    follow = self._day_after(manager, day, "call", (1, 3))
                    if follow is not None and follow < self.today:
                        outcome = rng.choices((CallOutcome.TALKED, CallOutcome.NO_ANSWER), (3, 1))[
                            0
                        ]
                        self._call(p, follow, outcome)
                        return follow
                return day
            cur, gap = day, (1, 4)

    def _propose(self, p: _Prospect, day: date) -> date:
        rng = self.rng
        sector = p.manager.team.sector
        self._move(p, day, PROPOSAL)
        p.proposal_day = day
        if rng.random() < 0.12:  # an optimist whose dates never hold
            p.push_days = (5, 12)
            close = day + timedelta(days=rng.randint(7, 14))
        else:
            close = day + timedelta(days=rng.randint(*sector.close_days))
        if p.value is None:
            p.value = self._value(sector)
            p.ops.append(
                _Op("update", day, at=self._admin_time(p.manager, day), value=p.value, close=close)
            )
            p.close = close
        elif p.close is None or p.close < day:
            self._close(p, day, close)
        return day

    def _advance(self, p: _Prospect, cur: date, to_day: date, *, signing: bool = False) -> date:
        """Move close dates as time passes from ``cur`` to ``to_day``; returns the day the
        next step happens (a postponer's signature may be deferred to next month)."""
        rng = self.rng
        manager = p.manager
        if p.close is None or not p.is_open:
            return to_day
        if manager.postponer:
            for month in self.postpone_months:
                late, end = self._late_days(manager.team, month), _month_end(month)
                if cur > late[-1] or to_day < late[0]:
                    continue
                # A slip precedes the next step, unless that step is the signature it defers.
                last = to_day if signing else to_day - timedelta(days=1)
                choices = [
                    d for d in late if cur <= d <= last and d < self.today and d in manager.kinds
                ]
                if month <= p.close <= end and choices:  # out of this month, in its last week
                    slip = rng.choice(choices)
                    after = _month_start(month, 1) + timedelta(days=rng.randint(2, 9))
                    self._close(p, slip, after + timedelta(days=rng.randint(1, 4)))
                    cur = slip
                if signing and to_day <= end and p.close > end:  # and sign it next month
                    base = max(end, p.close - timedelta(days=rng.randint(1, 5)))
                    to_day = self._day_after(manager, base, "any", (1, 1)) or self.agenda_end
                    to_day = max(to_day, end + timedelta(days=1))
        while p.close is not None and p.close < to_day and not p.lazy_dates:
            # Most people move a date when they see it coming; the postponer waits for
            # the month's last week (handled above).
            want = p.close - timedelta(days=rng.randint(2, 10))
            days = manager.days
            i = bisect_left(days, max(want, cur))
            if i >= len(days) or days[i] >= to_day or days[i] >= self.today:
                break
            push_day = days[i]
            new = max(p.close, push_day) + timedelta(days=rng.randint(*p.push_days))
            self._close(p, push_day, new)
            cur = push_day
        early = p.close is not None and p.close > to_day + timedelta(days=6)
        if signing and early and rng.random() < 0.35:  # the deal comes early: pulled in
            lo = max(cur, to_day - timedelta(days=12))
            hi = min(to_day, self.today)
            days = manager.days[bisect_left(manager.days, lo) : bisect_left(manager.days, hi)]
            if days:
                self._close(p, rng.choice(days), to_day + timedelta(days=rng.randint(0, 3)))
        return to_day

    def _maybe_reopen(self, p: _Prospect) -> None:
        """A refusal is not forever: some lost deals come back at their revisit date."""
        rng = self.rng
        revisit = p.ops[-1].revisit
        if revisit is None or revisit >= self.today - timedelta(days=10) or rng.random() > 0.55:
            return
        day = self._day_after(p.manager, revisit - timedelta(days=1), "any", (1, 3))
        if day is None or day >= self.today:
            return
        p.ops.append(_Op("reopen", day, at=self._admin_time(p.manager, day)))
        p.quiet = (p.lost_on, day)
        p.stage, p.lost_on = p.lost_from, None
        cur = self._meet(p, day, first=p.stage in (LEAD, CONTACTED))
        if cur is None:
            return
        decide = self._day_after(p.manager, cur, "any", (3, 10))
        if decide is not None and rng.random() < 0.45:
            decide = self._advance(p, cur, decide, signing=True)
            if decide < self.today:
                return self._sign(p, decide)
        return self._rest(p, cur, planned_from=decide)

    def _rest(
        self, p: _Prospect, cur: date, *, ghost: bool = False, planned_from: date | None = None
    ) -> None:
        """The prospect stays open: worked on until the agenda's end, or forgotten (stale)."""
        if not p.is_open:
            return
        p.until = cur if ghost else self.agenda_end
        if not ghost:  # a live deal's close date keeps moving while it stays open
            self._advance(p, cur, self.today)
        if planned_from is not None and planned_from <= self.agenda_end and p.met_day:
            day = self._day_after(
                p.manager, max(planned_from, self.today) - timedelta(days=1), "meeting", (0, 3)
            )
            if day is not None and day <= self.agenda_end:
                self._meeting(p, day, PLANNED)

    # -- activity and history rows ---------------------------------------------------

    def _call(self, p: _Prospect, day: date, outcome: str, kind: str = CallKind.FOLLOW_UP) -> None:
        rng = self.rng
        seconds = {
            CallOutcome.NO_ANSWER: (0, 25),
            CallOutcome.REFUSED: (20, 90),
            CallOutcome.TALKED: (120, 900),
            CallOutcome.MEETING_BOOKED: (240, 720),
        }[outcome]
        call = _Call(
            manager=p.manager,
            prospect=p,
            day=day,
            outcome=outcome,
            kind=kind,
            direction=CallDirection.INBOUND if rng.random() < 0.08 else CallDirection.OUTBOUND,
            seconds=rng.randint(*seconds),
        )
        p.manager.calls.append(call)
        if p.stage == LEAD and outcome in REACHING:
            call.service = True
            p.ops.append(_Op("call", day, call=call))
            p.stage = CONTACTED
            p.contacted_day = day

    def _meeting(self, p: _Prospect, day: date, status: str) -> _Meeting:
        rng = self.rng
        sector = p.manager.team.sector
        meeting = _Meeting(
            manager=p.manager,
            prospect=p,
            day=day,
            status=status,
            minutes=rng.randrange(sector.meeting_minutes[0], sector.meeting_minutes[1] + 1, 5),
            location=self._location(p),
            notes=self._meeting_notes(p),
            attendees=self._attendees(p),
            sequence=1 if status == CANCELLED else 0,
        )
        p.manager.meetings.append(meeting)
        if status == HELD:
            p.meetings_held += 1
            p.dm_met = p.dm_met or meeting.dm_present
            if p.stage in (LEAD, CONTACTED):
                meeting.service_hold = True
                p.ops.append(_Op("hold", day, meeting=meeting))
                p.stage = MEETING
                p.met_day = day
        return meeting

    def _location(self, p: _Prospect) -> str:
        sector = p.manager.team.sector
        street = self.rng.choice(sector.streets.split("|")) if sector.streets else ""
        template = self.rng.choice(sector.locations.split("|"))
        return template.format(company=p.name, street=street)

    def _meeting_notes(self, p: _Prospect) -> str:
        notes = p.manager.team.sector.first_notes.split("|")
        if p.meetings_held < len(notes) and not p.account:
            return notes[p.meetings_held]
        return self.rng.choice(p.manager.team.sector.repeat_notes.split("|"))

    def _attendees(self, p: _Prospect) -> list[_Contact]:
        rng = self.rng
        dms = [c for c in p.contacts if c.is_dm]
        staff = [c for c in p.contacts if not c.is_dm]
        chosen = []
        if dms and not p.no_dm and rng.random() < p.manager.team.sector.p_dm:
            chosen.append(dms[0])
        if staff and (not chosen or rng.random() < 0.4):
            chosen.append(rng.choice(staff))
        return chosen

    def _move(self, p: _Prospect, day: date, stage: str) -> None:
        p.ops.append(_Op("move", day, at=self._admin_time(p.manager, day), stage=stage))
        p.stage = stage

    def _close(self, p: _Prospect, day: date, close: date) -> None:
        if close == p.close:
            return
        p.ops.append(_Op("close", day, at=self._admin_time(p.manager, day), close=close))
        p.close = close

    def _sign(self, p: _Prospect, day: date) -> None:
        rng = self.rng
        sector = p.manager.team.sector
        value = p.value or self._value(sector)
        step = Decimal(sector.value_step)
        contract = (value * Decimal(str(round(rng.uniform(0.85, 1.1), 2))) / step).quantize(
            Decimal(1)
        ) * step
        p.contract_value = max(contract, step).quantize(Decimal("0.01"))
        p.ops.append(_Op("sign", day, at=self._admin_time(p.manager, day), value=p.contract_value))
        p.stage = CONTRACT
        p.signed_on = day
        if sector.key == "goods":
            p.account = True
            p.until = self.agenda_end
        else:
            p.until = day + timedelta(days=ONBOARDING_DAYS)

    def _lose(self, p: _Prospect, day: date) -> None:
        rng = self.rng
        reason = rng.choice(_LOSS_REASONS[p.stage])
        revisit = None
        if rng.random() < 0.4:
            revisit = day + timedelta(days=rng.randint(30, 150))
        p.ops.append(
            _Op("lose", day, at=self._admin_time(p.manager, day), reason=reason, revisit=revisit)
        )
        p.lost_from, p.stage, p.lost_on = p.stage, LOST, day
        p.until = day - timedelta(days=1)

    # -- referrals -------------------------------------------------------------------

    def _ask_referrals(self) -> None:
        """Managers ask clients (and warm prospects) for referrals; some say yes."""
        rng = self.rng
        history_end = self.today - timedelta(days=1)
        for team in self.teams:
            win_due = True
            for manager in team.managers:
                for month in self.months:
                    days = [
                        d for d in manager.days if month <= d <= min(_month_end(month), history_end)
                    ]
                    if not days:
                        continue
                    for _ in range(
                        self._count(manager.asks_per_month * self._ramp(manager, days[0]))
                    ):
                        day = rng.choice(days)
                        referral = self._ask(manager, day)
                        if referral is None or referral.referred is None:
                            continue
                        p = referral.referred
                        win_on = None
                        if win_due and p.created_day <= self.today - timedelta(days=50):
                            win_due = False
                            win_on = self._day_after(manager, p.created_day, "any", (22, 28))
                        self._live(p, p.created_day, win_on=win_on)
        self.prospects.sort(key=lambda p: (p.created, p.manager.username, p.name))

    def _ask(self, manager: _Manager, day: date) -> _Referral | None:
        rng = self.rng
        candidates, weights = [], []
        for p in manager.prospects:
            if p.created_day >= day or (p.last_ask and p.last_ask > day - timedelta(days=45)):
                continue
            if p.signed_on and p.signed_on < day:
                candidates.append(p)
                weights.append(3)
            elif (
                p.proposal_day
                and p.proposal_day < day
                and (p.lost_on or day) >= day
                and not p.signed_on
            ):
                candidates.append(p)
                weights.append(1)
        if not candidates:
            return None
        source = rng.choices(candidates, weights)[0]
        source.last_ask = day
        referral = _Referral(manager=manager, from_prospect=source, asked_on=day)
        manager.asks.append(referral)
        self.referrals.append(referral)
        roll = rng.random()
        if roll < 0.4:
            answer = self._day_after(manager, day, "any", (3, 15))
            if answer is not None and answer < self.today:
                referral.status, referral.answered_on = ReferralStatus.RECEIVED, answer
                referral.referred = self._new_prospect(
                    manager,
                    answer,
                    self._creation_time(manager, answer),
                    Source.REFERRAL,
                    LEAD,
                    referral=referral,
                )
        elif roll < 0.75:
            answer = self._day_after(manager, day, "any", (2, 12))
            if answer is not None and answer < self.today:
                referral.status, referral.answered_on = ReferralStatus.DECLINED, answer
        return referral

    # -- repeat meetings, calls, and the hours of each day ---------------------------

    def _fill_days(self, manager: _Manager) -> None:
        """Top each working day up to the manager's rates with repeat meetings and calls."""
        rng = self.rng
        sector = manager.team.sector
        held: Counter = Counter()
        booked: dict[date, list[_Prospect]] = {}
        for m in manager.meetings:
            if m.status in (HELD, PLANNED):
                held[m.day] += 1
            booked.setdefault(m.day, []).append(m.prospect)
        calls = Counter(c.day for c in manager.calls)
        for day in manager.days[bisect_left(manager.days, self.start) :]:
            if day in manager.away:
                continue
            ramp = self._ramp(manager, day)
            kind = manager.kinds[day]
            meet_rate, call_rate = manager.meeting_rate * ramp, manager.call_rate * ramp
            if kind == "meeting" and manager.style == "alternate":
                meet_rate, call_rate = meet_rate * 1.9, meet_rate * 0.8
            elif kind == "call" and manager.style == "alternate":
                meet_rate, call_rate = meet_rate * 0.1, call_rate * 1.9
            elif kind == "call":  # the office day of a field seller
                meet_rate, call_rate = meet_rate * 0.2, call_rate * 3.5
            elif manager.style == "office_friday":
                meet_rate, call_rate = meet_rate * 1.2, call_rate * 0.4
            wanted = self._count(meet_rate) - held[day]
            taken = booked.get(day, [])
            pool = [
                p
                for p in manager.prospects
                if p.met_day is not None
                and p.met_day < day
                and p.until is not None
                and day <= p.until
                and p.active_on(day)
                and (sector.key == "goods" or p not in taken)
            ]
            if wanted > 0 and pool:
                weights = [
                    (sector.account_weight if p.account or p.signed_on else 2.0) for p in pool
                ]
                if sector.key == "goods":
                    picks = rng.choices(pool, weights, k=wanted)
                else:
                    picks = []
                    for _ in range(min(wanted, len(pool))):
                        i = rng.choices(range(len(pool)), weights)[0]
                        picks.append(pool.pop(i))
                        weights.pop(i)
                for p in picks:
                    if day >= self.today:
                        self._meeting(p, day, PLANNED)
                        continue
                    roll = rng.random()
                    if roll < 0.07:
                        self._meeting(p, day, CANCELLED if roll < 0.04 else NO_SHOW)
                        if sector.key != "goods":  # a store visit moves to another outlet
                            continue
                    self._meeting(p, day, HELD)
            if day >= self.today:
                continue
            n_calls = self._count(call_rate) - calls[day]
            if kind == "meeting":
                n_calls = min(n_calls, held[day] + max(wanted, 0) - 1)
            followable = self._followable(manager, day)
            for _ in range(max(n_calls, 0)):
                if followable and rng.random() < 0.3:
                    p = rng.choice(followable)
                    outcome = rng.choices(
                        (CallOutcome.TALKED, CallOutcome.NO_ANSWER, CallOutcome.MEETING_BOOKED),
                        (6, 3.5, 0.5),
                    )[0]
                    self._call(p, day, outcome)
                else:
                    self._cold_call(manager, day)

    def _followable(self, manager: _Manager, day: date) -> list[_Prospect]:
        return [
            p
            for p in manager.prospects
            if p.contacted_day is not None
            and p.contacted_day < day
            and p.until is not None
            and day <= p.until
            and p.active_on(day)
            and (p.signed_on is None or day <= p.signed_on + timedelta(days=ONBOARDING_DAYS))
        ]

    def _cold_call(self, manager: _Manager, day: date) -> None:
        rng = self.rng
        outcome = rng.choices(
            (CallOutcome.NO_ANSWER, CallOutcome.REFUSED, CallOutcome.TALKED), (55, 25, 20)
        )[0]
        seconds = {
            CallOutcome.NO_ANSWER: (0, 25),
            CallOutcome.REFUSED: (20, 90),
            CallOutcome.TALKED: (90, 420),
        }[outcome]
        manager.calls.append(
            _Call(
                manager=manager,
                prospect=None,
                day=day,
                outcome=outcome,
                kind=CallKind.COLD,
                direction=CallDirection.OUTBOUND,
                seconds=rng.randint(*seconds),
            )
        )

    def _lay_out(self, manager: _Manager) -> None:
        """Give each call and meeting a time: the day's items in random order, random gaps."""
        rng = self.rng
        zone = manager.team.zone
        start, end = manager.team.sector.day_start, 17 * 60
        by_day: dict[date, list[_Call | _Meeting]] = {}
        for item in [*manager.calls, *manager.meetings]:
            by_day.setdefault(item.day, []).append(item)
        for day in sorted(by_day):
            items = by_day[day]
            rng.shuffle(items)
            meetings = sum(isinstance(item, _Meeting) for item in items)
            budget = end - start - 4 * meetings  # meeting starts are rounded up to 5 minutes
            lengths = [
                i.minutes if isinstance(i, _Meeting) else math.ceil(i.seconds / 60) + 1
                for i in items
            ]
            total = sum(lengths)
            if total > budget * 0.9:  # a packed day: shorter visits and calls
                factor = budget * 0.9 / total
                lengths = [
                    max(5 if isinstance(item, _Meeting) else 1, int(n * factor))
                    for item, n in zip(items, lengths, strict=True)
                ]
                for item, n in zip(items, lengths, strict=True):
                    if isinstance(item, _Meeting):
                        item.minutes = n
                total = sum(lengths)
            gaps = [rng.random() for _ in range(len(items) + 1)]
            scale = max(budget - total, 0) / sum(gaps)
            t = float(start)
            for item, n, gap in zip(items, lengths, gaps, strict=False):
                t += gap * scale
                if isinstance(item, _Meeting):
                    t = math.ceil(t / 5) * 5
                    item.starts_at = _moment(day, t, zone)
                    item.ends_at = item.starts_at + timedelta(minutes=item.minutes)
                else:
                    item.at = _moment(day, t + rng.random() * 0.5, zone)
                t += n

    # -- plans and reviews -----------------------------------------------------------

    def actuals(self, manager: _Manager, first: date, last: date) -> dict[str, Any]:
        """What a manager did from ``first`` to ``last`` (inclusive): SPEC 3.4's actuals."""
        signed = [
            p for p in manager.prospects if p.signed_on is not None and first <= p.signed_on <= last
        ]
        return {
            "contracts": len(signed),
            "revenue": sum((p.contract_value for p in signed), Decimal(0)),
            "meetings": sum(
                1 for m in manager.meetings if m.status == HELD and first <= m.day <= last
            ),
            "calls": sum(1 for c in manager.calls if first <= c.day <= last),
            "new_prospects": sum(1 for p in manager.prospects if first <= p.created_day <= last),
            "referrals_asked": sum(1 for r in manager.asks if first <= r.asked_on <= last),
        }

    def _plan(self) -> None:
        """Monthly plans set by the lead: past targets around what each manager achieved
        (some exceed them, some fall short), this month's from the last three months."""
        rng = self.rng
        for team in self.teams:
            step = {"revenue": 500 if team.sector.key == "goods" else 1000}
            step["meetings"] = 10 if team.sector.key == "goods" else 5
            step["calls"] = 10
            current = self.months[-1]
            veterans = [m for m in team.managers if m.hired_on < _month_start(current, -2)]
            for manager in veterans:
                history = []
                for month in self.months[:-1]:
                    if month < _month_start(manager.hired_on):
                        continue
                    first = max(month, manager.hired_on)
                    actual = self.actuals(manager, first, _month_end(month))
                    history.append(actual)
                    targets = {}
                    for metric, value in actual.items():
                        ratio = manager.plan_bias * rng.uniform(0.85, 1.15)
                        if metric != "contracts":
                            targets[metric] = self._round_target(metric, float(value) / ratio, step)
                        elif manager.postponer and month in self.postpone_months:
                            # The postponer reaches the target early, then slips deals.
                            targets[metric] = max(1, math.floor(value / max(ratio, 1.0)))
                        else:  # few contracts: rounded the way the manager tends to land
                            rounded = math.floor if ratio > 1.05 else math.ceil
                            targets[metric] = max(1, rounded(value / ratio))
                    manager.plans.append((first, _month_end(month), targets))
                recent = history[-3:]
                if recent:
                    base = {k: sum(Decimal(a[k]) for a in recent) / len(recent) for k in recent[0]}
                else:
                    base = self._expected(manager, current)
                targets = {k: self._round_target(k, float(v) * 1.1, step) for k, v in base.items()}
                manager.plans.append((current, _month_end(current), targets))
            for manager in team.managers:
                if manager in veterans:
                    continue
                for month in self.months:
                    if month < _month_start(manager.hired_on):
                        continue
                    first = max(month, manager.hired_on)
                    peers = [
                        plan[2] for m in veterans for plan in m.plans if plan[0] <= first <= plan[1]
                    ]
                    base = (
                        {k: median(float(t[k]) for t in peers) for k in peers[0]}
                        if peers
                        else self._expected(manager, month)
                    )
                    full = len(team.calendar.between(month, _month_end(month)))
                    share = len(team.calendar.between(first, _month_end(month))) / max(full, 1)
                    ramp = self._ramp(manager, first) * share
                    targets = {
                        k: self._round_target(k, float(v) * ramp, step) for k, v in base.items()
                    }
                    manager.plans.append((first, _month_end(month), targets))

    def _expected(self, manager: _Manager, month: date) -> dict[str, float]:
        """A month's targets from the manager's rates (no history to go by)."""
        sector = manager.team.sector
        days = len(manager.team.calendar.between(month, _month_end(month)))
        win = sector.p_reach * sector.p_meet * sector.p_proposal * sector.p_win
        prospects = sector.new_per_month + 1.5
        value = sum(sector.value) / 2
        return {
            "contracts": prospects * win,
            "revenue": prospects * win * value,
            "meetings": manager.meeting_rate * days,
            "calls": manager.call_rate * days,
            "new_prospects": prospects,
            "referrals_asked": manager.asks_per_month,
        }

    @staticmethod
    def _round_target(metric: str, value: float, step: dict[str, int]) -> Any:
        value = float(value)
        if metric == "revenue":
            unit = step["revenue"]
            return Decimal(max(unit, round(value / unit) * unit)).quantize(Decimal("0.01"))
        unit = step.get(metric, 1)
        if metric == "meetings" and value < 40:
            unit = 1
        return max(1, round(value / unit) * unit)

    def _review(self) -> None:
        """The leads' notes on the last full month for a few managers."""
        if len(self.months) < 2:
            return
        month = self.months[-2]
        last = _month_end(month)
        for team in self.teams:
            for manager in team.managers[:3]:
                plan = next((p for p in manager.plans if p[1] == last), None)
                if plan is None:
                    continue
                actual = self.actuals(manager, plan[0], last)
                target = plan[2]
                days = len(team.calendar.between(plan[0], last))
                parts = [
                    f"Contracts {actual['contracts']} against a target of {target['contracts']}, "
                    f"revenue {actual['revenue']:,.0f} against {target['revenue']:,.0f}.",
                    f"{actual['meetings'] / max(days, 1):.1f} held meetings and "
                    f"{actual['calls'] / max(days, 1):.1f} calls per working day.",
                ]
                if manager.postponer:
                    slipped = self.slipped(manager, month)
                    if slipped:
                        parts.append(
                            f"Once the target was met, {len(slipped)} deals "
                            f"({', '.join(p.name for p in slipped[:3])}) were moved to next month "
                            "in the last week. Sign deals when they are ready, not when the "
                            "month suits."
                        )
                elif actual["contracts"] > target["contracts"]:
                    parts.append("Well above plan; let's talk about the bigger accounts next.")
                elif actual["contracts"] < target["contracts"]:
                    parts.append(
                        "Short of plan. Pipeline coverage is thin: more first meetings, and get "
                        "the decision makers into the room earlier."
                    )
                else:
                    parts.append("On plan.")
                self.reviews.append((manager, plan[0], last, " ".join(parts)))

    def slipped(self, manager: _Manager, month: date) -> list[_Prospect]:
        """Deals whose close date the manager moved out of ``month`` during it, open at its end."""
        last = _month_end(month)
        found = []
        for p in manager.prospects:
            moved = False
            close = p.close0
            for op in p.ops:
                if op.day > last:
                    break
                if op.kind in ("close", "update"):
                    if op.day >= month and close and month <= close <= last and op.close > last:
                        moved = True
                    close = op.close
            ended = [op for op in p.ops if op.kind in ("sign", "lose") and op.day <= last]
            if moved and close and close > last and not ended:
                found.append(p)
        return found

    def highlights(self) -> list[str]:
        lines = []
        for team in self.teams:
            for manager in team.managers:
                if manager.postponer:
                    for month in self.postpone_months:
                        slipped = self.slipped(manager, month)
                        done = self.actuals(manager, month, _month_end(month))["contracts"]
                        if slipped:
                            deals = "1 deal" if len(slipped) == 1 else f"{len(slipped)} deals"
                            lines.append(
                                f"{manager.username} signed {done} contracts in {month:%B %Y} "
                                f"and moved {deals} to the next month in its last week "
                                "(postponing)."
                            )
                if manager.hired_on > self.today - timedelta(days=62):
                    lines.append(
                        f"{manager.username} joined on {manager.hired_on:%d %B %Y}: "
                        "plans ramp up at 50% and 75%."
                    )
        alternating = [m.username for t in self.teams for m in t.managers if m.style != "mixed"]
        if alternating:
            lines.append("Alternate call days and meeting days: " + ", ".join(alternating) + ".")
        stalled = sum(
            1 for p in self.prospects if p.is_open and p.meetings_held >= 3 and not p.dm_met
        )
        lines.append(f"{stalled} open deals with 3+ meetings never met the decision maker.")
        return lines


# --- writing -------------------------------------------------------------------------


class _Writer:
    """Store a simulation: services for history, bulk inserts for the rest."""

    def __init__(self, sim: _Simulation, *, progress: bool) -> None:
        self.sim = sim
        self.progress = progress
        self.logins: tuple[Login, ...] = ()
        self.password = make_password(PASSWORD)  # hashing is slow: once for every login
        self.admin: Any = None

    def write(self) -> None:
        sim = self.sim
        creations = self._creations()
        total = 5 + len(sim.events) + len(creations) + len(sim.prospects)
        total += sum(len(m.plans) for t in sim.teams for m in t.managers) + len(sim.reviews)
        with tqdm(total=total, desc="demo", unit="step", disable=not self.progress) as bar:
            self.bar = bar
            self._step("people", self._people)
            self._step("events", self._events, 0)
            self._step("prospects", lambda: self._create(creations), 0)
            self._step("contacts", self._contacts)
            self._step("meetings", self._meetings)
            self._step("history", self._histories, 0)
            self._step("calls", self._calls)
            # Calls and meetings were bulk-loaded: rewrite the activity caches (every
            # prospect's, and every user's days).
            self._step("activity", self._activity_caches, 0)
            self._step("plans", self._plans, 0)
            bar.update(1)

    def _step(self, name: str, work: Callable[[], None], advance: int = 1) -> None:
        self.bar.set_description(f"demo: {name}")
        work()
        self.bar.update(advance)

    def _people(self) -> None:
        logins = [Login(ADMIN_USERNAME, Role.ADMIN, "(all teams)")]
        self.admin = services.user_create(
            username=ADMIN_USERNAME,
            role=Role.ADMIN,
            password_hash=self.password,
            email=_email(ADMIN_USERNAME),
            first_name="Ada",
            last_name="Admin",
        )
        for team in self.sim.teams:
            sector = team.sector
            team.obj = services.team_create(
                name=sector.team_name,
                sector=Sector.objects.get(code=sector.sector_code),
                timezone_name=sector.timezone,
                holiday_country=sector.country,
            )
            team.lead = services.user_create(
                username=team.lead_username,
                role=Role.LEAD,
                team=team.obj,
                password_hash=self.password,
                email=_email(team.lead_username),
                first_name=team.lead_names[0],
                last_name=team.lead_names[1],
                hired_on=self.sim.start - timedelta(days=2000),
            )
            logins.append(Login(team.lead_username, Role.LEAD, sector.team_name))
        for team in self.sim.teams:
            for manager in team.managers:
                manager.user = services.user_create(
                    username=manager.username,
                    role=Role.MANAGER,
                    team=team.obj,
                    password_hash=self.password,
                    email=_email(manager.username),
                    first_name=manager.first_name,
                    last_name=manager.last_name,
                    hired_on=manager.hired_on,
                )
                logins.append(Login(manager.username, Role.MANAGER, team.sector.team_name))
        self.logins = tuple(logins)

    def _events(self) -> None:
        for event in self.sim.events:
            team = event.team
            slug = re.sub(r"[^a-z0-9]+", "-", event.name.lower()).strip("-")
            event.obj = event_services.event_create(
                name=event.name,
                kind=EventKind(event.kind),
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                by=team.lead if team else self.admin,
                location=event.location,
                url=f"https://events.example/{slug}",
                cost=event.cost,
                team=team.obj if team else None,
            )
            for manager, status in event.attendees:
                event_services.event_attend(event=event.obj, manager=manager.user, status=status)
            self.bar.update(1)

    def _creations(self) -> list[tuple[datetime, int, str, Any]]:
        """Prospects and referrals in the order they happened (a referral's client exists
        before it is asked; a received referral creates its prospect)."""
        items: list[tuple[datetime, int, str, Any]] = []
        for p in self.sim.prospects:
            if p.referral is None:
                items.append((p.created, len(items), "prospect", p))
        for r in self.sim.referrals:
            zone = r.manager.team.zone
            items.append((_moment(r.asked_on, 7 * 60 + 55, zone), len(items), "ask", r))
            if r.status == ReferralStatus.RECEIVED:
                items.append((r.referred.created, len(items), "receive", r))
            elif r.status == ReferralStatus.DECLINED:
                items.append((_moment(r.answered_on, 12 * 60, zone), len(items), "decline", r))
        items.sort(key=lambda item: (item[0], item[1]))
        return items

    def _create(self, creations: list[tuple[datetime, int, str, Any]]) -> None:
        for at, _seq, kind, obj in creations:
            if kind == "prospect":
                p = obj
                user = p.manager.user
                p.obj = services.prospect_create(
                    owner=user,
                    name=p.name,
                    by=user,
                    source=p.source,
                    source_event=p.event.obj if p.event else None,
                    stage=p.stage0,
                    expected_value=p.value if p.referral is None else None,
                    expected_close_date=p.close0,
                    created_at=p.created,
                )
            elif kind == "ask":
                obj.obj = services.referral_ask(
                    manager=obj.manager.user,
                    from_prospect=obj.from_prospect.obj,
                    asked_on=obj.asked_on,
                    by=obj.manager.user,
                )
            elif kind == "receive":
                obj.obj = services.referral_receive(
                    referral=obj.obj,
                    by=obj.manager.user,
                    name=obj.referred.name,
                    received_on=obj.answered_on,
                    at=at,
                )
                obj.referred.obj = obj.obj.referred_prospect
            else:
                obj.obj = services.referral_decline(
                    referral=obj.obj, by=obj.manager.user, declined_on=obj.answered_on, at=at
                )
            self.bar.update(1)

    def _contacts(self) -> None:
        contacts = [c for p in self.sim.prospects for c in p.contacts]
        rows = Contact.objects.bulk_create(
            [
                Contact(
                    prospect_id=p.obj.pk,
                    name=c.name,
                    title=c.title,
                    email=c.email,
                    phone=c.phone,
                    is_decision_maker=c.is_dm,
                )
                for p in self.sim.prospects
                for c in p.contacts
            ],
            batch_size=1000,
        )
        for contact, row in zip(contacts, rows, strict=True):
            contact.obj = row

    def _meetings(self) -> None:
        """Meetings that cannot move a stage, as ``meeting_plan`` stores them and hold,
        cancel or no-show leave them (first held meetings go through the services later)."""
        meetings = [
            m
            for t in self.sim.teams
            for mgr in t.managers
            for m in mgr.meetings
            if not m.service_hold
        ]
        rows = Meeting.objects.bulk_create(
            [
                Meeting(
                    manager_id=m.manager.user.pk,
                    prospect_id=m.prospect.obj.pk,
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                    location=m.location,
                    status=m.status,
                    decision_maker_present=m.dm_present,
                    notes=m.notes,
                    sequence=m.sequence,
                )
                for m in meetings
            ],
            batch_size=1000,
        )
        through = Meeting.attendees.through
        links = []
        for meeting, row in zip(meetings, rows, strict=True):
            meeting.obj = row
            links += [through(meeting_id=row.pk, contact_id=c.obj.pk) for c in meeting.attendees]
        through.objects.bulk_create(links, batch_size=2000)

    def _histories(self) -> None:
        for p in self.sim.prospects:
            user = p.manager.user
            last = p.created
            for op in p.ops:
                at = op.call.at if op.call else op.meeting.starts_at if op.meeting else op.at
                if at < last:
                    raise RuntimeError(f"demo history out of order for {p.name}: {op.kind} {at}")
                last = at
                self._apply(p, op, user)
            self.bar.update(1)

    def _apply(self, p: _Prospect, op: _Op, user: Any) -> None:
        prospect = p.obj
        if op.kind == "call":
            call = op.call
            services.call_log(
                manager=user,
                prospect=prospect,
                at=call.at,
                outcome=call.outcome,
                by=user,
                duration=timedelta(seconds=call.seconds),
                direction=call.direction,
                kind=call.kind,
            )
        elif op.kind == "hold":
            meeting = op.meeting
            meeting.obj = services.meeting_plan(
                manager=user,
                prospect=prospect,
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                by=user,
                location=meeting.location,
                attendees=[contact.obj for contact in meeting.attendees],
                notes=meeting.notes,
            )
            services.meeting_hold(meeting=meeting.obj, by=user, at=meeting.ends_at)
        elif op.kind == "move":
            services.prospect_move(prospect=prospect, to_stage=op.stage, by=user, at=op.at)
        elif op.kind == "close":
            services.prospect_change_close_date(
                prospect=prospect, expected_close_date=op.close, by=user, at=op.at
            )
        elif op.kind == "update":
            services.prospect_update(
                prospect=prospect,
                by=user,
                data={"expected_value": op.value, "expected_close_date": op.close},
                at=op.at,
            )
        elif op.kind == "sign":
            services.prospect_sign(
                prospect=prospect, contract_value=op.value, signed_on=op.day, by=user, at=op.at
            )
        elif op.kind == "lose":
            services.prospect_lose(
                prospect=prospect,
                reason=op.reason,
                by=user,
                lost_on=op.day,
                revisit_on=op.revisit,
                at=op.at,
            )
        elif op.kind == "reopen":
            services.prospect_reopen(prospect=prospect, by=user, at=op.at)
        else:
            raise ValueError(op.kind)

    def _calls(self) -> None:
        Call.objects.bulk_create(
            [
                Call(
                    manager_id=c.manager.user.pk,
                    prospect_id=c.prospect.obj.pk if c.prospect else None,
                    at=c.at,
                    duration=timedelta(seconds=c.seconds),
                    direction=c.direction,
                    kind=c.kind,
                    outcome=c.outcome,
                )
                for t in self.sim.teams
                for m in t.managers
                for c in m.calls
                if not c.service
            ],
            batch_size=1000,
        )

    def _activity_caches(self) -> None:
        services.prospect_activity_refresh()
        services.activity_days_refresh()

    def _plans(self) -> None:
        for team in self.sim.teams:
            for manager in team.managers:
                for first, last, targets in manager.plans:
                    funnel_services.plan_create(
                        manager=manager.user, start=first, end=last, by=team.lead, targets=targets
                    )
                    self.bar.update(1)
        leads = {t.lead_username: t.lead for t in self.sim.teams}
        for manager, first, last, notes in self.sim.reviews:
            funnel_services.review_save(
                manager=manager.user,
                author=leads[manager.team.lead_username],
                period_start=first,
                period_end=last,
                notes=notes,
            )
            self.bar.update(1)
