"""Progress arithmetic for key results: pure functions, no I/O.

Every fraction returned here is in [0.0, 1.0]. Overachievement is deliberately
clamped: the raw numbers are still shown next to the bar (``format_value``), so
nothing is lost, and clamping keeps roll-ups from letting one runaway KR hide a
stalled sibling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta

from bot.okr.types import Confidence, KRKind, Pacing

HEALTHY_SCORE = 0.7  # classic OKR guidance: 0.6-0.7 means the goal was ambitious and well executed

ON_TRACK_TOLERANCE = 0.1  # up to 10 points under the straight line still reads as on track
AT_RISK_TOLERANCE = 0.25  # 10-25 points under is at risk; anything worse is behind
MIN_PACE_ELAPSED = 0.05  # no pacing verdict before 5% of the cycle (and at least one whole day) has passed
_EPSILON = 1e-9  # absorbs float noise so 0.6 vs 0.7 - 0.1 lands on the documented side

_CURRENCY_PREFIXES = ("$", "€", "£")


def _clamp(value: float) -> float:
    if math.isnan(value):  # unknown progress reads as no progress rather than poisoning averages
        return 0.0
    return min(1.0, max(0.0, value))


def progress(kind: KRKind, start: float, target: float, current: float) -> float:
    """Fraction of the way from ``start`` to ``target``, clamped to [0.0, 1.0].

    DECREASE uses the same formula as INCREASE: both numerator and denominator are
    negative, so moving down towards the target yields a positive fraction.
    A degenerate KR (``target == start``) is all-or-nothing: 1.0 once reached.
    """
    if kind is KRKind.BINARY:
        return 1.0 if current >= 1 else 0.0
    if target == start:
        reached = current <= target if kind is KRKind.DECREASE else current >= target
        return 1.0 if reached else 0.0
    return _clamp((current - start) / (target - start))


def expected_progress(cycle_start: date, cycle_end: date, today: date) -> float:
    """Straight-line pacing by calendar day: 0.0 on/before the start, 1.0 on/after the end."""
    if today >= cycle_end:
        return 1.0
    if today <= cycle_start:
        return 0.0
    return (today - cycle_start).days / (cycle_end - cycle_start).days


def expected_value(kind: KRKind, start: float, target: float, cycle_start: date, cycle_end: date, today: date) -> float:
    """The number a KR "should" show today if it moved in a straight line.

    BINARY KRs cannot be half done, so their expected value is 0 until the final
    week of the cycle (see ``is_final_week``) and 1 from then on; a straight line
    would flag every binary KR as behind from week two.
    """
    if kind is KRKind.BINARY:
        done_expected = today > cycle_end or is_final_week(cycle_start, cycle_end, today)
        return 1.0 if done_expected else 0.0
    return start + (target - start) * expected_progress(cycle_start, cycle_end, today)


def pace_judged(cycle_start: date, cycle_end: date, today: date) -> bool:
    """Whether enough of the cycle has passed for a pacing verdict: at least one whole day and 5% of it.

    Before that the straight line expects a sliver ("0.05 milestones today") that no one could have shown,
    so a verdict either way would be noise; the views say "too early to tell" instead."""
    days = (today - cycle_start).days
    return days >= 1 and expected_progress(cycle_start, cycle_end, today) >= MIN_PACE_ELAPSED


def pacing(progress: float, expected: float, confidence: Confidence | None = None) -> Pacing:
    """Compare actual with expected progress, then let the owner's confidence pull it down.

    Rules:
    - numbers: ON_TRACK if ``progress >= expected - 0.1``, AT_RISK if ``>= expected - 0.25``, else BEHIND;
    - the owner's confidence can only make the reading worse, never better: an owner saying
      "on track" does not rescue lagging numbers, because the numbers are the shared truth;
    - AT_RISK or OFF_TRACK confidence caps the reading at AT_RISK. OFF_TRACK does not force
      BEHIND on its own: BEHIND is reserved for "the numbers say so", so that the two
      signals stay distinguishable in digests.
    """
    if progress + _EPSILON >= expected - ON_TRACK_TOLERANCE:
        reading = Pacing.ON_TRACK
    elif progress + _EPSILON >= expected - AT_RISK_TOLERANCE:
        reading = Pacing.AT_RISK
    else:
        reading = Pacing.BEHIND
    if reading is Pacing.ON_TRACK and confidence in (Confidence.AT_RISK, Confidence.OFF_TRACK):
        return Pacing.AT_RISK
    return reading


def suggested_score(progress: float) -> float:
    """End-of-cycle score suggestion: progress rounded half-up to one decimal in [0.0, 1.0]."""
    # floor(x + 0.5) instead of round(): round() is banker's rounding, which would turn 0.25 into 0.2.
    return math.floor(_clamp(progress) * 10 + 0.5) / 10


def rollup(items: Iterable[tuple[float, float]]) -> float:
    """Weighted average of ``(progress, weight)`` pairs.

    Empty -> 0.0. If every weight is zero the plain average is used, so an objective whose
    owner never set weights still rolls up. Negative weights are a data error and raise.
    """
    pairs = [(_clamp(p), float(w)) for p, w in items]
    if not pairs:
        return 0.0
    if any(w < 0 or math.isnan(w) for _, w in pairs):
        raise ValueError("rollup weights must be zero or positive")
    total = sum(w for _, w in pairs)
    if total == 0:
        return sum(p for p, _ in pairs) / len(pairs)
    return _clamp(sum(p * w for p, w in pairs) / total)


def progress_bar(fraction: float, width: int = 10) -> str:
    """Text bar such as ``▰▰▰▰▱▱▱▱▱▱``.

    Cells are rounded half-up, except that a bar is only ever drawn full when the KR is
    actually complete: 0.97 showing as done would invite people to stop.
    """
    if width < 1:
        raise ValueError("progress bar width must be at least 1")
    fraction = _clamp(fraction)
    filled = math.floor(fraction * width + 0.5)
    if fraction < 1.0:
        filled = min(filled, width - 1)
    return "▰" * filled + "▱" * (width - filled)


def week_of_cycle(cycle_start: date, cycle_end: date, today: date) -> tuple[int, int]:
    """``(N, M)`` for "week N of M", N clamped to 1..M; weeks are counted from the start date."""
    total_days = max((cycle_end - cycle_start).days + 1, 1)
    weeks = math.ceil(total_days / 7)
    current = (today - cycle_start).days // 7 + 1
    return min(max(current, 1), weeks), weeks


def is_final_week(cycle_start: date, cycle_end: date, today: date) -> bool:
    """True during the last seven days of the cycle (``end - 6 .. end``, inclusive).

    Defined as the last seven days rather than "week M of M" because cycles are rarely a
    whole number of weeks; a trailing 1-day "week" would make a weekly slot miss it.
    """
    if today < cycle_start or today > cycle_end:
        return False
    return today >= cycle_end - timedelta(days=6)


def format_value(value: float, unit: str = "") -> str:
    """Human number: ``42%``, ``$1,200``, ``1.5``, ``12 deals``.

    At most two decimals, trailing zeros trimmed, thousands separated by commas.
    "%" is glued after, currency symbols go before (after any minus sign), other units
    follow a space.
    """
    if math.isnan(value):
        return "n/a"
    unit = unit.strip()
    number = f"{abs(value):,.2f}".rstrip("0").rstrip(".")
    sign = "-" if value < 0 and number != "0" else ""
    if unit in _CURRENCY_PREFIXES:
        return f"{sign}{unit}{number}"
    if unit == "%":
        return f"{sign}{number}%"
    return f"{sign}{number} {unit}" if unit else f"{sign}{number}"


def format_delta(delta: float, unit: str = "") -> str:
    """Change since the last check-in: ``▲ +8``, ``▼ -3%``, ``▲ +$1,200``, or ``no change``."""
    magnitude = format_value(abs(delta), unit)
    if math.isnan(delta) or magnitude == format_value(0, unit):  # rounds to zero at display precision
        return "no change"
    return f"▲ +{magnitude}" if delta > 0 else f"▼ -{magnitude}"
