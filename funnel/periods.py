"""Report periods and working days (SPEC section 3, opening paragraph).

A `Period` is a run of calendar days, both ends inclusive: a month (`2026-11`), a quarter
(`2026-Q4`), an ISO week (`2026-W47`) or an explicit range (`start=…&end=…`). Days are
calendar days in the team's time zone; `Period.bounds(tz)` turns a period into the half-open
range of instants to filter aware timestamps with, and `local_day` maps an instant back to
its day.

A `WorkCalendar` says which days are working days: a day of the team's work week (default
Mon-Fri) that is not a public holiday of the team's holiday country (none by default).
Working days are the divisor of the activity rates and the pace of a plan (SPEC 3.3, 3.4)
and the window of a late slip (SPEC 3.5).

Plain values in, plain values out: nothing here touches the ORM.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import holidays

from crm.zones import named_zone

__all__ = [
    "KINDS",
    "MAX_RANGE_DAYS",
    "Period",
    "PeriodError",
    "WorkCalendar",
    "iso_week_of",
    "local_day",
    "month_of",
    "parse_period",
    "quarter_of",
]

KINDS = ("month", "quarter", "week", "range")

# A leap year; longer spans are reported as several periods.
MAX_RANGE_DAYS = 366

# A parsed period and its neighbours (previous(), next(), bounds()) must stay within
# date.min..date.max, so parse_period refuses the first and last representable years.
_MIN_YEAR, _MAX_YEAR = date.min.year + 1, date.max.year - 1

_T = TypeVar("_T")

_ACCEPTED = (
    "Use period=2026-11 (month), period=2026-Q4 (quarter), period=2026-W47 (ISO week), "
    "or start=YYYY-MM-DD&end=YYYY-MM-DD (both inclusive)."
)

# re.ASCII: \d would otherwise match non-ASCII digits, which int() happily converts.
_PERIOD_RE = re.compile(
    r"(?P<year>\d{4})-(?:(?P<month>\d{2})|Q(?P<quarter>\d)|W(?P<week>\d{2}))",
    re.ASCII | re.IGNORECASE,
)
# date.fromisoformat also takes 20261103 and 2026-W47-1; the API promises YYYY-MM-DD only.
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class PeriodError(ValueError):
    """A period that cannot be parsed or does not exist.

    `field` names the offending query parameter (`period`, `start` or `end`) so that the API
    answers a 400 naming it; `problem` is the reason alone, `str(error)` adds the forms that
    are accepted.
    """

    def __init__(self, problem: str, *, field: str = "period") -> None:
        super().__init__(f"{problem} {_ACCEPTED}")
        self.problem = problem
        self.field = field


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days `start`…`end`, both inclusive, of one `kind` (see `KINDS`).

    Build one with `parse_period`, `month_of`/`quarter_of`/`iso_week_of`, or the `of_*`
    constructors, which also set the `label` (`2026-11`, `2026-Q4`, `2026-W47`,
    `2026-11-03..2026-11-20`).
    """

    start: date
    end: date
    kind: str
    label: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown period kind {self.kind!r}; one of {', '.join(KINDS)}.")
        if self.end < self.start:
            raise ValueError(f"A period cannot end ({self.end}) before it starts ({self.start}).")

    def __str__(self) -> str:
        return self.label

    # --- constructors ----------------------------------------------------------------

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"{year:04d}-{month:02d} is not a month; months run from 01 to 12.")
        start = date(year, month, 1)
        end = _add_months(start, 1) - timedelta(days=1)
        return cls(start, end, "month", f"{year:04d}-{month:02d}")

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise PeriodError(
                f"{year:04d}-Q{quarter} is not a quarter; quarters run from Q1 to Q4."
            )
        start = date(year, 3 * quarter - 2, 1)
        end = _add_months(start, 3) - timedelta(days=1)
        return cls(start, end, "quarter", f"{year:04d}-Q{quarter}")

    @classmethod
    def of_iso_week(cls, year: int, week: int) -> Period:
        """ISO week `week` of ISO year `year`: Monday to Sunday.

        Week 1 is the week holding the year's first Thursday, so it may start in December
        (2026-W01 starts on 2025-12-29); a year has 52 or 53 weeks.
        """
        weeks = _iso_weeks_in(year)
        if not 1 <= week <= weeks:
            raise PeriodError(
                f"{year:04d}-W{week:02d} is not a week; {year} has {weeks} ISO weeks."
            )
        start = date.fromisocalendar(year, week, 1)
        return cls(start, start + timedelta(days=6), "week", f"{year:04d}-W{week:02d}")

    @classmethod
    def of_range(cls, start: date, end: date) -> Period:
        """Any run of days; no length limit here (`parse_period` applies `MAX_RANGE_DAYS`)."""
        if end < start:
            raise PeriodError(
                f"The end ({end.isoformat()}) is before the start ({start.isoformat()}).",
                field="end",
            )
        return cls(start, end, "range", f"{start.isoformat()}..{end.isoformat()}")

    # --- days ------------------------------------------------------------------------

    @property
    def days(self) -> int:
        """Number of calendar days, both ends counted (a month of November: 30)."""
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        """Every calendar day of the period, in order."""
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def is_current(self, today: date) -> bool:
        return self.contains(today)

    def is_future(self, today: date) -> bool:
        """True when the period has not started yet (today is before its first day)."""
        return today < self.start

    def is_past(self, today: date) -> bool:
        """True when the period is over (today is after its last day)."""
        return self.end < today

    # --- neighbours ------------------------------------------------------------------

    def previous(self) -> Period:
        """The period of the same kind just before; for a range, the range of the same length
        ending the day before this one starts."""
        return self._shift(-1)

    def next(self) -> Period:
        """The period of the same kind just after; for a range, the range of the same length
        starting the day after this one ends."""
        return self._shift(1)

    def previous_full(self, n: int, *, kind: str | None = None) -> list[Period]:
        """The `n` whole periods before this one, oldest first.

        Without `kind`, the periods are of this period's kind ("the last 3 full periods of
        the same length", SPEC 3.11). With `kind` ("month", "quarter" or "week"), they are
        the `n` whole periods of that kind that end before this period starts ("the 6 full
        months before the period", SPEC 3.10): for 2026-W47 (16-22 Nov) the 6 months are
        May to October.
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}.")
        if kind is None or kind == self.kind:
            anchor = self
        elif kind == "range":
            raise ValueError("kind='range' has no length of its own; leave kind out.")
        elif kind in _OF_DAY:
            # The period of that kind holding our first day is not before us; its
            # predecessors are.
            anchor = _OF_DAY[kind](self.start)
        else:
            raise ValueError(f"Unknown period kind {kind!r}; one of {', '.join(KINDS)}.")
        periods: list[Period] = []
        for _ in range(n):
            anchor = anchor.previous()
            periods.append(anchor)
        periods.reverse()
        return periods

    def _shift(self, step: int) -> Period:
        if self.kind == "month":
            return month_of(_add_months(self.start, step))
        if self.kind == "quarter":
            return quarter_of(_add_months(self.start, 3 * step))
        if self.kind == "week":
            return iso_week_of(self.start + timedelta(weeks=step))
        offset = timedelta(days=self.days * step)
        return Period.of_range(self.start + offset, self.end + offset)

    # --- instants --------------------------------------------------------------------

    def bounds(self, tz: ZoneInfo | str) -> tuple[datetime, datetime]:
        """The instants [first day 00:00, day after the last day 00:00) in time zone `tz`.

        Half-open, so filter with `>= lo` and `< hi`. Both are returned in UTC: Python
        subtracts two datetimes that share a tzinfo on the wall clock, which would make a
        Berlin week over the October clock change 168 hours instead of the real 169.
        Where a clock change skips midnight, the day starts at the change.
        """
        zone = _zone(tz)
        lo = datetime.combine(self.start, time.min, tzinfo=zone)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return lo.astimezone(UTC), hi.astimezone(UTC)


def month_of(d: date) -> Period:
    """The calendar month containing `d`."""
    return Period.of_month(d.year, d.month)


def quarter_of(d: date) -> Period:
    """The calendar quarter containing `d` (Q1 = January to March)."""
    return Period.of_quarter(d.year, (d.month - 1) // 3 + 1)


def iso_week_of(d: date) -> Period:
    """The ISO week (Monday to Sunday) containing `d`; its year is the ISO year, so
    2025-12-29 is in 2026-W01 and 2027-01-01 in 2026-W53."""
    iso = d.isocalendar()
    return Period.of_iso_week(iso.year, iso.week)


_OF_DAY = {"month": month_of, "quarter": quarter_of, "week": iso_week_of}


def parse_period(
    *,
    period: str | None = None,
    start: str | date | None = None,
    end: str | date | None = None,
    today: date,
) -> Period:
    """The period of a report request: `period` alone, or `start` and `end` together.

    Nothing given means the month containing `today`. Empty strings count as not given (an
    HTML form submits its empty fields). `period` is case-insensitive (`2026-q4`), and its
    label is normalised (`2026-Q4`). A range may span at most `MAX_RANGE_DAYS` days.
    Raises `PeriodError` naming the offending parameter.
    """
    period = _blank_to_none(period)
    start = _blank_to_none(start)
    end = _blank_to_none(end)

    if period is not None:
        if start is not None or end is not None:
            raise PeriodError("Give either period or start and end, not both.")
        return _parse_named(period)
    if start is None and end is None:
        return month_of(today)
    if end is None:
        raise PeriodError("The range has a start but no end.", field="end")
    if start is None:
        raise PeriodError("The range has an end but no start.", field="start")

    first = _parse_date(start, field="start")
    last = _parse_date(end, field="end")
    _check_year(first.year, field="start")
    _check_year(last.year, field="end")
    result = Period.of_range(first, last)
    if result.days > MAX_RANGE_DAYS:
        raise PeriodError(
            f"The range spans {result.days} days; at most {MAX_RANGE_DAYS} are allowed "
            "(report a longer span as several periods).",
            field="end",
        )
    return result


def _parse_named(text: str) -> Period:
    match = _PERIOD_RE.fullmatch(text.strip())
    if match is None:
        raise PeriodError(f"“{text}” is not a period.")
    year = int(match["year"])
    _check_year(year)
    if match["month"] is not None:
        return Period.of_month(year, int(match["month"]))
    if match["quarter"] is not None:
        return Period.of_quarter(year, int(match["quarter"]))
    return Period.of_iso_week(year, int(match["week"]))


def _parse_date(value: str | date, *, field: str) -> date:
    if isinstance(value, datetime):
        # A datetime is a date too, but which day it falls on depends on a time zone.
        raise TypeError(f"{field} must be a date or an ISO date string, not a datetime.")
    if isinstance(value, date):
        return value
    text = value.strip()
    if _DATE_RE.fullmatch(text) is None:
        raise PeriodError(f"{field}=“{value}” is not a date in the form YYYY-MM-DD.", field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{field}=“{value}” is not a calendar date.", field=field) from None


def _blank_to_none(value: _T | None) -> _T | None:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _check_year(year: int, *, field: str = "period") -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise PeriodError(
            f"The year {year} is out of range ({_MIN_YEAR}-{_MAX_YEAR}).", field=field
        )


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _iso_weeks_in(year: int) -> int:
    # 28 December is always in the last ISO week of its year.
    return date(year, 12, 28).isocalendar().week


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else named_zone(tz)


def local_day(instant: datetime, tz: ZoneInfo | str) -> date:
    """The calendar day in time zone `tz` of an aware instant (naive ones are refused)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"local_day needs an aware datetime, got the naive {instant!r}.")
    return instant.astimezone(_zone(tz)).date()


# --- working days ------------------------------------------------------------------------

_MON_TO_FRI = frozenset({1, 2, 3, 4, 5})


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days a team works: its ISO weekdays (Monday = 1) minus the public holidays of
    `holiday_country` (and `holiday_subdivision`, e.g. DE/BY), as the `holidays` package
    knows them, observed days included. An empty country means no holidays.

    Hashable and cheap: holidays are looked up once per (country, subdivision, year) and the
    working days of a span once per calendar, so 1,000 managers of a few teams cost a few
    lookups.
    """

    work_week: frozenset[int] = _MON_TO_FRI
    holiday_country: str = ""
    holiday_subdivision: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.work_week, frozenset):
            # Keep the calendar hashable (it is a cache key) when a set or list is passed in.
            object.__setattr__(self, "work_week", frozenset(self.work_week))
        if not self.work_week or not self.work_week <= frozenset(range(1, 8)):
            raise ValueError(
                f"work_week must be a non-empty set of ISO weekdays 1-7, not {set(self.work_week)}."
            )
        supported = _supported_countries()
        if self.holiday_country and self.holiday_country not in supported:
            raise ValueError(f"No public-holiday calendar for country {self.holiday_country!r}.")
        if self.holiday_subdivision and (
            not self.holiday_country
            or self.holiday_subdivision not in supported[self.holiday_country]
        ):
            raise ValueError(
                f"No subdivision {self.holiday_subdivision!r} of country "
                f"{self.holiday_country!r} in the public-holiday calendar."
            )

    @classmethod
    def from_team_fields(
        cls, work_week: str, holiday_country: str, holiday_subdivision: str = ""
    ) -> WorkCalendar:
        """From Team.work_week (ISO weekday digits, "12345" = Mon-Fri) and
        Team.holiday_country ("" = no holidays)."""
        if not work_week or not work_week.isascii() or not work_week.isdigit():
            raise ValueError(f"work_week must be ISO weekday digits like 12345, not {work_week!r}.")
        return cls(
            work_week=frozenset(int(ch) for ch in work_week),
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )

    def is_holiday(self, d: date) -> bool:
        if not self.holiday_country:
            return False
        return d in _holiday_dates(self.holiday_country, self.holiday_subdivision, d.year)

    def is_working_day(self, d: date) -> bool:
        return d.isoweekday() in self.work_week and not self.is_holiday(d)

    def working_days(self, period_or_start: Period | date, end: date | None = None) -> list[date]:
        """The working days of a period, or of `start`…`end` (both inclusive), in order."""
        first, last = _span(period_or_start, end)
        return list(_working_days(self, first, last))

    def count(self, period_or_start: Period | date, end: date | None = None) -> int:
        """How many working days the period (or `start`…`end`) has; 0 when it has none."""
        first, last = _span(period_or_start, end)
        return len(_working_days(self, first, last))

    def elapsed(self, period: Period, today: date) -> int:
        """Working days of `period` up to and including `today` (SPEC 3.3): all of them for a
        past period, those through today for the current one, 0 for a future one."""
        if today < period.start:
            return 0
        return self.count(period.start, min(today, period.end))

    def last_working_days(self, period: Period, n: int) -> list[date]:
        """The last `n` working days of `period`, in order (all of them when it has fewer);
        the window of a late slip (SPEC 3.5)."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}.")
        days = _working_days(self, period.start, period.end)
        return list(days[max(len(days) - n, 0) :])


def _span(period_or_start: Period | date, end: date | None) -> tuple[date, date]:
    if isinstance(period_or_start, Period):
        if end is not None:
            raise TypeError("Give a period, or a start and an end, not a period and an end.")
        return period_or_start.start, period_or_start.end
    if end is None:
        raise TypeError("A start date needs an end date.")
    return period_or_start, end


@lru_cache(maxsize=4096)
def _working_days(calendar: WorkCalendar, first: date, last: date) -> tuple[date, ...]:
    # Keyed on the (hashable) calendar: every manager of a team shares one entry per period.
    return tuple(
        first + timedelta(days=offset)
        for offset in range((last - first).days + 1)
        if calendar.is_working_day(first + timedelta(days=offset))
    )


@lru_cache(maxsize=1024)
def _holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(calendar)


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    return holidays.list_supported_countries()
