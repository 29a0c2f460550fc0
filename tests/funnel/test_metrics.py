"""The pure maths of SPEC section 3 on plain values: no database, numbers worked out by hand.

Ratios are ``Decimal`` (exact where the quotient terminates), money is ``Decimal`` with two
places, counts are ``int``; ``None`` means "no value".
"""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from funnel import metrics
from funnel.metrics import (
    Alternation,
    Attainment,
    CloseDateChangeRow,
    Coverage,
    Funnel,
    PickedRate,
    Slip,
    SlipSummary,
)

D = Decimal


def _working_days(start: date, end: date) -> list[date]:
    """Mon-Fri between start and end, both inclusive (no holidays)."""
    days = (start + timedelta(n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


# November 2026 starts on a Sunday. Its Mon-Fri days: 2-6, 9-13, 16-20, 23-27, 30 = 21.
NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)
NOV_WORKING = _working_days(NOV_START, NOV_END)
# The last 5 working days of November 2026: 24, 25, 26, 27, 30.
NOV_LATE_START = date(2026, 11, 24)


def _c(changed_on: date, from_date: date | None, to_date: date | None) -> CloseDateChangeRow:
    return CloseDateChangeRow(changed_on, from_date, to_date)


def _nov_slip(changes, closed_on=None, current_close=None, **kwargs) -> Slip:
    if current_close is None and changes:
        current_close = changes[-1][2]
    return metrics.slip_of(
        changes, NOV_START, NOV_END, closed_on, current_close, NOV_LATE_START, **kwargs
    )


def test_working_day_fixture_matches_the_hand_count():
    # then: 21 working days, the late window is the last 5 of them
    assert len(NOV_WORKING) == 21
    assert NOV_WORKING[-5:] == [date(2026, 11, d) for d in (24, 25, 26, 27, 30)]


# --- 3.1 cohort funnel ---------------------------------------------------------------

# Worked example: the stage sequences (StageChange history) of P1..P5, created in M.
WORKED_EXAMPLE_HISTORIES = {
    "P1": ["lead", "contacted", "meeting", "proposal", "contract"],
    "P2": ["lead", "proposal", "meeting", "lost"],  # a skip, a step back, then lost
    "P3": ["lead", "contacted"],
    "P4": ["lead"],
    "P5": ["lead", "meeting"],  # a held meeting moved it from lead to meeting
}


@pytest.mark.parametrize(
    ("prospect", "furthest"),
    [
        ("P1", "contract"),
        ("P2", "proposal"),  # proposal was reached; the later meeting and lost do not count
        ("P3", "contacted"),
        ("P4", "lead"),
        ("P5", "meeting"),
    ],
)
def test_furthest_stage_of_the_worked_example_prospects(prospect, furthest):
    # when
    result = metrics.furthest_stage(WORKED_EXAMPLE_HISTORIES[prospect])

    # then
    assert result == furthest


def test_furthest_stage_of_no_stage_or_only_lost_is_none():
    # then: lost is not a funnel stage
    assert metrics.furthest_stage([]) is None
    assert metrics.furthest_stage(["lost"]) is None


def test_furthest_stage_credits_a_bounce_once():
    # given: lead → meeting → contacted → meeting → contacted
    stages = ["lead", "meeting", "contacted", "meeting", "contacted"]

    # then: the furthest ever reached is meeting
    assert metrics.furthest_stage(stages) == "meeting"


def test_furthest_stage_rejects_an_unknown_stage():
    with pytest.raises(ValueError, match="negotiation"):
        metrics.furthest_stage(["lead", "negotiation"])


def test_worked_example_cohort_funnel():
    # given: one prospect each with furthest stage contract, proposal, contacted, lead, meeting
    counts = Counter(metrics.furthest_stage(h) for h in WORKED_EXAMPLE_HISTORIES.values())

    # when
    reached = metrics.reached_from_furthest(counts)
    funnel = metrics.funnel_from_reached(reached)

    # then: reached(s) counts the prospects at or past s
    # lead 5 (all), contacted 4 (P1 P2 P3 P5), meeting 3 (P1 P2 P5), proposal 2 (P1 P2),
    # contract 1 (P1)
    assert reached == {"lead": 5, "contacted": 4, "meeting": 3, "proposal": 2, "contract": 1}
    assert list(funnel.reached) == ["lead", "contacted", "meeting", "proposal", "contract"]
    assert funnel.reached == reached
    # conversions 4/5, 3/4, 2/3, 1/2
    assert funnel.conversion == {
        "lead→contacted": D(4) / D(5),
        "contacted→meeting": D(3) / D(4),
        "meeting→proposal": D(2) / D(3),
        "proposal→contract": D(1) / D(2),
    }
    assert funnel.conversion["lead→contacted"] == D("0.8")
    assert funnel.conversion["contacted→meeting"] == D("0.75")
    assert round(funnel.conversion["meeting→proposal"], 3) == D("0.667")
    # overall 1/5 = 0.2; one in 5/1 = 5
    assert funnel.overall == D("0.2")
    assert funnel.one_in_n == D(5)


def test_empty_cohort_funnel_has_zero_counts_and_no_ratios():
    # when
    funnel = metrics.funnel_from_reached(metrics.reached_from_furthest({}))

    # then: every divisor is 0, so every ratio is None
    assert funnel == Funnel(
        reached=dict.fromkeys(metrics.FUNNEL_STAGES, 0),
        conversion=dict.fromkeys(
            ["lead→contacted", "contacted→meeting", "meeting→proposal", "proposal→contract"]
        ),
        overall=None,
        one_in_n=None,
    )


def test_funnel_without_a_contract_has_an_overall_of_zero_and_no_one_in_n():
    # given: 3 leads, 1 contacted, nobody further
    reached = {"lead": 3, "contacted": 1}

    # when
    funnel = metrics.funnel_from_reached(reached)

    # then: missing stages are 0; contacted→meeting 0/1 = 0; meeting→… divisor 0 → None
    assert funnel.reached == {"lead": 3, "contacted": 1, "meeting": 0, "proposal": 0, "contract": 0}
    assert funnel.conversion["contacted→meeting"] == 0
    assert funnel.conversion["meeting→proposal"] is None
    assert funnel.overall == 0
    assert funnel.one_in_n is None


def test_one_in_n_may_be_fractional():
    # given: 7 leads, 2 contracts (every one of them went all the way)
    reached = dict.fromkeys(metrics.FUNNEL_STAGES, 2) | {"lead": 7}

    # then: 7 / 2 = 3.5
    assert metrics.funnel_from_reached(reached).one_in_n == D("3.5")


@pytest.mark.parametrize(
    "reached",
    [
        {"lead": 2, "contacted": 3},  # more reached contacted than lead: not cumulative
        {"lead": 2, "lost": 1},  # lost is not a funnel stage
        {"lead": -1},
    ],
)
def test_funnel_from_reached_rejects_inconsistent_counts(reached):
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the offending key
        metrics.funnel_from_reached(reached)


def test_reached_from_furthest_rejects_lost():
    with pytest.raises(ValueError, match="lost"):
        metrics.reached_from_furthest({"lead": 1, "lost": 2})


# --- 3.2 win rate, cycle, velocity ---------------------------------------------------


def test_win_rate():
    # 3 won, 1 lost → 3/4; nothing closed → None; only losses → 0
    assert metrics.win_rate(3, 1) == D("0.75")
    assert metrics.win_rate(0, 0) is None
    assert metrics.win_rate(0, 2) == 0


def test_cycle_stats():
    # given: cycles of 10, 20 and 40 days
    # then: median 20, mean 70/3 = 23.33…
    median, mean = metrics.cycle_stats([40, 10, 20])
    assert median == 20
    assert mean == D(70) / D(3)

    # an even count takes the mean of the two middle values: (10 + 20) / 2 = 15
    assert metrics.cycle_stats([20, 10]) == (15, 15)
    # a contract signed the day it was created is a 0-day cycle
    assert metrics.cycle_stats([0]) == (0, 0)


def test_cycle_stats_of_no_contract_is_none():
    assert metrics.cycle_stats([]) == (None, None)


def test_velocity():
    # given: 10 open at start, win rate 0.5, mean contract 12,000.00, mean cycle 45 days
    # when / then: 10 * 0.5 * 12000 * 30 ÷ 45 = 1,800,000 ÷ 45 = 40,000.00 per 30 days
    assert metrics.velocity(10, D("0.5"), D("12000.00"), D(45)) == D("40000.00")


def test_velocity_is_money_with_two_places():
    # given: 7 open, win rate 1/3, mean contract 1,000.00, mean cycle 30 days
    # when / then: 7 * 1/3 * 1000 * 30 ÷ 30 = 2333.333… → 2333.33
    result = metrics.velocity(7, D(1) / D(3), D("1000.00"), D(30))
    assert result == D("2333.33")
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("open_at_start", "rate", "value", "cycle"),
    [
        (10, None, D("100.00"), D(30)),  # no closed prospects: no win rate
        (10, D("0.5"), None, D(30)),  # no contract: no mean value
        (10, D("0.5"), D("100.00"), None),  # no contract: no cycle
        (10, D("0.5"), D("100.00"), D(0)),  # every contract signed the day it was created
        (None, D("0.5"), D("100.00"), D(30)),
    ],
)
def test_velocity_is_none_when_an_input_is_missing_or_the_cycle_is_zero(
    open_at_start, rate, value, cycle
):
    assert metrics.velocity(open_at_start, rate, value, cycle) is None


def test_velocity_of_an_empty_pipeline_is_zero():
    # 0 open * anything = 0.00
    assert metrics.velocity(0, D("0.5"), D("100.00"), D(30)) == D("0.00")


# --- 3.3 activity rates ----------------------------------------------------------------


def test_per_working_day():
    # 30 held meetings over 20 working days → 1.5 a day
    assert metrics.per_working_day(30, 20) == D("1.5")
    # a team of 3 managers with 90 meetings over 20 days → 90 ÷ (3 * 20) = 1.5
    assert metrics.per_working_day(90, 20, managers=3) == D("1.5")
    # nothing done is a rate of 0, not None
    assert metrics.per_working_day(0, 20) == 0


def test_per_working_day_is_none_without_working_days_or_managers():
    assert metrics.per_working_day(5, 0) is None
    assert metrics.per_working_day(5, 20, managers=0) is None


# --- 3.4 plan attainment ---------------------------------------------------------------


def _att(target, actual, working_days=20, elapsed=20, metric="meetings") -> Attainment:
    return Attainment(
        metric=metric,
        target=target,
        actual=actual,
        working_days=working_days,
        elapsed_working_days=elapsed,
    )


def test_attainment_exceeded_reports_the_overage():
    # given: target 10 contracts, 12 signed, period over
    a = _att(10, 12, metric="contracts")

    # then: 12/10 = 1.2, overage +2, exceeded
    assert a.attainment == D("1.2")
    assert a.overage == 2
    assert a.status == "exceeded"


def test_attainment_shortfall_is_a_negative_overage():
    # given: revenue target 45,000.00, 30,000.00 signed, period over
    a = _att(D("45000.00"), D("30000.00"), metric="revenue")

    # then: 30000/45000 = 2/3; overage -15,000.00; pace = attainment = 0.667 < 0.9
    assert a.attainment == D(2) / D(3)
    assert a.overage == D("-15000.00")
    assert a.expected_to_date == D("45000.00")
    assert a.pace == a.attainment
    assert a.status == "off_track"


def test_attainment_met_takes_precedence_over_pace():
    # given: target 10 met on the 5th of 20 working days (pace 10 ÷ 2.5 = 4)
    a = _att(10, 10, elapsed=5)

    # then
    assert a.pace == 4
    assert a.status == "met"


def test_exceeded_takes_precedence_over_pace():
    # given: 11 of 10 after 5 of 20 working days
    assert _att(10, 11, elapsed=5).status == "exceeded"


@pytest.mark.parametrize(
    ("actual", "pace", "status"),
    [
        # target 100 over 20 working days, 10 elapsed: expected_to_date = 100 * 10 ÷ 20 = 50
        (51, D("1.02"), "on_track"),  # 51 ÷ 50
        (50, D(1), "on_track"),  # exactly 1
        (49, D("0.98"), "cautioned"),  # just under 1
        (45, D("0.9"), "cautioned"),  # exactly 0.9
        (44, D("0.88"), "off_track"),  # just under 0.9
        (0, D(0), "off_track"),
    ],
)
def test_status_boundaries_of_pace(actual, pace, status):
    # when
    a = _att(100, actual, working_days=20, elapsed=10)

    # then
    assert a.expected_to_date == 50
    assert a.pace == pace
    assert a.status == status


def test_status_just_under_0_9_with_money():
    # given: revenue target 20,000.00, half the period gone → expected 10,000.00
    a = _att(D("20000.00"), D("8999.99"), working_days=20, elapsed=10, metric="revenue")

    # then: 8999.99 ÷ 10000 = 0.899999 < 0.9
    assert a.pace == D("0.899999")
    assert a.status == "off_track"


def test_pace_uses_the_exact_expected_value_not_the_rounded_one():
    # given: target 10 over 3 working days, 1 elapsed: expected 10/3 = 3.333… (shown 3.33)
    a = _att(10, 3, working_days=3, elapsed=1)

    # then: pace = 3 ÷ (10/3) = 0.9 exactly (3 ÷ 3.33 would be 0.9009…), so cautioned
    assert a.expected_to_date == D("3.33")
    assert a.pace == D("0.9")
    assert a.status == "cautioned"


def test_no_target_has_no_attainment_and_no_status():
    # given: the plan leaves this metric empty
    a = _att(None, 7)

    # then
    assert (a.attainment, a.overage, a.expected_to_date, a.pace, a.status) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_zero_target_has_no_ratio_but_a_status():
    # given: a target of 0 (allowed by Plan); the period is half over
    done, nothing = _att(0, 2, elapsed=10), _att(0, 0, elapsed=10)

    # then: actual/0 has no value; overage is the actual; the status rules need no ratio
    assert (done.attainment, done.overage, done.pace, done.status) == (None, 2, None, "exceeded")
    assert (nothing.attainment, nothing.overage, nothing.status) == (None, 0, "met")
    assert done.expected_to_date == 0


def test_nothing_is_due_before_the_first_working_day():
    # given: a future (or not yet started) period: 0 of 20 working days elapsed
    a = _att(10, 0, elapsed=0)

    # then: expected 10 * 0 ÷ 20 = 0, pace has no value, nobody is behind yet
    assert a.expected_to_date == 0
    assert a.pace is None
    assert a.status == "on_track"


def test_attainment_of_a_period_without_working_days():
    # given: a custom range over a weekend
    a = _att(3, 1, working_days=0, elapsed=0)

    # then
    assert a.attainment == D(1) / D(3)
    assert a.expected_to_date is None
    assert a.pace is None
    assert a.status == "on_track"


@pytest.mark.parametrize(
    ("target", "actual", "working_days", "elapsed"),
    [(10, 1, 20, 21), (10, 1, 20, -1), (-1, 1, 20, 5), (10, -1, 20, 5), (10, 1, -1, 0)],
)
def test_attainment_rejects_impossible_inputs(target, actual, working_days, elapsed):
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the offending field
        _att(target, actual, working_days=working_days, elapsed=elapsed)


def test_team_attainment_sums_before_dividing():
    # given: A 12 of 10, B has no target (5 done), C 9 of 20
    pairs = [(10, 12), (None, 5), (20, 9)]

    # when
    result = metrics.team_attainment(pairs)

    # then: (12 + 9) ÷ (10 + 20) = 21/30 = 0.7 — B is left out, and it is not the mean of
    # the ratios ((1.2 + 0.45) ÷ 2 = 0.825)
    assert result == D("0.7")


def test_team_attainment_without_targets_is_none():
    assert metrics.team_attainment([]) is None
    assert metrics.team_attainment([(None, 5), (None, 3)]) is None
    assert metrics.team_attainment([(0, 5), (0, 0)]) is None  # Σtarget = 0


def test_team_attainment_of_money():
    # (30000.00 + 15000.00) ÷ (40000.00 + 20000.00) = 45000 ÷ 60000 = 0.75
    pairs = [(D("40000.00"), D("30000.00")), (D("20000.00"), D("15000.00"))]
    assert metrics.team_attainment(pairs) == D("0.75")


# --- 3.5 slippage ----------------------------------------------------------------------

# The worked example's month M has 20 working days and "day n" is its n-th working day, so
# day 19 falls in the last 5 working days (16-20). Two concrete months:
# - M20: the custom period 2026-11-02…2026-11-27 (Mon-Fri, 4 weeks = exactly 20 working
#   days, days 1…20 = Nov 2…27); late window from day 16 = Nov 23.
# - November 2026: 21 working days, day n = n-th of them (day 19 = Nov 26); late window
#   from its 17th working day = Nov 24.
M20 = (date(2026, 11, 2), date(2026, 11, 27))
MONTHS = {
    "M20": (*M20, _working_days(*M20), date(2026, 11, 23)),
    "2026-11": (NOV_START, NOV_END, NOV_WORKING, NOV_LATE_START),
}


@pytest.mark.parametrize("month", MONTHS)
def test_worked_example_slippage(month):
    # given
    start, end, working, late_start = MONTHS[month]
    assert len(working) == (20 if month == "M20" else 21)

    def day(n: int) -> date:
        return working[n - 1]

    assert late_start == working[-5]
    next_month = [date(2026, 12, d) for d in (3, 5, 7)]
    # Q1: due day 10; on day 3 moved to day 20 (push inside M); on day 19 moved to Dec 5
    q1 = [_c(day(3), day(10), day(20)), _c(day(19), day(20), next_month[1])]
    # Q2: due day 15; on day 8 moved to Dec 3; on day 9 moved back to day 18; signed day 18
    q2 = [_c(day(8), day(15), next_month[0]), _c(day(9), next_month[0], day(18))]
    # Q3: due day 12; on day 10 moved to Dec 7; lost on day 14
    q3 = [_c(day(10), day(12), next_month[2])]

    # when
    slips = {
        "Q1": metrics.slip_of(q1, start, end, None, next_month[1], late_start),
        "Q2": metrics.slip_of(q2, start, end, day(18), day(18), late_start),
        "Q3": metrics.slip_of(q3, start, end, day(14), next_month[2], late_start),
    }
    summary = metrics.summarize_slips(slips.values())

    # then: Q1 slipped on day 19 (in the last 5 working days: late); Q2 signed in M; Q3 lost
    assert slips["Q1"].slipped
    assert slips["Q1"].slip_date == day(19)
    assert slips["Q1"].late
    assert not slips["Q2"].slipped
    assert not slips["Q3"].slipped
    assert (summary.slipped_count, summary.late_slips, summary.pulled_in) == (1, 1, 1)
    # push_count: Q1 day 3 and day 19 → 2; Q2 day 8 (day 9 pulled it in) → 1; Q3 → 1
    assert {k: s.push_count for k, s in slips.items()} == {"Q1": 2, "Q2": 1, "Q3": 1}
    assert [s.pulled_in for s in slips.values()] == [0, 1, 0]


def test_a_close_date_pushed_twice_in_one_period_slips_once_on_the_last_such_change():
    # given: due Nov 10; Nov 5 → Dec 4 (slip), Nov 9 back to Nov 20 (pulled in),
    # Nov 25 → Dec 10 (slip again, in the late window from Nov 24)
    changes = [
        _c(date(2026, 11, 5), date(2026, 11, 10), date(2026, 12, 4)),
        _c(date(2026, 11, 9), date(2026, 12, 4), date(2026, 11, 20)),
        _c(date(2026, 11, 25), date(2026, 11, 20), date(2026, 12, 10)),
    ]

    # when
    slip = _nov_slip(changes)

    # then: one slip dated Nov 25 (late); two pushes; one pull-in
    assert slip == Slip(
        slipped=True,
        slip_date=date(2026, 11, 25),
        late=True,
        pulled_in=1,
        push_count=2,
        unreliable=False,
        expected_value=None,
    )


def test_a_push_within_the_period_then_out_of_it_slips_once():
    # given: due Nov 10; Nov 3 → Nov 20 (a push, still in P); Nov 12 → Dec 4 (a slip)
    changes = [
        _c(date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 20)),
        _c(date(2026, 11, 12), date(2026, 11, 20), date(2026, 12, 4)),
    ]

    # when
    slip = _nov_slip(changes)

    # then: slipped on Nov 12, before the late window (Nov 24); 2 pushes
    assert (slip.slipped, slip.slip_date, slip.late, slip.push_count) == (
        True,
        date(2026, 11, 12),
        False,
        2,
    )


def test_pushed_then_pulled_back_is_not_a_slip():
    # given: due Nov 10; Nov 5 → Dec 4; Nov 9 back to Nov 20; still open at the end
    changes = [
        _c(date(2026, 11, 5), date(2026, 11, 10), date(2026, 12, 4)),
        _c(date(2026, 11, 9), date(2026, 12, 4), date(2026, 11, 20)),
    ]

    # when
    slip = _nov_slip(changes)

    # then: at the end of P its close date (Nov 20) is inside P: overdue, not slipped
    assert (slip.slipped, slip.slip_date, slip.late) == (False, None, False)
    assert (slip.pulled_in, slip.push_count) == (1, 1)


@pytest.mark.parametrize(
    ("changed_on", "late"),
    [
        (date(2026, 11, 23), False),  # the 6th working day from the end
        (date(2026, 11, 24), True),  # the first of the last 5 working days
        (date(2026, 11, 30), True),  # the last day of P
    ],
)
def test_a_slip_in_the_last_5_working_days_is_late(changed_on, late):
    # given: due Nov 27, moved to Dec 4
    changes = [_c(changed_on, date(2026, 11, 27), date(2026, 12, 4))]

    # when
    slip = _nov_slip(changes)

    # then
    assert slip.slipped
    assert slip.late is late


@pytest.mark.parametrize(
    ("closed_on", "slipped"),
    [
        (date(2026, 11, 30), False),  # closed on the last day of P: not open at its end
        (date(2026, 11, 12), False),
        (date(2026, 12, 1), True),  # closed the day after P: still open at P's end
        (None, True),
    ],
)
def test_a_prospect_closed_by_the_end_of_the_period_did_not_slip(closed_on, slipped):
    # given: due Nov 20, moved on Nov 10 to Dec 4
    changes = [_c(date(2026, 11, 10), date(2026, 11, 20), date(2026, 12, 4))]

    # when
    slip = _nov_slip(changes, closed_on=closed_on)

    # then
    assert slip.slipped is slipped


def test_only_changes_made_during_the_period_slip_or_pull_in():
    # given: on Oct 28 (before P) due Nov 10 was moved to Dec 5; on Dec 2 (after P) back into
    # November
    changes = [
        _c(date(2026, 10, 28), date(2026, 11, 10), date(2026, 12, 5)),
        _c(date(2026, 12, 2), date(2026, 12, 5), date(2026, 11, 27)),
    ]

    # when
    slip = _nov_slip(changes)

    # then: neither change was made in November; the first still counts as a push
    assert (slip.slipped, slip.pulled_in, slip.push_count) == (False, 0, 1)


def test_the_close_date_is_taken_at_the_end_of_the_period_not_now():
    # given: Nov 20 moved on Nov 10 to Dec 4; on Dec 1 (after P) it was set back to Nov 30
    changes = [
        _c(date(2026, 11, 10), date(2026, 11, 20), date(2026, 12, 4)),
        _c(date(2026, 12, 1), date(2026, 12, 4), date(2026, 11, 30)),
    ]

    # when
    slip = _nov_slip(changes, current_close=date(2026, 11, 30))

    # then: at the end of November the close date was Dec 4, so it slipped
    assert slip.slipped
    assert metrics.close_date_on(changes, NOV_END, date(2026, 11, 30)) == date(2026, 12, 4)


def test_close_date_on_without_later_changes_is_the_current_one():
    # given: a prospect whose history starts inside P (older rows not passed)
    changes = [_c(date(2026, 11, 10), date(2026, 11, 20), date(2026, 12, 4))]

    # then: before the change the date was Nov 20; after it, the current Dec 4
    assert metrics.close_date_on(changes, date(2026, 11, 9), date(2026, 12, 4)) == date(
        2026, 11, 20
    )
    assert metrics.close_date_on(changes, NOV_END, date(2026, 12, 4)) == date(2026, 12, 4)
    assert metrics.close_date_on([], NOV_END, None) is None


def test_setting_or_clearing_a_close_date_is_neither_a_push_nor_a_slip():
    # given: first set on Nov 2 to Dec 10 (from nothing); cleared on Nov 5 (to nothing)
    first_set = [_c(date(2026, 11, 2), None, date(2026, 12, 10))]
    cleared = [_c(date(2026, 11, 5), date(2026, 11, 20), None)]

    # then
    assert _nov_slip(first_set).push_count == 0
    assert not _nov_slip(first_set).slipped
    assert not _nov_slip(cleared, current_close=None).slipped
    assert _nov_slip(cleared, current_close=None).push_count == 0


def test_pulled_in_counts_every_change_from_after_the_period_into_it():
    # given: Dec 4 → Nov 20 on Nov 3; Nov 20 → Dec 8 on Nov 6; Dec 8 → Nov 25 on Nov 9;
    # Oct 30 → Nov 12 on Nov 2 (from before P: not pulled in)
    changes = [
        _c(date(2026, 11, 2), date(2026, 10, 30), date(2026, 11, 12)),
        _c(date(2026, 11, 3), date(2026, 12, 4), date(2026, 11, 20)),
        _c(date(2026, 11, 6), date(2026, 11, 20), date(2026, 12, 8)),
        _c(date(2026, 11, 9), date(2026, 12, 8), date(2026, 11, 25)),
    ]

    # then: 2 pulled in; pushes: Oct 30→Nov 12 and Nov 20→Dec 8 = 2; ends inside P
    slip = _nov_slip(changes)
    assert (slip.pulled_in, slip.push_count, slip.slipped) == (2, 2, False)


@pytest.mark.parametrize(
    ("closed_on", "pushes", "unreliable"),
    [(None, 3, True), (None, 2, False), (date(2026, 11, 30), 3, False)],
)
def test_an_open_prospect_pushed_3_times_is_unreliable(closed_on, pushes, unreliable):
    # given: `pushes` pushes of one week each, made in October
    changes = [
        _c(date(2026, 10, 1 + n), date(2026, 12, 1 + 7 * n), date(2026, 12, 8 + 7 * n))
        for n in range(pushes)
    ]

    # when
    slip = _nov_slip(changes, closed_on=closed_on)

    # then
    assert slip.push_count == pushes
    assert slip.unreliable is unreliable
    assert metrics.is_unreliable(closed_on is None, pushes) is unreliable


def test_slip_summary_adds_up_the_slipped_values_only():
    # given: two slipped prospects (5,000.00 and no value), one not slipped (9,999.99)
    out = [_c(date(2026, 11, 10), date(2026, 11, 20), date(2026, 12, 4))]
    late = [_c(date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 4))]
    back = [_c(date(2026, 11, 27), date(2026, 12, 4), date(2026, 11, 30))]
    slips = [
        _nov_slip(out, expected_value=D("5000.00")),
        _nov_slip(late, expected_value=None),
        _nov_slip(back, expected_value=D("9999.99")),
    ]

    # when
    summary = metrics.summarize_slips(slips)

    # then: 2 slipped worth 5,000.00 + 0; 1 late (Nov 26); 1 pulled in
    assert summary == SlipSummary(
        slipped_count=2, slipped_value=D("5000.00"), late_slips=1, pulled_in=1
    )


def test_slip_summary_of_nothing_is_zero():
    assert metrics.summarize_slips([]) == SlipSummary(0, D("0.00"), 0, 0)


@pytest.mark.parametrize(
    ("attainment", "late_slips", "flag"),
    [
        (D(1), 1, True),  # exactly 100% and a late slip
        (D("1.25"), 3, True),
        (D("1.25"), 0, False),  # over plan, nothing slipped late
        (D("0.99"), 2, False),  # under plan: slipping is not postponing
        (None, 2, False),  # no contracts target (or a target of 0)
    ],
)
def test_postponing(attainment, late_slips, flag):
    assert metrics.postponing(attainment, late_slips) is flag


# --- 3.6 decision-maker reach, stalled, stale -----------------------------------------


def test_share():
    # 2 of 5 prospects met a decision maker → 0.4; no prospect → None
    assert metrics.share(2, 5) == D("0.4")
    assert metrics.share(0, 5) == 0
    assert metrics.share(0, 0) is None
    with pytest.raises(ValueError, match="share"):
        metrics.share(6, 5)


@pytest.mark.parametrize(
    ("is_open", "held", "with_dm", "stalled"),
    [
        (True, 3, 0, True),
        (True, 7, 0, True),
        (True, 2, 0, False),  # fewer than 3 held meetings
        (True, 3, 1, False),  # a decision maker was there once
        (False, 5, 0, False),  # closed
    ],
)
def test_is_stalled(is_open, held, with_dm, stalled):
    assert metrics.is_stalled(is_open, held, with_dm) is stalled


def test_days_idle_and_stale():
    # given: last call on Nov 2, looked at on Nov 17 → 15 days idle
    idle = metrics.days_idle(date(2026, 11, 2), date(2026, 10, 1), date(2026, 11, 17))

    # then: stale once idle for longer than 14 days (14 itself is not stale)
    assert idle == 15
    assert metrics.is_stale(True, idle)
    assert not metrics.is_stale(True, 14)
    assert not metrics.is_stale(False, 30)
    assert metrics.is_stale(True, 8, rotting_days=7)
    # never touched: idle since it was created
    assert metrics.days_idle(None, date(2026, 11, 10), date(2026, 11, 17)) == 7


# --- 3.7 referrals ---------------------------------------------------------------------


def test_asks_per_contract():
    # 6 asks, 4 contracts → 1.5; no contract → None; no ask → 0
    assert metrics.asks_per_contract(6, 4) == D("1.5")
    assert metrics.asks_per_contract(3, 0) is None
    assert metrics.asks_per_contract(0, 4) == 0


def test_referral_conversion():
    # 10 referred prospects in the cohort, 3 reached contract → 0.3; none referred → None
    assert metrics.referral_conversion(10, 3) == D("0.3")
    assert metrics.referral_conversion(0, 0) is None


# --- 3.8 events --------------------------------------------------------------------------


def test_cost_per():
    # 1,000.00 ÷ 3 prospects = 333.333… → 333.33
    assert metrics.cost_per(D("1000.00"), 3) == D("333.33")
    # half a cent rounds up: 0.05 ÷ 2 = 0.025 → 0.03
    assert metrics.cost_per(D("0.05"), 2) == D("0.03")
    # a free event
    assert metrics.cost_per(D("0.00"), 4) == D("0.00")


def test_cost_per_is_none_without_a_count_or_a_cost():
    assert metrics.cost_per(D("1000.00"), 0) is None
    assert metrics.cost_per(None, 3) is None


# --- 3.9 alternation ---------------------------------------------------------------------


def test_worked_example_alternation():
    # given: (calls, held meetings): d1 (5, 0) call day; d2 (1, 1) share 1/2 ≥ 0.5 meeting
    # day; d3 (0, 2) meeting day; d4 (4, 1) share 1/5 call day
    days = [(5, 0), (1, 1), (0, 2), (4, 1)]

    # when
    result = metrics.alternation(days)

    # then: switches d1→d2 and d3→d4 = 2 of 3 transitions = 0.667; 2 meeting days of 4 = 0.5
    assert result == Alternation(alternation=D(2) / D(3), meeting_day_share=D("0.5"), active_days=4)
    assert round(result.alternation, 3) == D("0.667")


@pytest.mark.parametrize("days", [[], [(3, 1)]])
def test_alternation_below_2_active_days_is_none(days):
    assert metrics.alternation(days) == Alternation(None, None, len(days))


def test_alternation_of_the_same_kind_every_day_is_zero():
    # given: three call days
    result = metrics.alternation([(5, 0), (8, 1), (3, 1)])

    # then: no switch, no meeting day
    assert (result.alternation, result.meeting_day_share) == (0, 0)


def test_every_day_switching_is_one():
    # call, meeting, call, meeting → 3 switches ÷ 3 = 1
    assert metrics.alternation([(2, 0), (0, 1), (2, 0), (0, 1)]).alternation == 1


def test_alternation_rejects_an_inactive_day():
    with pytest.raises(ValueError, match="active"):
        metrics.alternation([(1, 0), (0, 0)])


def test_team_alternation_is_the_mean_over_managers_with_a_value():
    # (0.5 + 1) ÷ 2 = 0.75; a manager with under 2 active days is left out
    assert metrics.team_alternation([D("0.5"), None, D(1)]) == D("0.75")
    assert metrics.team_alternation([None]) is None
    assert metrics.team_alternation([]) is None


# --- 3.10 funnel coverage ----------------------------------------------------------------


def test_coverage():
    # given: target 5 contracts, 2 signed, rate 0.1, 45 open prospects
    # when
    result = metrics.coverage(5, 2, D("0.1"), 45)

    # then: remaining 3; required ceil(3 ÷ 0.1) = 30; coverage 45 ÷ 30 = 1.5
    assert result == Coverage(
        remaining=3, rate=D("0.1"), required_new_prospects=30, coverage=D("1.5")
    )


@pytest.mark.parametrize(
    ("rate", "required"),
    [
        (D("0.25"), 12),  # 3 ÷ 0.25 = 12 exactly
        (D("0.3"), 10),  # 3 ÷ 0.3 = 10 exactly (in floats it is 10.000000000000002 → 11)
        (D("0.35"), 9),  # 3 ÷ 0.35 = 8.57… → 9
        (D(1), 3),
    ],
)
def test_required_new_prospects_is_rounded_up(rate, required):
    assert metrics.coverage(5, 2, rate, 10).required_new_prospects == required


def test_coverage_with_nothing_remaining():
    # given: target 5, 7 signed → remaining max(-2, 0) = 0
    result = metrics.coverage(5, 7, D("0.1"), 12)

    # then: 0 new prospects required; coverage n ÷ 0 has no value
    assert result == Coverage(remaining=0, rate=D("0.1"), required_new_prospects=0, coverage=None)


@pytest.mark.parametrize("rate", [None, D(0)])
def test_coverage_without_a_usable_rate(rate):
    assert metrics.coverage(5, 2, rate, 12) == Coverage(3, rate, None, None)


def test_coverage_without_a_contracts_target():
    assert metrics.coverage(None, 2, D("0.1"), 12) == Coverage(None, D("0.1"), None, None)


def test_coverage_with_no_open_prospect_is_zero():
    assert metrics.coverage(5, 2, D("0.1"), 0).coverage == 0


@pytest.mark.parametrize(
    ("own_rate", "own_size", "sector_low", "team_rate", "company_rate", "picked"),
    [
        (D("0.2"), 20, D("0.1"), D("0.15"), D("0.12"), PickedRate(D("0.2"), "own")),
        (D(0), 25, D("0.1"), D("0.15"), D("0.12"), PickedRate(D(0), "own")),
        (D("0.2"), 19, D("0.1"), D("0.15"), D("0.12"), PickedRate(D("0.1"), "sector")),
        (None, 0, None, D("0.15"), D("0.12"), PickedRate(D("0.15"), "team")),
        (D("0.2"), 3, None, None, D("0.12"), PickedRate(D("0.12"), "company")),
        (None, 0, None, None, None, PickedRate(None, None)),
    ],
)
def test_pick_rate_falls_back_in_order(
    own_rate, own_size, sector_low, team_rate, company_rate, picked
):
    # own (cohort ≥ 20) → sector benchmark low → team → company → none
    assert metrics.pick_rate(own_rate, own_size, sector_low, team_rate, company_rate) == picked


def test_pick_rate_minimum_cohort_is_configurable():
    assert metrics.pick_rate(D("0.2"), 10, D("0.1"), None, None, min_cohort=10).source == "own"


# --- 3.11 plan suggestion ---------------------------------------------------------------


def test_suggest_target_from_the_last_3_full_periods():
    # given: 10, 12, 14 held meetings (an older 100 is not among the last 3)
    # then: mean 12 * 1.10 = 13.20
    assert metrics.suggest_target([10, 12, 14]) == D("13.20")
    assert metrics.suggest_target([100, 10, 12, 14]) == D("13.20")
    # growth 0 → the mean itself; growth 25% → 15.00
    assert metrics.suggest_target([10, 12, 14], growth=D(0)) == D("12.00")
    assert metrics.suggest_target([10, 12, 14], growth=D("0.25")) == D("15.00")


def test_suggest_target_of_money_and_whole_counts():
    # revenue (30000 + 40000 + 35000) ÷ 3 = 35000 * 1.1 = 38,500.00
    revenue = [D("30000.00"), D("40000.00"), D("35000.00")]
    assert metrics.suggest_target(revenue) == D("38500.00")
    # contracts (3 + 3 + 4) ÷ 3 = 3.333… * 1.1 = 3.666… → 4 when asked for whole numbers
    assert metrics.suggest_target([3, 3, 4], places=0) == D(4)


@pytest.mark.parametrize(
    ("months", "suggested"),
    [
        (0, D("10.00")),  # 1st month (the calendar month of hired_on): 50% of 20
        (1, D("15.00")),  # 2nd month: 75%
        (2, D("20.00")),  # 3rd month: 100%
        (7, D("20.00")),
        (None, D("20.00")),  # hire date unknown: no ramp
    ],
)
def test_suggest_target_ramps_the_team_median_for_a_new_hire(months, suggested):
    # given: 2 full periods of own history (not enough), team median 20
    # then: the team median * ramp (no growth is added)
    result = metrics.suggest_target([30, 40], team_median=D(20), months_since_hire=months)
    assert result == suggested


def test_suggest_target_without_history_or_team_median_is_none():
    assert metrics.suggest_target([], team_median=None, months_since_hire=0) is None


@pytest.mark.parametrize(
    ("period_start", "months"),
    [
        (date(2026, 10, 1), 0),  # hired Oct 20: October is the 1st month
        (date(2026, 11, 1), 1),  # November the 2nd
        (date(2026, 12, 1), 2),  # December the 3rd
        (date(2027, 1, 1), 3),
        (date(2026, 9, 1), 0),  # a period before the hire counts as the 1st month
    ],
)
def test_months_since_counts_calendar_months(period_start, months):
    assert metrics.months_since(date(2026, 10, 20), period_start) == months


def test_ramp():
    assert [metrics.ramp(m) for m in (0, 1, 2, 3, None)] == [
        D("0.5"),
        D("0.75"),
        D(1),
        D(1),
        D(1),
    ]


def test_median_and_mean():
    assert metrics.median([]) is None
    assert metrics.median([3, 1, 2]) == 2
    assert metrics.median([4, 1, 3, 2]) == D("2.5")
    assert metrics.mean([]) is None
    assert metrics.mean([D("1.00"), D("2.00")]) == D("1.5")


# --- 3.12 benchmark rating --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        # b2b meetings_per_day 1-2
        (D("0.99"), D(1), D(2), "below"),
        (D(1), D(1), D(2), "within"),  # exactly low
        (D("1.5"), D(1), D(2), "within"),
        (D(2), D(1), D(2), "within"),  # exactly high
        (D("2.01"), D(1), D(2), "above"),
        # consumer_goods meetings_per_day 20-(no high)
        (D("19.5"), D(20), None, "below"),
        (D(20), D(20), None, "within"),
        (D(35), D(20), None, "within"),  # never "above" without a high
        # consulting lead_to_contract 0.10-(no high): 1 in 10 is exactly low
        (D(1) / D(10), D("0.1000"), None, "within"),
        (0.3, D("0.3"), None, "within"),  # a float is read as written, not as 0.2999…
        (None, D(1), D(2), None),  # no value
    ],
)
def test_rating(value, low, high, expected):
    assert metrics.rating(value, low, high) == expected
