"""What every page's layout (templates/base.html) needs: the navigation, the signed-in
user's role, and the choices of the shared period picker.

Everything is lazy: a value is worked out only when a template uses it, so the admin and
pages that never show the navigation or the picker pay nothing. Used, the navigation costs
the user's profile (one query, then cached on the user by ``profile_of``); the picker also
costs the team's time zone when the profile has none of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from crm.models import Role
from crm.selectors import profile_of, role_of
from crm.zones import named_zone
from funnel.periods import Period, PeriodError, iso_week_of, month_of, parse_period, quarter_of

# Pages are HTML for people; the navigation never points into the JSON API under this
# prefix, save for the API's own docs. (The API's router already owns "prospect-list".)
API_PREFIX = "/api/"

# The query parameters the picker sets itself; every other one is carried along.
PICKER_PARAMETERS = frozenset({"period", "start", "end", "page"})

EN_DASH = "\N{EN DASH}"

EVERYONE = frozenset({Role.MANAGER, Role.LEAD, Role.ADMIN, None})


@dataclass(frozen=True, slots=True)
class NavLink:
    """One possible entry: the first of ``url_names`` that reverses to a page is used."""

    label: str
    url_names: tuple[str, ...]
    roles: frozenset[str | None] = EVERYONE
    staff_only: bool = False
    api: bool = False  # True for the one entry allowed to point into the API


NAV_LINKS = (
    NavLink("Home", ("home",)),
    NavLink("Prospects", ("prospect-list-page", "prospect-list")),
    NavLink("Events", ("event-list-page",)),
    NavLink("Team review", ("team-review-page",), roles=frozenset({Role.LEAD, Role.ADMIN})),
    NavLink("Calendar", ("calendar-page",)),
    NavLink("API", ("api-docs",), api=True),
    NavLink("Admin", ("admin:index",), staff_only=True),
)


@dataclass(frozen=True, slots=True)
class NavEntry:
    label: str
    url: str
    active: bool


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    value: str  # what ``period=`` gets: 2026-11, 2026-Q4, 2026-W48; "" for custom dates
    label: str


@dataclass(frozen=True, slots=True)
class PeriodPicker:
    """The picker's state for this request (templates/includes/period_picker.html)."""

    choices: tuple[PeriodChoice, ...]
    selected: str  # the value of the chosen option; "" = custom dates
    start: str
    end: str
    keep: tuple[tuple[str, str], ...]  # other query parameters, as hidden inputs

    @property
    def custom(self) -> bool:
        return self.selected == ""


def navigation(request: HttpRequest) -> dict[str, object]:
    """Context processor: ``nav``, ``user_role``, ``user_role_label``, ``period_picker``
    and ``period_choices``."""
    user = request.user
    picker = SimpleLazyObject(lambda: period_picker(request))
    return {
        "nav": SimpleLazyObject(lambda: nav_entries(user, request.path)),
        "user_role": SimpleLazyObject(lambda: role_of(user) or ""),
        "user_role_label": SimpleLazyObject(lambda: role_label(user)),
        "period_picker": picker,
        "period_choices": SimpleLazyObject(lambda: picker.choices),
    }


# --- navigation ---------------------------------------------------------------------------


def nav_entries(user: AbstractBaseUser, path: str) -> list[NavEntry]:
    """The entries the user may follow, in menu order; none for an anonymous visitor.

    An entry whose page does not exist yet (its URL name does not reverse) is left out, so
    the menu never leads to a 404. The active entry is the one whose URL is the longest
    prefix of ``path`` (Home only on ``/`` itself).
    """
    if not user.is_authenticated:
        return []
    role = role_of(user)
    found: list[tuple[str, str]] = []
    for link in NAV_LINKS:
        if role not in link.roles or (link.staff_only and not user.is_staff):
            continue
        url = _page_url(link)
        if url is not None:
            found.append((link.label, url))
    matches = [url for _, url in found if path == url or (url != "/" and path.startswith(url))]
    active = max(matches, key=len, default=None)
    return [NavEntry(label, url, url == active) for label, url in found]


def _page_url(link: NavLink) -> str | None:
    for name in link.url_names:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if link.api or not url.startswith(API_PREFIX):
            return url
    return None


def role_label(user: AbstractBaseUser) -> str:
    """The role as people read it: account manager, sales lead or admin; "" without one."""
    role = role_of(user)
    return Role(role).label if role else ""


# --- the period picker --------------------------------------------------------------------


def now() -> datetime:
    """The clock of the picker (tests replace it)."""
    return timezone.now()


def user_today(user: AbstractBaseUser) -> date:
    """Today in the user's time zone (profile, else team, else the server's)."""
    profile = profile_of(user)
    name = profile.effective_timezone if profile else settings.TIME_ZONE
    try:
        local = named_zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        local = named_zone(settings.TIME_ZONE)
    return now().astimezone(local).date()


def period_choices(today: date) -> tuple[PeriodChoice, ...]:
    """This and last month, this and last quarter, this ISO week, then custom dates."""
    month, quarter, week = month_of(today), quarter_of(today), iso_week_of(today)
    last_month, last_quarter = month.previous(), quarter.previous()
    return (
        PeriodChoice(month.label, f"This month ({month.start:%B %Y})"),
        PeriodChoice(last_month.label, f"Last month ({last_month.start:%B %Y})"),
        PeriodChoice(quarter.label, f"This quarter ({_quarter_label(quarter)})"),
        PeriodChoice(last_quarter.label, f"Last quarter ({_quarter_label(last_quarter)})"),
        PeriodChoice(week.label, f"This week ({_days_label(week.start, week.end)})"),
        PeriodChoice("", "Custom dates…"),
    )


def period_picker(request: HttpRequest) -> PeriodPicker:
    """The choices for today, the one ``request.GET`` asks for, and the parameters to keep.

    No period and no dates select this month, as the reports do. Dates without a period
    select custom dates. A valid period that is not among the choices (a link to
    ``2026-07``) is added to them, so the form shows what the page shows.
    """
    query = request.GET
    today = user_today(request.user)
    choices = period_choices(today)
    period, start, end = (query.get(name, "").strip() for name in ("period", "start", "end"))
    if period:
        try:
            chosen: Period | None = parse_period(period=period, today=today)
        except PeriodError:
            chosen = None
        selected = chosen.label if chosen else choices[0].value
        if chosen and all(choice.value != selected for choice in choices):
            choices = (*choices[:-1], PeriodChoice(selected, selected), choices[-1])
    elif start or end:
        selected = ""
    else:
        selected = choices[0].value
    keep = tuple(
        (name, value)
        for name, values in query.lists()
        if name not in PICKER_PARAMETERS
        for value in values
    )
    return PeriodPicker(choices, selected, start, end, keep)


def _quarter_label(quarter: Period) -> str:
    """Oct-Dec 2026 (with an en dash)."""
    return f"{quarter.start:%b}{EN_DASH}{quarter.end:%b %Y}"


def _days_label(first: date, last: date) -> str:
    """23-29 Nov 2026, 30 Nov - 6 Dec 2026, 28 Dec 2026 - 3 Jan 2027 (with en dashes)."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} {EN_DASH} {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} {EN_DASH} {last.day} {last:%b %Y}"
    return f"{first.day}{EN_DASH}{last.day} {last:%b %Y}"
