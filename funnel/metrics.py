"""The maths of every metric of SPEC section 3, on plain values.

Nothing here touches the ORM: the selectors aggregate rows into counts, sums, dates and
small tuples, and these functions turn them into the numbers the reports show. Every
function is deterministic and exact (it computes with ``fractions.Fraction`` and rounds
once, at the end), so a boundary such as a pace of exactly 0.9 is never lost to rounding.

Types and units
    counts      ``int``.
    ratios      ``Decimal`` between 0 and 1 (not percentages): exact when the quotient
                terminates (4/5 → ``0.8``), else rounded half-even to 28 significant digits
                (2/3 → ``0.6666…7``). Reports round them for display only.
    multiples   ``Decimal`` (one_in_n, asks per contract, coverage, pace, per-day rates).
    days        ``int`` for a single prospect, ``Decimal`` for a median or mean.
    money       ``Decimal`` quantized to 0.01, rounded half-up.
    ``None``    "no value" (a divisor of 0, no target, no data); never 0 in disguise.
    Inputs may be ``int`` or ``Decimal``; a ``float`` is read as written (``0.1`` is
    ``Decimal("0.1")``), but pass ``Decimal`` for money.

Calculations (SPEC section → function: what it includes / excludes)
    3.1  furthest_stage: the furthest funnel stage in a stage history; ignores ``lost``.
    3.1  reached_from_furthest: prospects per furthest stage → cumulative reached counts.
    3.1  funnel_from_reached (Funnel): cohort conversions, overall and 1-in-N; a skipped
         stage is credited, a bounce counts once (both come from "furthest stage").
    3.2  win_rate: won ÷ (won + lost) of the prospects closed in the period; open ones excluded.
    3.2  cycle_stats: median and mean days created → signed of the won ones; lost excluded.
    3.2  velocity: open at period start * win rate * mean contract value * 30 ÷ mean cycle.
    3.3  per_working_day: a total ÷ (managers * working days, elapsed ones for the current
         period); days off the work week and holidays are excluded by the caller.
    3.4  Attainment: one metric of one plan: ratio, overage, expected to date, pace, status.
    3.4  team_attainment: Σactual ÷ Σtarget over the managers with that target only.
    3.5  slip_of (Slip): one prospect's slip out of a period, pull-ins and pushes.
    3.5  summarize_slips (SlipSummary): slipped count and value, late slips, pull-ins.
    3.5  postponing: contracts attainment ≥ 1 and at least one late slip.
    3.5  is_unreliable: open prospects whose close date was pushed 3 times or more.
    3.6  share: a part of a whole (decision-maker reach); None for an empty whole.
    3.6  is_stalled: open, ≥ 3 held meetings, none with a decision maker.
    3.6  days_idle / is_stale: days since the last call or meeting (else creation) against
         the stage's rotting period.
    3.7  asks_per_contract: referrals asked ÷ contracts signed in the period.
    3.7  referral_conversion: referred cohort prospects that reached contract ÷ all of them.
    3.8  cost_per: an event's cost ÷ prospects (or contracts) sourced from it.
    3.9  alternation (Alternation): call/meeting day switches over active working days only.
    3.9  team_alternation: mean over the managers that have a value; the others excluded.
    3.10 coverage (Coverage): new prospects needed for the remaining contracts, and how
         many times the open funnel covers them.
    3.10 pick_rate (PickedRate): own ≥ 20-prospect cohort rate → sector low → team → company.
    3.11 suggest_target: mean of the last 3 full periods * (1 + growth), else the team
         median * the new-hire ramp (months_since, ramp).
    3.12 rating: below / within / above a benchmark range; no high means "at least low".
    helpers: mean, median.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple

# Funnel stages, in order. `lost` is terminal and not a funnel stage.
FUNNEL_STAGES: tuple[str, ...] = ("lead", "contacted", "meeting", "proposal", "contract")
LOST = "lost"
_RANK = {stage: rank for rank, stage in enumerate(FUNNEL_STAGES)}
# Keys of Funnel.conversion: "lead→contacted", …, "proposal→contract".
CONVERSION_STEPS: tuple[str, ...] = tuple(f"{a}→{b}" for a, b in pairwise(FUNNEL_STAGES))

# Plan status, in order of precedence.
EXCEEDED, MET, ON_TRACK, CAUTIONED, OFF_TRACK = (
    "exceeded",
    "met",
    "on_track",
    "cautioned",
    "off_track",
)
CAUTION_PACE = Fraction(9, 10)

STALLED_MIN_MEETINGS = 3
UNRELIABLE_MIN_PUSHES = 3
DEFAULT_ROTTING_DAYS = 14
MIN_OWN_COHORT = 20
DEFAULT_GROWTH = Decimal("0.10")
SUGGESTION_PERIODS = 3
# Share of the team median a new hire gets in their 1st, 2nd month since hire; then 100%.
RAMP: tuple[Decimal, ...] = (Decimal("0.5"), Decimal("0.75"))

Number = int | Decimal

# One fixed context, so results never depend on a caller's decimal.getcontext().
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


# --- exact arithmetic ----------------------------------------------------------------


def _frac(value: Number | float) -> Fraction:
    """An exact Fraction of an int, Decimal or float (a float as written: 0.1 → 1/10)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number")
        # as_integer_ratio is exact and in lowest terms, and much faster than
        # Fraction(Decimal), which the reports call thousands of times.
        return Fraction(*value.as_integer_ratio())
    return Fraction(value)


def _decimal(value: Fraction) -> Decimal:
    """Exact when the quotient terminates within 28 digits, else rounded half-even."""
    return _CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _money(value: Fraction) -> Decimal:
    """Quantized to 0.01, half-up (half a cent away from zero)."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(-cents if value < 0 else cents).scaleb(-2, _CONTEXT)


# Products of report inputs (money with 2 places times day counts) are exact here.
_WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)


def _exact(value: Number | float) -> Decimal:
    """An exact Decimal of an int, Decimal or float (a float as written: 0.1 → 0.1)."""
    kind = type(value)
    if kind is int:  # the common cases first: counts, and finite Decimals (immutable)
        return Decimal(value)
    if kind is Decimal and value.is_finite():
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{value} is not a number")
    return Decimal(value)


def _money_of(numerator: Decimal, denominator: int) -> Decimal:
    """numerator ÷ denominator quantized to 0.01, half-up, decided exactly: the quotient
    in cents is rounded from its exact integer part and remainder."""
    cents, remainder = divmod(_WIDE.multiply(abs(numerator), 100), denominator)
    if remainder * 2 >= denominator:
        cents += 1
    return Decimal(-cents if numerator < 0 else cents).scaleb(-2, _CONTEXT)


def _ratio(numerator: Number, denominator: Number) -> Decimal | None:
    """numerator ÷ denominator, correctly rounded to 28 digits (Decimal division is, so
    this equals rounding the exact Fraction, only faster); None when dividing by 0."""
    if denominator == 0:
        return None
    if isinstance(numerator, Fraction) or isinstance(denominator, Fraction):
        return _decimal(_frac(numerator) / _frac(denominator))
    return _CONTEXT.divide(_exact(numerator), _exact(denominator))


def _not_negative(**values: Number | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} cannot be negative (got {value})")


def mean(values: Iterable[Number]) -> Decimal | None:
    """Arithmetic mean, in the unit of the values (unquantized); None for no values."""
    items = [_frac(v) for v in values]
    return _decimal(sum(items, Fraction(0)) / len(items)) if items else None


def median(values: Iterable[Number]) -> Decimal | None:
    """Middle value, or the mean of the two middle ones for an even count; None when empty."""
    items = sorted(_frac(v) for v in values)
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return _decimal(items[middle])
    return _decimal((items[middle - 1] + items[middle]) / 2)


# --- 3.1 cohort funnel -------------------------------------------------------------------


def _check_stage(stage: str) -> None:
    if stage not in _RANK:
        raise ValueError(f"{stage!r} is not a funnel stage ({', '.join(FUNNEL_STAGES)})")


def furthest_stage(stages_entered: Iterable[str]) -> str | None:
    """The furthest funnel stage among the stages a prospect ever entered.

    Reference implementation (tests, tiny inputs); the selectors take the same maximum of
    the stage rank in SQL. ``lost`` is ignored; a skipped stage needs no entry (reaching
    ``proposal`` credits ``meeting``); a bounce back and forth changes nothing. None when
    no funnel stage was entered; ValueError on an unknown stage name.
    """
    furthest = None
    for stage in stages_entered:
        if stage == LOST:
            continue
        _check_stage(stage)
        if furthest is None or _RANK[stage] > _RANK[furthest]:
            furthest = stage
    return furthest


def reached_from_furthest(counts_by_furthest: Mapping[str, int]) -> dict[str, int]:
    """Cumulative reached counts from "how many cohort prospects have this furthest stage".

    reached(s) = Σ counts of the stages at or past s, so reached(lead) is the whole cohort
    (with a furthest stage). Missing stages count 0. Returns every funnel stage, in order.
    ValueError on ``lost``, an unknown stage or a negative count.
    """
    for stage, count in counts_by_furthest.items():
        _check_stage(stage)
        _not_negative(**{stage: count})
    reached: dict[str, int] = {}
    running = 0
    for stage in reversed(FUNNEL_STAGES):
        running += counts_by_furthest.get(stage, 0)
        reached[stage] = running
    return {stage: reached[stage] for stage in FUNNEL_STAGES}


@dataclass(frozen=True, slots=True)
class Funnel:
    """The cohort funnel (SPEC 3.1, ``view=cohort``).

    reached     prospects per stage, every funnel stage in order (a plain dict, read-only
                by convention).
    conversion  reached(next) ÷ reached(stage), keyed "lead→contacted" … "proposal→contract"
                in funnel order; None when reached(stage) is 0. Ratio.
    overall     reached(contract) ÷ reached(lead); None when reached(lead) is 0. Ratio.
    one_in_n    reached(lead) ÷ reached(contract) — "1 contract in N prospects"; may be
                fractional (7 ÷ 2 = 3.5); None when no prospect reached contract.
    """

    reached: dict[str, int]
    conversion: dict[str, Decimal | None]
    overall: Decimal | None
    one_in_n: Decimal | None


def funnel_from_reached(reached: Mapping[str, int]) -> Funnel:
    """The Funnel of cumulative reached counts (see reached_from_furthest).

    Missing stages count 0. ValueError when a key is not a funnel stage, a count is
    negative, or a later stage has more prospects than an earlier one (not cumulative).
    """
    for stage, count in reached.items():
        _check_stage(stage)
        _not_negative(**{stage: count})
    counts = {stage: reached.get(stage, 0) for stage in FUNNEL_STAGES}
    for before, after in pairwise(FUNNEL_STAGES):
        if counts[after] > counts[before]:
            raise ValueError(
                f"reached[{after!r}] = {counts[after]} exceeds reached[{before!r}] = "
                f"{counts[before]}: reached counts must be cumulative"
            )
    return Funnel(
        reached=counts,
        conversion={f"{a}→{b}": _ratio(counts[b], counts[a]) for a, b in pairwise(FUNNEL_STAGES)},
        overall=_ratio(counts["contract"], counts["lead"]),
        one_in_n=_ratio(counts["lead"], counts["contract"]),
    )


# --- 3.2 win rate, cycle, velocity -----------------------------------------------------


def win_rate(won: int, lost: int) -> Decimal | None:
    """won ÷ (won + lost) among prospects closed in the period. Ratio; None when none closed."""
    _not_negative(won=won, lost=lost)
    return _ratio(won, won + lost)


def cycle_stats(cycle_days: Sequence[int]) -> tuple[Decimal | None, Decimal | None]:
    """(median, mean) sales cycle in days of the prospects won in the period.

    A cycle is signed_on - created date in days (0 = signed the day it was created). Both
    unquantized Decimals; (None, None) when nothing was won.
    """
    return median(cycle_days), mean(cycle_days)


def velocity(
    open_at_start: int | None,
    win_rate: Decimal | None,
    mean_contract_value: Decimal | None,
    mean_cycle_days: Number | None,
) -> Decimal | None:
    """Pipeline velocity: money per 30 days, quantized to 0.01.

    open prospects at period start * win rate * mean contract value * 30 ÷ mean cycle days.
    None when any input is None (nothing closed, nothing won) or the mean cycle is 0; an
    empty pipeline or a win rate of 0 gives 0.00.
    """
    inputs = (open_at_start, win_rate, mean_contract_value, mean_cycle_days)
    if any(value is None for value in inputs) or mean_cycle_days == 0:
        return None
    _not_negative(open_at_start=open_at_start, mean_cycle_days=mean_cycle_days)
    value = _frac(open_at_start) * _frac(win_rate) * _frac(mean_contract_value) * 30
    return _money(value / _frac(mean_cycle_days))


# --- 3.3 activity rates ----------------------------------------------------------------


def per_working_day(total: int, working_days: int, managers: int = 1) -> Decimal | None:
    """total ÷ (managers * working days): held meetings or calls per working day.

    For the current period pass the elapsed working days (up to and including today).
    Decimal, unquantized; 0 when nothing was done; None when there is no working day or
    no manager.
    """
    _not_negative(total=total, working_days=working_days, managers=managers)
    return _ratio(total, managers * working_days)


# --- 3.4 plan attainment ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attainment:
    """One plan target against its actual in a period, in the metric's unit.

    target      the plan's target; None when the plan leaves the metric empty. Count or
                money (revenue), ≥ 0.
    actual      what was done in the period so far, ≥ 0.
    working_days, elapsed_working_days
                of the period; elapsed counts up to and including today for the current
                period, all of them for a past one, 0 for a future one.

    With no target every derived value and the status are None. A target of 0 has no
    attainment ratio and no pace (division by 0), but a status: ``exceeded`` when anything
    was done, else ``met``.
    """

    metric: str
    target: Number | None
    actual: Number
    working_days: int
    elapsed_working_days: int
    # Exact Decimals of the inputs and the expected pair, computed once: a report builds
    # thousands of these, and Decimal arithmetic (in C) keeps them fast; every comparison
    # below is exact.
    _t: Decimal | None = field(init=False, repr=False, compare=False)
    _a: Decimal = field(init=False, repr=False, compare=False)
    _e: tuple[Decimal, int] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        target, actual = self.target, self.actual
        days, elapsed = self.working_days, self.elapsed_working_days
        if (target is not None and target < 0) or actual < 0 or days < 0 or elapsed < 0:
            _not_negative(
                target=target, actual=actual, working_days=days, elapsed_working_days=elapsed
            )
        if elapsed > days:
            raise ValueError(
                f"elapsed_working_days ({elapsed}) cannot exceed working_days ({days})"
            )
        exact = None if target is None else _exact(target)
        object.__setattr__(self, "_t", exact)
        object.__setattr__(self, "_a", _exact(actual))
        # expected = numerator ÷ working days, kept as a pair so nothing rounds.
        expected = None if exact is None or days == 0 else (_WIDE.multiply(exact, elapsed), days)
        object.__setattr__(self, "_e", expected)

    @property
    def attainment(self) -> Decimal | None:
        """actual ÷ target. Ratio (1.2 = 120%); None when the target is None or 0."""
        if not self._t:
            return None
        return _CONTEXT.divide(self._a, self._t)

    @property
    def overage(self) -> Number | None:
        """actual - target in the metric's unit; negative is a shortfall; None without target."""
        return None if self.target is None else self.actual - self.target

    @property
    def expected_to_date(self) -> Decimal | None:
        """target * elapsed working days ÷ working days, quantized to 0.01.

        None without a target or when the period has no working day; 0 before its first
        working day.
        """
        parts = self._e
        if parts is None:
            return None
        return _money_of(*parts)

    @property
    def pace(self) -> Decimal | None:
        """actual ÷ expected_to_date, from the exact (unrounded) expected value.

        1 = on schedule. None when nothing is expected yet (expected 0: no elapsed working
        day, or a target of 0) or the period has no working day.
        """
        parts = self._e
        if parts is None or not parts[0]:
            return None
        numerator, days = parts
        return _CONTEXT.divide(_WIDE.multiply(self._a, days), numerator)

    @property
    def status(self) -> str | None:
        """exceeded (actual > target), met (actual = target), on_track (pace ≥ 1),
        cautioned (pace ≥ 0.9), else off_track — the first that holds.

        None without a target. When no pace exists because nothing is expected yet the
        status is on_track: nobody can be behind before the first working day.
        """
        if self._t is None:
            return None
        if self._a > self._t:
            return EXCEEDED
        if self._a == self._t:
            return MET
        parts = self._e
        if parts is None or not parts[0]:
            return ON_TRACK
        numerator, days = parts
        done = _WIDE.multiply(self._a, days)  # pace = done ÷ numerator, compared exactly
        if done >= numerator:
            return ON_TRACK
        caution = CAUTION_PACE.numerator, CAUTION_PACE.denominator
        if _WIDE.multiply(done, caution[1]) >= _WIDE.multiply(numerator, caution[0]):
            return CAUTIONED
        return OFF_TRACK


def team_attainment(pairs: Iterable[tuple[Number | None, Number]]) -> Decimal | None:
    """Σactual ÷ Σtarget over the (target, actual) pairs that have a target.

    Never a mean of ratios. Managers without that target are left out entirely (their
    actual too). Ratio; None when no manager has the target or the targets sum to 0.
    """
    planned = [(target, actual) for target, actual in pairs if target is not None]
    if all(isinstance(v, int | Decimal) for pair in planned for v in pair):
        # Sums of ints and Decimals are exact in a wide context (far faster than Fraction),
        # and one correctly rounded division is the same as rounding the exact quotient.
        targets, actuals = Decimal(0), Decimal(0)
        for target, actual in planned:
            targets = _WIDE.add(targets, _exact(target))
            actuals = _WIDE.add(actuals, _exact(actual))
        return _CONTEXT.divide(actuals, targets) if targets else None
    exact_targets = sum((_frac(t) for t, _ in planned), Fraction(0))
    exact_actuals = sum((_frac(a) for _, a in planned), Fraction(0))
    return _decimal(exact_actuals / exact_targets) if exact_targets else None


# --- 3.5 slippage ---------------------------------------------------------------------------


class CloseDateChangeRow(NamedTuple):
    """One CloseDateChange as plain values; any (changed_on, from_date, to_date) tuple works.

    changed_on is the local date (team timezone) of changed_at; from_date is None when the
    date was first set, to_date None when it was cleared.
    """

    changed_on: date
    from_date: date | None
    to_date: date | None


def is_push(from_date: date | None, to_date: date | None) -> bool:
    """A change that moved the close date later; first setting or clearing it is no push."""
    return from_date is not None and to_date is not None and to_date > from_date


def is_unreliable(is_open: bool, push_count: int) -> bool:
    """An open prospect whose close date was pushed 3 times or more (ever)."""
    return is_open and push_count >= UNRELIABLE_MIN_PUSHES


def close_date_on(
    changes: Sequence[tuple[date, date | None, date | None]],
    day: date,
    current_close: date | None,
) -> date | None:
    """The expected close date in force at the end of ``day``.

    The from_date of the first change made after ``day``; with none, the current date.
    Changes made before ``day`` may be left out.
    """
    later = [row for row in changes if row[0] > day]
    if not later:
        return current_close
    return min(later, key=lambda row: row[0])[1]


@dataclass(frozen=True, slots=True)
class Slip:
    """One prospect against period P.

    slipped         a change made during P moved its close date from inside P to after P,
                    and at P's end it was open with its close date after P.
    slip_date       the last such change's date when slipped, else None.
    late            slipped with slip_date ≥ the first of P's last 5 working days.
    pulled_in       changes made during P that moved its date from after P into P.
    push_count      all its changes that moved the date later, whenever made.
    unreliable      open now and push_count ≥ 3.
    expected_value  money, for slipped_value; None when unknown.
    """

    slipped: bool
    slip_date: date | None
    late: bool
    pulled_in: int
    push_count: int
    unreliable: bool
    expected_value: Decimal | None = None


def slip_of(
    changes: Sequence[tuple[date, date | None, date | None]],
    period_start: date,
    period_end: date,
    closed_on: date | None,
    current_close: date | None,
    late_window_start: date,
    *,
    expected_value: Decimal | None = None,
) -> Slip:
    """Whether one prospect slipped out of P = [period_start, period_end] (both inclusive).

    changes         all the prospect's CloseDateChangeRows (for push_count), in recorded
                    order; same-day rows keep that order.
    closed_on       the day it was signed or lost; None while open. A prospect closed on
                    or before period_end is not open at P's end (closed on P's last day:
                    not slipped); closed later, it was.
    current_close   its expected_close_date now; the date at P's end is read from the
                    history (close_date_on), so a change made after P cannot undo a slip.
    late_window_start  the first of P's last 5 working days (funnel.periods).

    Reference implementation per prospect; reports may do the same in SQL.
    """
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    rows = sorted(changes, key=lambda row: row[0])

    def inside(day: date | None) -> bool:
        return day is not None and period_start <= day <= period_end

    def after(day: date | None) -> bool:
        return day is not None and day > period_end

    slip_date: date | None = None
    pulled_in = push_count = 0
    for changed_on, from_date, to_date in rows:
        push_count += is_push(from_date, to_date)
        if not period_start <= changed_on <= period_end:
            continue
        if inside(from_date) and after(to_date):
            slip_date = changed_on
        elif after(from_date) and inside(to_date):
            pulled_in += 1
    open_at_end = closed_on is None or closed_on > period_end
    slipped = (
        slip_date is not None
        and open_at_end
        and after(close_date_on(rows, period_end, current_close))
    )
    return Slip(
        slipped=slipped,
        slip_date=slip_date if slipped else None,
        late=slipped and slip_date >= late_window_start,
        pulled_in=pulled_in,
        push_count=push_count,
        unreliable=is_unreliable(closed_on is None, push_count),
        expected_value=expected_value,
    )


@dataclass(frozen=True, slots=True)
class SlipSummary:
    """Slippage of a scope in P: slipped prospects (each once), their expected value
    (money, 0.01; a missing value counts 0), the late ones, and pull-in changes."""

    slipped_count: int
    slipped_value: Decimal
    late_slips: int
    pulled_in: int


def summarize_slips(slips: Iterable[Slip]) -> SlipSummary:
    """Add up per-prospect slips; all zeros (0.00) for none."""
    count = late = pulled_in = 0
    value = Fraction(0)
    for slip in slips:
        pulled_in += slip.pulled_in
        if slip.slipped:
            count += 1
            late += slip.late
            if slip.expected_value is not None:
                value += _frac(slip.expected_value)
    return SlipSummary(
        slipped_count=count, slipped_value=_money(value), late_slips=late, pulled_in=pulled_in
    )


def postponing(contracts_attainment: Decimal | None, late_slips: int) -> bool:
    """Contracts attainment ≥ 1 (100%) and at least one late slip in the period.

    False when the attainment has no value (no contracts target, or a target of 0).
    """
    return contracts_attainment is not None and contracts_attainment >= 1 and late_slips >= 1


# --- 3.6 decision-maker reach, stalled, stale ------------------------------------------


def share(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator for a part of a whole (e.g. decision-maker reach).

    Ratio in [0, 1]; None when the whole is 0; ValueError when the part is negative or
    larger than the whole (a counting bug).
    """
    _not_negative(numerator=numerator, denominator=denominator)
    if numerator > denominator:
        raise ValueError(f"share: part {numerator} is larger than the whole {denominator}")
    return _ratio(numerator, denominator)


def is_stalled(is_open: bool, held_meetings: int, held_with_dm: int) -> bool:
    """Open, ≥ 3 held meetings, and no held meeting with a decision maker present."""
    return is_open and held_meetings >= STALLED_MIN_MEETINGS and held_with_dm == 0


def days_idle(last_touch_on: date | None, created_on: date, today: date) -> int:
    """Whole days since the last call or meeting (or since creation when never touched).

    0 when touched today or later (e.g. a meeting planned ahead, if the caller counts it).
    """
    since = max(last_touch_on, created_on) if last_touch_on is not None else created_on
    return max((today - since).days, 0)


def is_stale(is_open: bool, idle_days: int, rotting_days: int = DEFAULT_ROTTING_DAYS) -> bool:
    """Open and idle for longer than the stage's rotting period (idle = rotting is fresh)."""
    return is_open and idle_days > rotting_days


# --- 3.7 referrals ----------------------------------------------------------------------


def asks_per_contract(asked: int, contracts: int) -> Decimal | None:
    """Referrals asked ÷ contracts signed in the period; a multiple (may exceed 1).

    0 when nothing was asked; None when no contract was signed.
    """
    _not_negative(asked=asked, contracts=contracts)
    return _ratio(asked, contracts)


def referral_conversion(referred_cohort: int, referred_cohort_signed: int) -> Decimal | None:
    """Cohort prospects with source=referral that reached contract ÷ all such prospects.

    Ratio; None when the cohort has no referred prospect.
    """
    return share(referred_cohort_signed, referred_cohort)


# --- 3.8 events ------------------------------------------------------------------------------


def cost_per(cost: Decimal | None, count: int) -> Decimal | None:
    """An event's cost ÷ a count (prospects sourced, contracts); money, 0.01, half-up.

    None when the count is 0 or the event has no cost recorded; a free event gives 0.00.
    """
    _not_negative(cost=cost, count=count)
    if cost is None or count == 0:
        return None
    return _money(_frac(cost) / count)


# --- 3.9 alternation -----------------------------------------------------------------------


def is_meeting_day(calls: int, meetings: int) -> bool:
    """meetings ÷ (meetings + calls) ≥ 0.5, i.e. at least as many held meetings as calls."""
    return meetings >= calls


@dataclass(frozen=True, slots=True)
class Alternation:
    """alternation: switches between call and meeting days ÷ (active days - 1);
    meeting_day_share: meeting days ÷ active days. Ratios; both None below 2 active days."""

    alternation: Decimal | None
    meeting_day_share: Decimal | None
    active_days: int


def alternation(days: Sequence[tuple[int, int]]) -> Alternation:
    """One manager's alternation over the active working days of a period.

    days: (calls, held meetings) per active working day, in date order. The caller leaves
    out non-working days and days with neither (ValueError if one is passed), so a
    weekend or a day off between two days is no break.
    """
    kinds: list[bool] = []
    for calls, meetings in days:
        _not_negative(calls=calls, meetings=meetings)
        if calls == meetings == 0:
            raise ValueError("alternation: a day with no call and no held meeting is not active")
        kinds.append(is_meeting_day(calls, meetings))
    active = len(kinds)
    if active < 2:
        return Alternation(alternation=None, meeting_day_share=None, active_days=active)
    switches = sum(a != b for a, b in pairwise(kinds))
    return Alternation(
        alternation=_decimal(Fraction(switches, active - 1)),
        meeting_day_share=_decimal(Fraction(sum(kinds), active)),
        active_days=active,
    )


def team_alternation(values: Iterable[Decimal | None]) -> Decimal | None:
    """Mean of the managers' alternation (or meeting-day share) values that exist.

    Ratio; managers with None (under 2 active days) are left out; None when none is left.
    """
    return mean(value for value in values if value is not None)


# --- 3.10 funnel coverage --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    """remaining contracts (count), the lead→contract rate used (ratio), the new prospects
    needed (count) and coverage = open prospects now ÷ required (a multiple)."""

    remaining: int | None
    rate: Decimal | None
    required_new_prospects: int | None
    coverage: Decimal | None


def coverage(
    contracts_target: int | None,
    contracts_actual: int,
    rate: Decimal | None,
    open_now: int,
) -> Coverage:
    """Funnel coverage of the contracts still to sign in the period.

    remaining = max(target - actual, 0); None without a contracts target (then nothing
    else has a value). required_new_prospects = ceil(remaining ÷ rate), computed exactly
    (3 ÷ 0.3 is 10, not 11); None when the rate is None or 0 — also when remaining is 0.
    coverage = open_now ÷ required; None when required is 0 or None.
    """
    _not_negative(contracts_actual=contracts_actual, open_now=open_now, rate=rate)
    if contracts_target is None:
        return Coverage(remaining=None, rate=rate, required_new_prospects=None, coverage=None)
    remaining = max(contracts_target - contracts_actual, 0)
    required = None if not rate else math.ceil(Fraction(remaining) / _frac(rate))
    return Coverage(
        remaining=remaining,
        rate=rate,
        required_new_prospects=required,
        coverage=_ratio(open_now, required) if required else None,
    )


@dataclass(frozen=True, slots=True)
class PickedRate:
    """The lead→contract rate for coverage and where it came from:
    "own", "sector", "team", "company", or None (rate None) when none exists."""

    rate: Decimal | None
    source: str | None


def pick_rate(
    own_rate: Decimal | None,
    own_cohort_size: int,
    sector_low: Decimal | None,
    team_rate: Decimal | None,
    company_rate: Decimal | None,
    min_cohort: int = MIN_OWN_COHORT,
) -> PickedRate:
    """The first rate that exists, in the SPEC 3.10 order.

    own cohort conversion over the 6 full months before the period when that cohort has
    ≥ min_cohort prospects (an own rate of 0 is used as is) → the sector's
    lead_to_contract benchmark low → the team's rate → the company's → none.
    """
    if own_rate is not None and own_cohort_size >= min_cohort:
        return PickedRate(own_rate, "own")
    for rate, source in ((sector_low, "sector"), (team_rate, "team"), (company_rate, "company")):
        if rate is not None:
            return PickedRate(rate, source)
    return PickedRate(None, None)


# --- 3.11 plan suggestion ---------------------------------------------------------------------


def months_since(hired_on: date, period_start: date) -> int:
    """Calendar months from hired_on's month to period_start's month (never below 0).

    0 = the period starts in the month of hire (the 1st month), 1 = the next calendar
    month (the 2nd), 2 = the 3rd. Hired on Oct 20: October 0, November 1, December 2. A
    period starting before the hire counts as the 1st month.
    """
    months = (period_start.year - hired_on.year) * 12 + period_start.month - hired_on.month
    return max(months, 0)


def ramp(months_since_hire: int | None) -> Decimal:
    """50% in the 1st month (0), 75% in the 2nd (1), 100% from the 3rd on, or when unknown."""
    if months_since_hire is None or months_since_hire >= len(RAMP):
        return Decimal(1)
    return RAMP[max(months_since_hire, 0)]


def suggest_target(
    own_last_full_periods: Sequence[Number],
    growth: Decimal = DEFAULT_GROWTH,
    team_median: Number | None = None,
    months_since_hire: int | None = None,
    *,
    places: int = 2,
) -> Decimal | None:
    """A personal target for the next period of one metric.

    own_last_full_periods   the manager's actuals in full periods of the same length,
                            oldest first; only the last 3 are used.
    With ≥ 3 of them: their mean * (1 + growth). Otherwise: team_median * ramp(months_since_hire)
    (see months_since; no growth on top), or None without a team median.
    Rounded half-up to ``places`` decimals: 2 for money (default), 0 for counts.
    """
    if len(own_last_full_periods) >= SUGGESTION_PERIODS:
        recent = [_frac(v) for v in own_last_full_periods[-SUGGESTION_PERIODS:]]
        base = sum(recent, Fraction(0)) / SUGGESTION_PERIODS * (1 + _frac(growth))
    elif team_median is not None:
        base = _frac(team_median) * _frac(ramp(months_since_hire))
    else:
        return None
    scale = Fraction(10) ** places
    units = math.floor(abs(base) * scale + Fraction(1, 2))
    return Decimal(-units if base < 0 else units).scaleb(-places, _CONTEXT)


# --- 3.12 benchmark rating ---------------------------------------------------------------------


def rating(value: Number | float | None, low: Number | None, high: Number | None) -> str | None:
    """The rating of a value against a benchmark: "below", "within" or "above".

    below when value < low; within when low ≤ value ≤ high, or value ≥ low when high is None;
    above when value > high.

    Compared exactly (a float is read as written). None when the value is None or there is
    no benchmark (low None).
    """
    if value is None or low is None:
        return None
    exact = _frac(value)
    if exact < _frac(low):
        return "below"
    if high is not None and exact > _frac(high):
        return "above"
    return "within"
