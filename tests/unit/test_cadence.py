"""Cadence arithmetic: windows, late limits, next_due, biweekly parity, parse helpers, properties.

DST behaviour lives in test_cadence_dst.py.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.okr.cadence import (
    Occurrence,
    Slot,
    due_now,
    latest_due,
    next_due,
    occurrence_at,
    parse_hhmm,
    parse_weekday,
    safe_zone,
)
from bot.okr.types import Cadence

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata")
Q1 = (date(2027, 1, 4), date(2027, 3, 28))  # Monday .. Sunday; Berlin springs forward on 2027-03-28
MONDAY_10 = Slot(weekday=0, at=time(10, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_occurrence_period_is_the_local_date():
    # 00:30 Tuesday in Kolkata is still Monday in UTC: the period follows the recipient's calendar.
    slot = Slot(weekday=1, at=time(0, 30))
    occurrence = latest_due(slot, ZoneInfo("Asia/Kolkata"), utc(2027, 1, 5, 12))
    assert occurrence == Occurrence("2027-01-05", date(2027, 1, 5), utc(2027, 1, 4, 19))


@pytest.mark.parametrize(
    ("now", "expected_period"),
    [
        (utc(2027, 1, 3, 12), None),  # before the cycle
        (utc(2027, 1, 4, 8, 59), None),  # first day, not yet 10:00 local
        (utc(2027, 1, 4, 9, 0), "2027-01-04"),  # exactly due
        (utc(2027, 1, 10, 23), "2027-01-04"),
        (utc(2027, 3, 29, 12), "2027-03-22"),  # the Monday after the cycle is outside the window
        (utc(2027, 4, 6, 12), "2027-03-22"),  # still within the look-back
        (utc(2027, 4, 20, 12), None),  # beyond the look-back: nothing is due any more
    ],
)
def test_latest_due_respects_window(now, expected_period):
    occurrence = latest_due(MONDAY_10, BERLIN, now, window=Q1)
    assert (occurrence.period if occurrence else None) == expected_period


@pytest.mark.parametrize(
    ("now", "expected_due"),
    [
        (utc(2026, 12, 1), utc(2027, 1, 4, 9)),  # planned cycle: first occurrence at its start
        (utc(2027, 1, 4, 8, 59), utc(2027, 1, 4, 9)),
        (utc(2027, 1, 4, 9), utc(2027, 1, 11, 9)),  # strictly after now
        (utc(2027, 3, 22, 9), None),  # the last one in the window has fired
        (utc(2027, 5, 1), None),
    ],
)
def test_next_due_respects_window(now, expected_due):
    occurrence = next_due(MONDAY_10, BERLIN, now, window=Q1)
    assert (occurrence.due_utc if occurrence else None) == expected_due


def test_next_due_without_window():
    assert next_due(MONDAY_10, BERLIN, utc(2027, 1, 6)).due_utc == utc(2027, 1, 11, 9)


@pytest.mark.parametrize(
    ("now", "too_late"),
    [
        (utc(2027, 1, 11, 9), False),
        (utc(2027, 1, 11, 11), False),  # exactly at the limit is still on time
        (utc(2027, 1, 11, 11, 1), True),
        (utc(2027, 1, 17, 23), True),
    ],
)
def test_due_now_late_limit(now, too_late):
    occurrence, is_too_late = due_now(MONDAY_10, BERLIN, now, late_limit=timedelta(hours=2), window=Q1)
    assert occurrence.period == "2027-01-11"
    assert is_too_late is too_late


def test_due_now_with_nothing_due():
    assert due_now(MONDAY_10, BERLIN, utc(2027, 1, 1), late_limit=timedelta(hours=2), window=Q1) == (None, False)


def test_biweekly_parity_counts_iso_weeks_from_the_anchor():
    # Anchor on a Wednesday: its ISO week (from Monday 2027-01-04) is week 0, so that Monday counts.
    slot = Slot(weekday=0, at=time(10, 0), cadence=Cadence.BIWEEKLY, anchor=date(2027, 1, 6))
    mondays = [date(2026, 12, 21) + timedelta(weeks=n) for n in range(6)]
    assert [slot.falls_on(day) for day in mondays] == [True, False, True, False, True, False]
    assert not slot.falls_on(date(2027, 1, 5))


def test_biweekly_latest_and_next():
    slot = Slot(weekday=0, at=time(10, 0), cadence=Cadence.BIWEEKLY, anchor=Q1[0])
    assert latest_due(slot, BERLIN, utc(2027, 1, 17, 12), window=Q1).period == "2027-01-04"
    assert next_due(slot, BERLIN, utc(2027, 1, 4, 9), window=Q1).period == "2027-01-18"
    assert next_due(slot, BERLIN, utc(2026, 12, 24), window=Q1).period == "2027-01-04"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekday": 7, "at": time(10)}, "weekday"),
        ({"weekday": 0, "at": time(10, tzinfo=UTC)}, "naive"),
        ({"weekday": 0, "at": time(10), "cadence": Cadence.BIWEEKLY}, "anchor"),
    ],
)
def test_slot_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Slot(**kwargs)


def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_due(MONDAY_10, BERLIN, datetime(2027, 1, 4, 12))


def test_non_utc_aware_now_is_accepted():
    now = datetime(2027, 1, 4, 10, tzinfo=BERLIN)
    assert latest_due(MONDAY_10, BERLIN, now).due_utc == utc(2027, 1, 4, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00", time(10)),
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        (" 7:05 ", time(7, 5)),
        ("0:00", time(0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_hhmm(text, expected):
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "9:5", "10:60", "ten", "", "9:30am", "1:2:3"])
def test_parse_hhmm_errors(text):
    with pytest.raises(ValueError) as excinfo:
        parse_hhmm(text)
    assert str(excinfo.value) == f"'{text}' is not a time of day; use 24-hour HH:MM, e.g. 09:30"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("monday", 0), ("Mon", 0), ("mon", 0), ("TUE", 1), ("wed", 2), ("thurs", 3), ("fri", 4), (" Sunday ", 6)],
)
def test_parse_weekday(text, expected):
    assert parse_weekday(text) == expected


@pytest.mark.parametrize("text", ["mun", "mo", "", "mondays", "funday", "7"])
def test_parse_weekday_errors(text):
    with pytest.raises(ValueError) as excinfo:
        parse_weekday(text)
    assert str(excinfo.value) == f"'{text}' is not a weekday"


@pytest.mark.parametrize(
    ("name", "fallback", "expected"),
    [
        ("Europe/Berlin", "UTC", "Europe/Berlin"),
        (None, "UTC", "UTC"),
        ("", "UTC", "UTC"),
        ("Mars/Olympus_Mons", "UTC", "UTC"),
        ("Mars/Olympus_Mons", "Asia/Kolkata", "Asia/Kolkata"),
        ("../../etc/passwd", "UTC", "UTC"),
        (None, "Not/A_Zone", "UTC"),  # a bad fallback still never raises
    ],
)
def test_safe_zone(name, fallback, expected):
    assert safe_zone(name, fallback).key == expected


def test_occurrence_at_keeps_local_wall_time():
    assert occurrence_at(MONDAY_10, BERLIN, date(2027, 7, 5)) == utc(2027, 7, 5, 8)


slots = st.builds(
    Slot,
    weekday=st.integers(0, 6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    cadence=st.sampled_from(list(Cadence)),
    anchor=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
)
instants = st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))


@given(slot=slots, zone=st.sampled_from(ZONES), now=instants)
def test_latest_and_next_bracket_now(slot, zone, now):
    tz = ZoneInfo(zone)
    latest, upcoming = latest_due(slot, tz, now), next_due(slot, tz, now)
    assert latest.due_utc <= now < upcoming.due_utc
    # Nothing in between: each is the other's neighbour.
    assert next_due(slot, tz, latest.due_utc) == upcoming
    assert latest_due(slot, tz, upcoming.due_utc) == upcoming
    period = timedelta(weeks=1 if slot.cadence is Cadence.WEEKLY else 2)
    assert abs(upcoming.due_utc - latest.due_utc - period) <= timedelta(hours=1)
