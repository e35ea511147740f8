from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.okr.progress import (
    HEALTHY_SCORE,
    expected_progress,
    expected_value,
    format_delta,
    format_value,
    is_final_week,
    pacing,
    progress,
    progress_bar,
    rollup,
    suggested_score,
    week_of_cycle,
)
from bot.okr.types import Confidence, KRKind, Pacing

Q1_START, Q1_END = date(2027, 1, 4), date(2027, 3, 28)  # 84 days = 12 whole weeks


@pytest.mark.parametrize(
    ("kind", "start", "target", "current", "expected"),
    [
        (KRKind.INCREASE, 0, 100, 40, 0.4),
        (KRKind.INCREASE, 20, 120, 70, 0.5),
        (KRKind.INCREASE, 0, 100, 150, 1.0),  # overachievement clamps
        (KRKind.INCREASE, 50, 100, 10, 0.0),  # went backwards: clamps at 0
        (KRKind.DECREASE, 100, 20, 60, 0.5),
        (KRKind.DECREASE, 100, 20, 120, 0.0),
        (KRKind.DECREASE, 100, 20, 0, 1.0),
        (KRKind.MILESTONE, 0, 4, 3, 0.75),
        (KRKind.BINARY, 0, 1, 0, 0.0),
        (KRKind.BINARY, 0, 1, 1, 1.0),
        (KRKind.BINARY, 0, 1, 0.99, 0.0),
        (KRKind.INCREASE, 5, 5, 5, 1.0),  # degenerate: reached
        (KRKind.INCREASE, 5, 5, 4, 0.0),
        (KRKind.DECREASE, 5, 5, 4, 1.0),
        (KRKind.DECREASE, 5, 5, 6, 0.0),
        (KRKind.INCREASE, 0, 100, float("nan"), 0.0),
    ],
)
def test_progress(kind, start, target, current, expected):
    assert progress(kind, start, target, current) == pytest.approx(expected)


@given(
    st.sampled_from(list(KRKind)),
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
)
def test_progress_always_a_fraction(kind, start, target, current):
    assert 0.0 <= progress(kind, start, target, current) <= 1.0


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), 0.0),
        (Q1_START, 0.0),
        (date(2027, 2, 15), 42 / 83),
        (Q1_END, 1.0),
        (date(2027, 5, 1), 1.0),
    ],
)
def test_expected_progress(today, expected):
    assert expected_progress(Q1_START, Q1_END, today) == pytest.approx(expected)


def test_expected_progress_zero_length_cycle():
    day = date(2027, 1, 4)
    assert expected_progress(day, day, day) == 1.0
    assert expected_progress(day, day, date(2027, 1, 3)) == 0.0


@pytest.mark.parametrize(
    ("kind", "start", "target", "today", "expected"),
    [
        (KRKind.INCREASE, 0, 83, date(2027, 2, 15), 42),
        (KRKind.DECREASE, 83, 0, date(2027, 2, 15), 41),
        (KRKind.INCREASE, 10, 20, Q1_END, 20),
        (KRKind.BINARY, 0, 1, date(2027, 3, 21), 0.0),  # day before the final seven
        (KRKind.BINARY, 0, 1, date(2027, 3, 22), 1.0),  # first day of the final seven
        (KRKind.BINARY, 0, 1, date(2027, 4, 5), 1.0),  # after the cycle
    ],
)
def test_expected_value(kind, start, target, today, expected):
    assert expected_value(kind, start, target, Q1_START, Q1_END, today) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("actual", "expected", "confidence", "result"),
    [
        (0.5, 0.5, None, Pacing.ON_TRACK),
        (0.6, 0.7, None, Pacing.ON_TRACK),  # exactly at the 0.1 tolerance despite float noise
        (0.59, 0.7, None, Pacing.AT_RISK),
        (0.45, 0.7, None, Pacing.AT_RISK),  # exactly at the 0.25 tolerance
        (0.44, 0.7, None, Pacing.BEHIND),
        (0.9, 0.5, None, Pacing.ON_TRACK),
        (0.5, 0.5, Confidence.ON_TRACK, Pacing.ON_TRACK),
        (0.5, 0.5, Confidence.AT_RISK, Pacing.AT_RISK),
        (0.5, 0.5, Confidence.OFF_TRACK, Pacing.AT_RISK),  # confidence caps at AT_RISK
        (0.1, 0.7, Confidence.ON_TRACK, Pacing.BEHIND),  # confidence never rescues the numbers
        (0.5, 0.7, Confidence.OFF_TRACK, Pacing.AT_RISK),
        (0.1, 0.7, Confidence.OFF_TRACK, Pacing.BEHIND),
    ],
)
def test_pacing(actual, expected, confidence, result):
    assert pacing(actual, expected, confidence) is result


@pytest.mark.parametrize(
    ("fraction", "score"),
    [(0.0, 0.0), (0.04, 0.0), (0.05, 0.1), (0.25, 0.3), (0.34, 0.3), (0.35, 0.4), (0.66, 0.7), (1.0, 1.0), (1.7, 1.0)],
)
def test_suggested_score(fraction, score):
    assert suggested_score(fraction) == score


def test_healthy_score():
    assert HEALTHY_SCORE == 0.7


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], 0.0),
        ([(0.5, 1)], 0.5),
        ([(1.0, 3), (0.0, 1)], 0.75),
        ([(1.0, 0), (0.0, 0)], 0.5),  # no weights at all: plain average
        ([(1.0, 0), (0.2, 1)], 0.2),  # a zero weight next to a real one counts for nothing
        ([(1.5, 1), (0.5, 1)], 0.75),  # inputs are clamped before averaging
    ],
)
def test_rollup(items, expected):
    assert rollup(items) == pytest.approx(expected)


def test_rollup_accepts_generators_and_rejects_negative_weights():
    assert rollup((p, 1) for p in (0.2, 0.4)) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="weights"):
        rollup([(0.5, -1)])


@pytest.mark.parametrize(
    ("fraction", "width", "bar"),
    [
        (0.0, 10, "▱▱▱▱▱▱▱▱▱▱"),
        (0.4, 10, "▰▰▰▰▱▱▱▱▱▱"),
        (0.45, 10, "▰▰▰▰▰▱▱▱▱▱"),
        (0.97, 10, "▰▰▰▰▰▰▰▰▰▱"),  # never drawn full before it is done
        (1.0, 10, "▰▰▰▰▰▰▰▰▰▰"),
        (2.0, 5, "▰▰▰▰▰"),
        (-1.0, 5, "▱▱▱▱▱"),
        (0.5, 4, "▰▰▱▱"),
    ],
)
def test_progress_bar(fraction, width, bar):
    assert progress_bar(fraction, width) == bar


def test_progress_bar_rejects_zero_width():
    with pytest.raises(ValueError, match="width"):
        progress_bar(0.5, 0)


@pytest.mark.parametrize(
    ("start", "end", "today", "expected"),
    [
        (Q1_START, Q1_END, Q1_START, (1, 12)),
        (Q1_START, Q1_END, date(2027, 1, 10), (1, 12)),
        (Q1_START, Q1_END, date(2027, 1, 11), (2, 12)),
        (Q1_START, Q1_END, Q1_END, (12, 12)),
        (Q1_START, Q1_END, date(2026, 12, 1), (1, 12)),  # clamped
        (Q1_START, Q1_END, date(2027, 6, 1), (12, 12)),
        (date(2027, 1, 1), date(2027, 3, 31), date(2027, 3, 31), (13, 13)),  # 90 days
        (date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 1), (1, 1)),
    ],
)
def test_week_of_cycle(start, end, today, expected):
    assert week_of_cycle(start, end, today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 3, 21), False),
        (date(2027, 3, 22), True),
        (Q1_END, True),
        (date(2027, 3, 29), False),
        (date(2026, 12, 30), False),
    ],
)
def test_is_final_week(today, expected):
    assert is_final_week(Q1_START, Q1_END, today) is expected


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (42.0, "%", "42%"),
        (42.5, "%", "42.5%"),
        (1200, "$", "$1,200"),
        (1234567.891, "€", "€1,234,567.89"),
        (-1200, "£", "-£1,200"),
        (1.5, "", "1.5"),
        (12, "deals", "12 deals"),
        (12, " deals ", "12 deals"),
        (0.0001, "", "0"),
        (-0.0001, "", "0"),
        (-3, "", "-3"),
        (1.10, "", "1.1"),
        (float("nan"), "%", "n/a"),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("delta", "unit", "text"),
    [
        (8, "", "▲ +8"),
        (-3, "", "▼ -3"),
        (0, "", "no change"),
        (0.001, "%", "no change"),  # below display precision
        (2.5, "%", "▲ +2.5%"),
        (1200, "$", "▲ +$1,200"),
        (-2, "deals", "▼ -2 deals"),
    ],
)
def test_format_delta(delta, unit, text):
    assert format_delta(delta, unit) == text
