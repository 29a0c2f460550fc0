"""Periods and working days (SPEC section 3, opening paragraph): every period form and its
label, the edges of years and ISO weeks, every refused input with the parameter it names,
instant bounds across clock changes, and working days with holidays. No database.

Calendar facts used below (checked against `datetime` and `holidays` 0.109):
- 2026-01-01 is a Thursday, so ISO 2026 has 53 weeks: W01 = 2025-12-29..2026-01-04,
  W47 = 16..22 Nov, W53 = 2026-12-28..2027-01-03. 2027 starts on a Friday: 52 weeks.
- 2026-11-01 is a Sunday, 2026-11-23 a Monday, 2026-12-25 a Friday.
- Clock changes: Europe on 29 Mar and 25 Oct 2026, 28 Mar 2027 (last Sundays);
  New York on 8 Mar and 1 Nov 2026.
- DE national holidays 2026: 1 Jan, 3 Apr, 6 Apr, 1 May, 14 May, 25 May, 3 Oct, 25 Dec,
  26 Dec; none in November (Buß- und Bettag, 18 Nov, is a Saxony-only holiday).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from funnel import periods
from funnel.periods import (
    MAX_RANGE_DAYS,
    Period,
    PeriodError,
    WorkCalendar,
    iso_week_of,
    local_day,
    month_of,
    parse_period,
    quarter_of,
)

TODAY = date(2026, 11, 23)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MON_FRI = WorkCalendar()
GERMANY = WorkCalendar.from_team_fields("12345", "DE")

HOUR = timedelta(hours=1)


def _days(*isos: str) -> list[date]:
    return [date.fromisoformat(iso) for iso in isos]


def _labels(items: list[Period]) -> list[str]:
    return [item.label for item in items]


# --- parsing: every form and its label ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "kind", "label", "days"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "month", "2026-11", 30),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "month", "2026-02", 28),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "month", "2028-02", 29),  # leap
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "month", "2026-12", 31),
        # Q1 = 31 + 28 + 31 = 90 days, Q4 = 31 + 30 + 31 = 92 days
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "quarter", "2026-Q1", 90),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "quarter", "2026-Q4", 92),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "quarter", "2026-Q4", 92),
        # W47 starts 46 weeks after W01's Monday 2025-12-29: 2025-12-29 + 322 days = 16 Nov
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22), "week", "2026-W47", 7),
        ("2026-w47", date(2026, 11, 16), date(2026, 11, 22), "week", "2026-W47", 7),
        # week 1 holds the year's first Thursday (1 Jan 2026), so it starts in 2025
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "week", "2026-W01", 7),
        # 2026 starts on a Thursday, so it has a 53rd week reaching into 2027
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3), "week", "2026-W53", 7),
        (" 2026-11 ", date(2026, 11, 1), date(2026, 11, 30), "month", "2026-11", 30),
    ],
)
def test_parse_named_period(text, start, end, kind, label, days):
    # when
    period = parse_period(period=text, today=TODAY)

    # then
    assert (period.start, period.end, period.kind, period.label) == (start, end, kind, label)
    assert period.days == days
    assert str(period) == label


def test_parse_range_of_iso_strings():
    # when
    period = parse_period(start="2026-11-03", end="2026-11-20", today=TODAY)

    # then: 3..20 Nov, both inclusive = 20 - 3 + 1 = 18 days
    assert period == Period(
        date(2026, 11, 3), date(2026, 11, 20), "range", "2026-11-03..2026-11-20"
    )
    assert period.days == 18


def test_parse_range_of_dates_and_a_single_day():
    # when
    period = parse_period(start=date(2026, 11, 3), end=date(2026, 11, 3), today=TODAY)

    # then
    assert (period.kind, period.label, period.days) == ("range", "2026-11-03..2026-11-03", 1)


def test_a_range_equal_to_a_month_stays_a_range():
    # given: the caller asked for explicit dates, so neighbours are 30-day windows
    period = parse_period(start="2026-11-01", end="2026-11-30", today=TODAY)

    # then
    assert period.kind == "range"
    assert period.previous().label == "2026-10-02..2026-10-31"


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2028-01-01", "2028-12-31", 366),  # a whole leap year
        ("2026-01-01", "2027-01-01", 366),  # 365 days of 2026 + 1 Jan 2027
    ],
)
def test_a_range_of_366_days_is_the_longest_accepted(start, end, days):
    # when
    period = parse_period(start=start, end=end, today=TODAY)

    # then
    assert period.days == days == MAX_RANGE_DAYS


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (TODAY, "2026-11"),
        (date(2027, 1, 1), "2027-01"),
        (date(2026, 12, 31), "2026-12"),
    ],
)
def test_nothing_given_is_the_month_containing_today(today, label):
    # when
    period = parse_period(today=today)

    # then
    assert (period.kind, period.label) == ("month", label)


def test_empty_parameters_count_as_not_given():
    # given: an HTML form submits its empty fields as ""
    # when
    by_default = parse_period(period="", start="", end=" ", today=TODAY)
    by_range = parse_period(period="", start="2026-11-03", end="2026-11-20", today=TODAY)
    by_name = parse_period(period="2026-Q4", start="", end="", today=TODAY)

    # then
    assert (by_default.label, by_range.label, by_name.label) == (
        "2026-11",
        "2026-11-03..2026-11-20",
        "2026-Q4",
    )


# --- parsing: refused input names its parameter ------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-00"}, "period"),
        ({"period": "2026-Q5"}, "period"),
        ({"period": "2026-Q0"}, "period"),
        ({"period": "2026-W54"}, "period"),
        ({"period": "2026-W00"}, "period"),
        ({"period": "2027-W53"}, "period"),  # 2027 has 52 ISO weeks
        ({"period": "garbage"}, "period"),
        ({"period": "2026-1"}, "period"),
        ({"period": "2026/11"}, "period"),
        ({"period": "26-11"}, "period"),
        ({"period": "2026-11-01"}, "period"),
        ({"period": "2026-W47-1"}, "period"),
        ({"period": "٢٠٢٦-11"}, "period"),  # Arabic-Indic digits, which int() would accept
        ({"period": "0001-01"}, "period"),  # its previous month is not representable
        ({"period": "9999-12"}, "period"),  # nor its next
        ({"period": "2026-11", "start": "2026-11-01"}, "period"),
        ({"period": "2026-11", "end": "2026-11-30"}, "period"),
        ({"period": "2026-11", "start": "2026-11-01", "end": "2026-11-30"}, "period"),
        ({"start": "2026-11-01"}, "end"),
        ({"end": "2026-11-30"}, "start"),
        ({"start": "2026-11-20", "end": "2026-11-03"}, "end"),
        ({"start": date(2026, 11, 20), "end": date(2026, 11, 19)}, "end"),
        ({"start": "2026-01-01", "end": "2027-01-02"}, "end"),  # 367 days
        ({"start": "2026-02-30", "end": "2026-03-01"}, "start"),
        ({"start": "20261103", "end": "2026-11-20"}, "start"),  # fromisoformat would take it
        ({"start": "2026-W47-1", "end": "2026-11-20"}, "start"),
        ({"start": "2026-11-03", "end": "tomorrow"}, "end"),
        ({"start": "2026-11-03", "end": "2026-11-31"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
    ],
)
def test_refused_period_names_its_parameter(params, field):
    # when
    with pytest.raises(PeriodError) as caught:
        parse_period(**params, today=TODAY)

    # then
    assert caught.value.field == field
    assert caught.value.problem in str(caught.value)


def test_period_error_lists_the_accepted_forms_and_is_a_value_error():
    # when
    with pytest.raises(ValueError, match="2026-13") as caught:
        parse_period(period="2026-13", today=TODAY)

    # then
    message = str(caught.value)
    for form in (
        "period=2026-11 (month)",
        "period=2026-Q4 (quarter)",
        "period=2026-W47 (ISO week)",
        "start=YYYY-MM-DD&end=YYYY-MM-DD (both inclusive)",
    ):
        assert form in message


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"period": "2026-W54"}, "2026-W54 is not a week; 2026 has 53 ISO weeks."),
        ({"period": "2027-W53"}, "2027-W53 is not a week; 2027 has 52 ISO weeks."),
        ({"period": "2026-Q5"}, "2026-Q5 is not a quarter; quarters run from Q1 to Q4."),
        ({"period": "2026-13"}, "2026-13 is not a month; months run from 01 to 12."),
        ({"period": "26-11"}, "“26-11” is not a period."),
        (
            {"start": "2026-02-30", "end": "2026-03-01"},
            "start=“2026-02-30” is not a calendar date.",
        ),
        (
            {"start": "2026-11-20", "end": "2026-11-03"},
            "The end (2026-11-03) is before the start (2026-11-20).",
        ),
        ({"start": "2026-11-01"}, "The range has a start but no end."),
        ({"end": "2026-11-30"}, "The range has an end but no start."),
    ],
)
def test_period_error_says_what_is_wrong(params, problem):
    # when
    with pytest.raises(PeriodError) as caught:
        parse_period(**params, today=TODAY)

    # then
    assert caught.value.problem == problem


def test_a_datetime_is_not_taken_for_a_date():
    # given: which day an instant falls on depends on a time zone this function does not know
    instant = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)

    # when / then
    with pytest.raises(TypeError):
        parse_period(start=instant, end=date(2026, 11, 20), today=TODAY)


def test_a_period_cannot_be_built_reversed_or_of_an_unknown_kind():
    # when / then
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 11, 2), date(2026, 11, 1), "range", "2026-11-02..2026-11-01")
    with pytest.raises(ValueError, match="kind"):
        Period(date(2026, 1, 1), date(2026, 12, 31), "year", "2026")


# --- helpers and neighbours ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "quarter", "week"),
    [
        (date(2026, 11, 23), "2026-11", "2026-Q4", "2026-W48"),
        (date(2026, 3, 31), "2026-03", "2026-Q1", "2026-W14"),
        (date(2026, 4, 1), "2026-04", "2026-Q2", "2026-W14"),
        # the ISO year differs from the calendar year at both ends
        (date(2025, 12, 29), "2025-12", "2025-Q4", "2026-W01"),
        (date(2027, 1, 1), "2027-01", "2027-Q1", "2026-W53"),
        (date(2027, 1, 3), "2027-01", "2027-Q1", "2026-W53"),
        (date(2027, 1, 4), "2027-01", "2027-Q1", "2027-W01"),
    ],
)
def test_period_of_a_day(day, month, quarter, week):
    # when
    found = (month_of(day), quarter_of(day), iso_week_of(day))

    # then
    assert tuple(item.label for item in found) == (month, quarter, week)
    assert all(item.contains(day) for item in found)


@pytest.mark.parametrize(
    ("label", "previous", "next_"),
    [
        ("2026-12", "2026-11", "2027-01"),
        ("2027-01", "2026-12", "2027-02"),
        ("2026-Q4", "2026-Q3", "2027-Q1"),
        ("2027-Q1", "2026-Q4", "2027-Q2"),
        ("2026-W52", "2026-W51", "2026-W53"),
        ("2026-W53", "2026-W52", "2027-W01"),
        ("2026-W01", "2025-W52", "2026-W02"),
    ],
)
def test_previous_and_next_cross_year_ends(label, previous, next_):
    # given
    period = parse_period(period=label, today=TODAY)

    # when / then
    assert (period.previous().label, period.next().label) == (previous, next_)
    assert period.previous().end + timedelta(days=1) == period.start
    assert period.next().start - timedelta(days=1) == period.end


def test_neighbours_of_a_range_have_its_length():
    # given: 3..20 Nov = 18 days
    period = parse_period(start="2026-11-03", end="2026-11-20", today=TODAY)

    # when
    before, after = period.previous(), period.next()

    # then: 3 Nov - 18 days = 16 Oct, through 2 Nov; 21 Nov + 17 days = 8 Dec
    assert before.label == "2026-10-16..2026-11-02"
    assert after.label == "2026-11-21..2026-12-08"
    assert before.days == after.days == 18
    assert before.kind == after.kind == "range"


@pytest.mark.parametrize(
    ("label", "n", "expected"),
    [
        ("2026-11", 3, ["2026-08", "2026-09", "2026-10"]),
        ("2026-02", 3, ["2025-11", "2025-12", "2026-01"]),
        ("2026-Q1", 6, ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
        ("2026-W02", 3, ["2025-W51", "2025-W52", "2026-W01"]),
        ("2027-W01", 2, ["2026-W52", "2026-W53"]),
        ("2026-11", 0, []),
    ],
)
def test_previous_full_periods_of_the_same_kind_oldest_first(label, n, expected):
    # given
    period = parse_period(period=label, today=TODAY)

    # when
    found = period.previous_full(n)

    # then
    assert _labels(found) == expected
    assert all(item.kind == period.kind for item in found)


def test_previous_full_ranges_keep_the_length():
    # given: 3..20 Nov = 18 days
    period = parse_period(start="2026-11-03", end="2026-11-20", today=TODAY)

    # when
    found = period.previous_full(2)

    # then: 16 Oct..2 Nov, and 18 days before that 28 Sep..15 Oct
    assert _labels(found) == ["2026-09-28..2026-10-15", "2026-10-16..2026-11-02"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # 16..22 Nov: November is not over when the week starts; May..October are
        (
            {"period": "2026-W47"},
            ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"],
        ),
        ({"period": "2026-Q1"}, ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]),
        ({"period": "2026-11"}, ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]),
        (
            {"start": "2026-11-03", "end": "2026-11-20"},
            ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"],
        ),
        # W01 of 2026 starts on 29 Dec 2025, so December 2025 is not a full month before it
        (
            {"period": "2026-W01"},
            ["2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11"],
        ),
    ],
)
def test_the_six_full_months_before_any_period(params, expected):
    # given
    period = parse_period(**params, today=TODAY)

    # when
    found = period.previous_full(6, kind="month")

    # then
    assert _labels(found) == expected
    assert found[-1].end < period.start


def test_previous_full_refuses_a_negative_count_and_a_range_kind():
    # given
    period = month_of(TODAY)

    # when / then
    with pytest.raises(ValueError, match="0 or more"):
        period.previous_full(-1)
    with pytest.raises(ValueError, match="range"):
        period.previous_full(3, kind="range")
    with pytest.raises(ValueError, match="kind"):
        period.previous_full(3, kind="year")


# --- days and today ------------------------------------------------------------------------


def test_contains_and_dates_cover_both_ends():
    # given
    week = parse_period(period="2026-W47", today=TODAY)

    # then
    assert week.contains(date(2026, 11, 16))
    assert week.contains(date(2026, 11, 22))
    assert not week.contains(date(2026, 11, 15))
    assert not week.contains(date(2026, 11, 23))
    assert list(week.dates()) == [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]


@pytest.mark.parametrize(
    ("label", "current", "future", "past"),
    [
        ("2026-11", True, False, False),
        ("2026-W48", True, False, False),  # starts today
        ("2026-W47", False, False, True),  # ended yesterday
        ("2026-12", False, True, False),
        ("2026-10", False, False, True),
        ("2026-Q4", True, False, False),
    ],
)
def test_current_future_past(label, current, future, past):
    # given
    period = parse_period(period=label, today=TODAY)

    # then
    assert (period.is_current(TODAY), period.is_future(TODAY), period.is_past(TODAY)) == (
        current,
        future,
        past,
    )


# --- instants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "tz", "lo", "hi", "hours"),
    [
        # Berlin, 19..25 Oct; clocks go back on Sunday 25 Oct at 03:00 CEST:
        # lo = 19 Oct 00:00 CEST (UTC+2) = 18 Oct 22:00 UTC,
        # hi = 26 Oct 00:00 CET (UTC+1) = 25 Oct 23:00 UTC; 7 x 24 + 1 = 169 hours
        (
            "2026-W43",
            "Europe/Berlin",
            datetime(2026, 10, 18, 22, tzinfo=UTC),
            datetime(2026, 10, 25, 23, tzinfo=UTC),
            169,
        ),
        # Berlin, 23..29 Mar; clocks go forward on Sunday 29 Mar: 7 x 24 - 1 = 167 hours
        (
            "2026-W13",
            "Europe/Berlin",
            datetime(2026, 3, 22, 23, tzinfo=UTC),
            datetime(2026, 3, 29, 22, tzinfo=UTC),
            167,
        ),
        # New York, 26 Oct..1 Nov; clocks go back on Sunday 1 Nov at 02:00 EDT:
        # lo = 26 Oct 00:00 EDT (UTC-4) = 04:00 UTC, hi = 2 Nov 00:00 EST (UTC-5) = 05:00 UTC
        (
            "2026-W44",
            "America/New_York",
            datetime(2026, 10, 26, 4, tzinfo=UTC),
            datetime(2026, 11, 2, 5, tzinfo=UTC),
            169,
        ),
        # New York, March; clocks go forward on 8 Mar: 31 x 24 - 1 = 743 hours
        (
            "2026-03",
            "America/New_York",
            datetime(2026, 3, 1, 5, tzinfo=UTC),
            datetime(2026, 4, 1, 4, tzinfo=UTC),
            743,
        ),
        # Berlin, November: no clock change (CET all month), 30 x 24 = 720 hours
        (
            "2026-11",
            "Europe/Berlin",
            datetime(2026, 10, 31, 23, tzinfo=UTC),
            datetime(2026, 11, 30, 23, tzinfo=UTC),
            720,
        ),
    ],
)
def test_bounds_are_local_midnights_across_clock_changes(label, tz, lo, hi, hours):
    # given
    period = parse_period(period=label, today=TODAY)

    # when
    found_lo, found_hi = period.bounds(tz)

    # then
    assert (found_lo, found_hi) == (lo, hi)
    assert (found_lo.tzinfo, found_hi.tzinfo) == (UTC, UTC)
    assert found_hi - found_lo == hours * HOUR
    assert found_lo.astimezone(ZoneInfo(tz)).time().isoformat() == "00:00:00"
    assert found_hi.astimezone(ZoneInfo(tz)).date() == period.end + timedelta(days=1)


def test_bounds_take_a_zone_or_its_name_and_tile_without_gaps():
    # given
    week = parse_period(period="2026-W43", today=TODAY)

    # then
    assert week.bounds(BERLIN) == week.bounds("Europe/Berlin")
    assert week.bounds(BERLIN)[1] == week.next().bounds(BERLIN)[0]
    assert week.previous().bounds(NEW_YORK)[1] == week.bounds(NEW_YORK)[0]


def test_bounds_when_the_clock_change_skips_midnight():
    # given: Santiago moves from 00:00 (UTC-4) to 01:00 (UTC-3) on Sunday 6 Sep 2026, so the
    # day starts at 01:00 local = 04:00 UTC and has 23 hours
    day = Period.of_range(date(2026, 9, 6), date(2026, 9, 6))

    # when
    lo, hi = day.bounds("America/Santiago")

    # then: hi = 7 Sep 00:00 UTC-3 = 03:00 UTC
    assert (lo, hi) == (datetime(2026, 9, 6, 4, tzinfo=UTC), datetime(2026, 9, 7, 3, tzinfo=UTC))
    assert local_day(lo, "America/Santiago") == date(2026, 9, 6)
    assert local_day(lo - timedelta(seconds=1), "America/Santiago") == date(2026, 9, 5)


@pytest.mark.parametrize(
    ("instant", "tz", "day"),
    [
        # 23:30 UTC is 00:30 CET the next day in Berlin, 18:30 EST the same day in New York
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), BERLIN, date(2026, 12, 1)),
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), NEW_YORK, date(2026, 11, 30)),
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "UTC", date(2026, 11, 30)),
        # around the Berlin change of 25 Oct: 22:59 UTC = 23:59 CET, 23:00 UTC = 00:00 CET
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), "Europe/Berlin", date(2026, 10, 25)),
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), "Europe/Berlin", date(2026, 10, 26)),
        # an instant given in another zone is converted, not reread
        (datetime(2026, 11, 23, 1, 0, tzinfo=BERLIN), NEW_YORK, date(2026, 11, 22)),
    ],
)
def test_local_day(instant, tz, day):
    # when / then
    assert local_day(instant, tz) == day


def test_local_day_refuses_a_naive_datetime():
    # given
    naive = datetime.fromisoformat("2026-11-23T10:00:00")

    # when / then
    with pytest.raises(ValueError, match="aware"):
        local_day(naive, BERLIN)


# --- working days ---------------------------------------------------------------------------


def test_november_2026_has_21_working_days_mon_to_fri():
    # given: 1 Nov is a Sunday; Mon-Fri 2-6, 9-13, 16-20, 23-27 and Mon 30 = 5 x 4 + 1 = 21
    november = parse_period(period="2026-11", today=TODAY)

    # when / then
    assert MON_FRI.count(november) == 21
    assert MON_FRI.working_days(november)[:2] == _days("2026-11-02", "2026-11-03")
    assert MON_FRI.working_days(november)[-1] == date(2026, 11, 30)


def test_november_2026_in_germany_has_no_national_holiday():
    # given: no DE national holiday falls in November 2026 (see the module docstring)
    november = parse_period(period="2026-11", today=TODAY)
    assert not any(d.month == 11 for d in holidays.country_holidays("DE", years=2026))

    # when / then
    assert GERMANY.count(november) == 21


def test_a_subdivision_adds_its_own_holidays():
    # given: Saxony keeps Buß- und Bettag, Wednesday 18 Nov 2026
    saxony = WorkCalendar.from_team_fields("12345", "DE", holiday_subdivision="SN")
    november = month_of(TODAY)

    # when / then: 21 - 1 = 20
    assert saxony.count(november) == 20
    assert not saxony.is_working_day(date(2026, 11, 18))


def test_december_2026_in_germany():
    # given: 1 Dec is a Tuesday; Mon-Fri: Tue-Fri 1-4 (4), 7-11 (5), 14-18 (5), 21-25 (5),
    # Mon-Thu 28-31 (4) = 23. Christmas Day (Fri 25) is one of them; Boxing Day (Sat 26) is
    # not; 24 and 31 Dec are not public holidays. 23 - 1 = 22
    december = parse_period(period="2026-12", today=TODAY)

    # when / then
    assert MON_FRI.count(december) == 23
    assert GERMANY.count(december) == 22
    assert not GERMANY.is_working_day(date(2026, 12, 25))
    assert GERMANY.is_working_day(date(2026, 12, 24))
    assert GERMANY.is_working_day(date(2026, 12, 31))


def test_a_six_day_work_week():
    # given: Mon-Sat
    six_days = WorkCalendar.from_team_fields("123456", "")
    six_days_de = WorkCalendar.from_team_fields("123456", "DE")

    # when / then
    # November: 30 days minus Sundays 1, 8, 15, 22, 29 = 25
    assert six_days.count(month_of(date(2026, 11, 1))) == 25
    # December: 31 days minus Sundays 6, 13, 20, 27 = 27; in DE minus Fri 25 and Sat 26 = 25
    assert six_days.count(month_of(date(2026, 12, 1))) == 27
    assert six_days_de.count(month_of(date(2026, 12, 1))) == 25
    assert six_days.is_working_day(date(2026, 11, 28))  # a Saturday
    assert not six_days.is_working_day(date(2026, 11, 29))  # a Sunday


def test_a_week_with_a_clock_change_and_a_public_holiday():
    # given: 2027-W12 = Mon 22..Sun 28 Mar 2027; Good Friday is 26 Mar, Berlin clocks go
    # forward on Sunday 28 Mar. Working days Mon-Thu 22-25 = 4; hours 7 x 24 - 1 = 167
    week = parse_period(period="2027-W12", today=TODAY)

    # when
    lo, hi = week.bounds(BERLIN)

    # then: lo = 22 Mar 00:00 CET = 21 Mar 23:00 UTC; hi = 29 Mar 00:00 CEST = 28 Mar 22:00 UTC
    assert GERMANY.working_days(week) == _days(
        "2027-03-22", "2027-03-23", "2027-03-24", "2027-03-25"
    )
    assert (lo, hi) == (
        datetime(2027, 3, 21, 23, tzinfo=UTC),
        datetime(2027, 3, 28, 22, tzinfo=UTC),
    )
    assert hi - lo == 167 * HOUR
    assert week.days == 7


def test_a_week_across_new_year_uses_both_years_holidays():
    # given: 2026-W53 = Mon 28 Dec 2026..Sun 3 Jan 2027; New Year's Day is Friday 1 Jan 2027
    week = parse_period(period="2026-W53", today=TODAY)

    # when / then: Mon-Thu 28-31 Dec = 4
    assert GERMANY.working_days(week) == _days(
        "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"
    )


def test_working_days_of_a_period_or_of_two_dates_agree():
    # given
    week = parse_period(period="2026-W47", today=TODAY)

    # when / then
    assert MON_FRI.working_days(week) == MON_FRI.working_days(week.start, week.end)
    assert MON_FRI.count(week) == MON_FRI.count(week.start, week.end) == 5
    with pytest.raises(TypeError):
        MON_FRI.working_days(week.start)
    with pytest.raises(TypeError):
        MON_FRI.working_days(week, week.end)


@pytest.mark.parametrize(
    ("label", "today", "elapsed"),
    [
        # current: Mon-Fri 2-6, 9-13, 16-20 = 15, plus Monday 23 (today counts) = 16
        ("2026-11", TODAY, 16),
        # the first day counts; a Sunday 1 Nov has nothing elapsed yet
        ("2026-11", date(2026, 11, 2), 1),
        ("2026-11", date(2026, 11, 1), 0),
        # on the last day every working day has elapsed
        ("2026-11", date(2026, 11, 30), 21),
        # past: October 2026 starts on a Thursday: 1-2, 5-9, 12-16, 19-23, 26-30 = 22
        ("2026-10", TODAY, 22),
        # future
        ("2026-12", TODAY, 0),
        # the current week from its Monday
        ("2026-W48", TODAY, 1),
        # Q4 so far: 22 (Oct) + 16 (Nov) = 38
        ("2026-Q4", TODAY, 38),
    ],
)
def test_elapsed_working_days(label, today, elapsed):
    # given
    period = parse_period(period=label, today=today)

    # when / then
    assert MON_FRI.elapsed(period, today) == elapsed


def test_elapsed_skips_holidays_too():
    # given: December in DE, today Monday 28 Dec. Tue 1..Mon 28 holds Mon-Fri days
    # 1-4 (4), 7-11 (5), 14-18 (5), 21-25 (5) and 28 (1) = 20; less Christmas Day (Fri 25) = 19
    december = month_of(date(2026, 12, 1))

    # when / then
    assert GERMANY.elapsed(december, date(2026, 12, 28)) == 19


def test_last_five_working_days_skip_a_holiday_inside_them():
    # given: December 2026 in DE ends Mon 28..Thu 31 (4 days); Fri 25 is Christmas, Sat 26 and
    # Sun 27 are a weekend, so the 5th-last working day is Thu 24
    december = parse_period(period="2026-12", today=TODAY)

    # when / then
    assert GERMANY.last_working_days(december, 5) == _days(
        "2026-12-24", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"
    )
    # without holidays: Fri 25 instead of Thu 24
    assert MON_FRI.last_working_days(december, 5) == _days(
        "2026-12-25", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"
    )


def test_last_five_working_days_with_thanksgiving():
    # given: November 2026 in the US: Mon 30, Fri 27, (Thanksgiving Thu 26), Wed 25, Tue 24,
    # Mon 23
    us = WorkCalendar.from_team_fields("12345", "US")
    november = month_of(TODAY)

    # when / then
    assert us.last_working_days(november, 5) == _days(
        "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30"
    )


def test_last_working_days_of_a_short_period():
    # given: 2026-W52 = 21..27 Dec; in DE Mon-Thu 21-24 work, Fri 25 is Christmas: 4 days
    week = parse_period(period="2026-W52", today=TODAY)

    # when / then
    assert GERMANY.last_working_days(week, 5) == _days(
        "2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24"
    )
    assert GERMANY.last_working_days(week, 0) == []
    with pytest.raises(ValueError, match="0 or more"):
        GERMANY.last_working_days(week, -1)


# --- the calendar itself ------------------------------------------------------------------


def test_from_team_fields_defaults_to_mon_fri_without_holidays():
    # when
    calendar = WorkCalendar.from_team_fields("12345", "")

    # then
    assert calendar == WorkCalendar()
    assert calendar.work_week == frozenset({1, 2, 3, 4, 5})
    assert not calendar.is_holiday(date(2026, 12, 25))
    assert calendar.is_working_day(date(2026, 12, 25))


def test_a_calendar_built_from_a_set_is_equal_and_hashable():
    # given
    from_set = WorkCalendar(work_week={1, 2, 3, 4, 5}, holiday_country="DE")  # type: ignore[arg-type]

    # then
    assert from_set == GERMANY
    assert hash(from_set) == hash(GERMANY)


@pytest.mark.parametrize(
    ("work_week", "country", "subdivision", "reason"),
    [
        ("", "", "", "work_week"),
        ("12a45", "", "", "work_week"),
        ("1238", "", "", "work_week"),
        ("0123", "", "", "work_week"),
        ("12345", "XX", "", "country 'XX'"),
        ("12345", "DE", "ZZ", "subdivision 'ZZ'"),
        ("12345", "", "BY", "subdivision 'BY'"),
    ],
)
def test_from_team_fields_refuses_bad_values(work_week, country, subdivision, reason):
    # when / then
    with pytest.raises(ValueError, match=reason):
        WorkCalendar.from_team_fields(work_week, country, holiday_subdivision=subdivision)


@pytest.fixture
def country_holidays_calls(monkeypatch) -> Iterator[list[tuple[str, int]]]:
    """Record the `holidays` look-ups made, starting from empty caches."""
    calls: list[tuple[str, int]] = []
    real = holidays.country_holidays

    def spy(country, *args, **kwargs):
        calls.append((country, kwargs.get("years")))
        return real(country, *args, **kwargs)

    periods._holiday_dates.cache_clear()
    periods._working_days.cache_clear()
    monkeypatch.setattr(periods.holidays, "country_holidays", spy)
    yield calls
    periods._holiday_dates.cache_clear()
    periods._working_days.cache_clear()


def test_holidays_are_looked_up_once_per_country_and_year(country_holidays_calls):
    # given: 1,000 managers, each with their own calendar built from their team's fields
    november, q4 = month_of(TODAY), quarter_of(TODAY)

    # when
    totals = [
        (calendar.count(november), calendar.elapsed(november, TODAY), calendar.count(q4))
        for calendar in (WorkCalendar.from_team_fields("12345", "DE") for _ in range(1000))
    ]

    # then: Q4 = 22 (Oct) + 21 (Nov) + 22 (Dec) = 65
    assert set(totals) == {(21, 16, 65)}
    assert country_holidays_calls == [("DE", 2026)]
