"""DST behaviour of the cadence module, with the 2026 transitions:

- America/New_York: gap 2026-03-08 02:00->03:00, repeat 2026-11-01 01:00-02:00 (UTC-5 / UTC-4)
- Europe/Berlin:    gap 2026-03-29 02:00->03:00, repeat 2026-10-25 02:00-03:00 (UTC+1 / UTC+2)
- Australia/Sydney: repeat 2026-04-05 02:00-03:00, gap 2026-10-04 02:00->03:00 (UTC+10 / UTC+11)
- Asia/Kolkata:     UTC+05:30 all year
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.okr.cadence import Slot, latest_due, occurrence_at
from bot.okr.types import Cadence

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
MINUTE = timedelta(minutes=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (zone, Monday before the change, its UTC instant, Monday after, its UTC instant) for Mondays at 10:00.
AROUND_TRANSITIONS = [
    (NEW_YORK, date(2026, 3, 2), utc(2026, 3, 2, 15), date(2026, 3, 9), utc(2026, 3, 9, 14)),
    (NEW_YORK, date(2026, 10, 26), utc(2026, 10, 26, 14), date(2026, 11, 2), utc(2026, 11, 2, 15)),
    (BERLIN, date(2026, 3, 23), utc(2026, 3, 23, 9), date(2026, 3, 30), utc(2026, 3, 30, 8)),
    (BERLIN, date(2026, 10, 19), utc(2026, 10, 19, 8), date(2026, 10, 26), utc(2026, 10, 26, 9)),
    (SYDNEY, date(2026, 3, 30), utc(2026, 3, 29, 23), date(2026, 4, 6), utc(2026, 4, 6, 0)),
    (SYDNEY, date(2026, 9, 28), utc(2026, 9, 28, 0), date(2026, 10, 5), utc(2026, 10, 4, 23)),
    (KOLKATA, date(2026, 3, 2), utc(2026, 3, 2, 4, 30), date(2026, 3, 9), utc(2026, 3, 9, 4, 30)),
]


@pytest.mark.parametrize(("tz", "before", "before_utc", "after", "after_utc"), AROUND_TRANSITIONS)
def test_ten_oclock_stays_ten_oclock_across_dst(tz, before, before_utc, after, after_utc):
    slot = Slot(weekday=0, at=time(10, 0))
    first, second = occurrence_at(slot, tz, before), occurrence_at(slot, tz, after)
    assert (first, second) == (before_utc, after_utc)
    assert first.astimezone(tz).time() == second.astimezone(tz).time() == time(10, 0)
    offset_change = second.astimezone(tz).utcoffset() - first.astimezone(tz).utcoffset()
    assert second - first == timedelta(weeks=1) - offset_change


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_utc"),
    [
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7)),  # -> 03:00 EDT
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7)),
        (NEW_YORK, date(2026, 3, 8), time(2, 59), utc(2026, 3, 8, 7)),
        (NEW_YORK, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7)),  # first valid minute itself
        (NEW_YORK, date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),  # just before the gap: EST
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1)),  # -> 03:00 CEST
        (SYDNEY, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16)),  # -> 03:00 AEDT
    ],
)
def test_gap_fires_at_next_valid_minute(tz, day, at, expected_utc):
    due = occurrence_at(Slot(weekday=6, at=at), tz, day)
    assert due == expected_utc
    assert due.astimezone(tz).date() == day


# (zone, transition day, wall time inside the repeated hour, first occurrence in UTC)
REPEATED_HOURS = [
    (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not EST
    (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),  # 02:30 CEST
    (SYDNEY, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),  # 02:30 AEDT
]


@pytest.mark.parametrize(("tz", "day", "at", "first_utc"), REPEATED_HOURS)
def test_repeated_hour_fires_once_at_first_occurrence(tz, day, at, first_utc):
    slot = Slot(weekday=6, at=at)
    assert occurrence_at(slot, tz, day) == first_utc
    # Tick every minute from an hour before the repeated hour to an hour after it.
    start, end = first_utc - timedelta(hours=2), first_utc + timedelta(hours=3)
    seen = set()
    now = start
    while now <= end:
        occurrence = latest_due(slot, tz, now)
        if occurrence.local_date == day:
            seen.add((occurrence.period, occurrence.due_utc))
        now += MINUTE
    assert seen == {(day.isoformat(), first_utc)}


def simulate(slot: Slot, tz: ZoneInfo, first_local_day: date, days: int) -> dict[str, datetime]:
    """Tick every minute over whole local days, sending through a ledger keyed by period.

    Returns period -> tick at which it was sent, for occurrences due inside the simulated span.
    """
    start = datetime.combine(first_local_day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(first_local_day + timedelta(days=days), time(0), tzinfo=tz).astimezone(UTC)
    ledger: dict[str, datetime] = {}
    now = start
    while now < end:
        occurrence = latest_due(slot, tz, now)
        if occurrence is not None and occurrence.due_utc >= start and occurrence.period not in ledger:
            assert occurrence.due_utc == now  # minute ticks pick it up on the very minute it is due
            ledger[occurrence.period] = now
        now += MINUTE
    return ledger


# (zone, Monday starting a local week that contains a transition, slot times worth probing)
TRANSITION_WEEKS = [
    (NEW_YORK, date(2026, 3, 2), time(2, 30)),
    (NEW_YORK, date(2026, 10, 26), time(1, 30)),
    (BERLIN, date(2026, 3, 23), time(2, 30)),
    (BERLIN, date(2026, 10, 19), time(2, 30)),
    (SYDNEY, date(2026, 3, 30), time(2, 30)),
    (SYDNEY, date(2026, 9, 28), time(2, 30)),
    (KOLKATA, date(2026, 3, 2), time(2, 30)),
]


@pytest.mark.parametrize(("tz", "monday", "tricky_time"), TRANSITION_WEEKS)
@pytest.mark.parametrize("on_transition_day", [True, False])
def test_minute_ticks_over_a_week_send_weekly_slot_once(tz, monday, tricky_time, on_transition_day):
    # Sunday at the tricky wall time hits the gap / repeated hour; Monday 10:00 is the everyday case.
    slot = Slot(weekday=6, at=tricky_time) if on_transition_day else Slot(weekday=0, at=time(10, 0))
    sent = simulate(slot, tz, monday, days=7)
    assert len(sent) == 1
    (period,) = sent
    assert date.fromisoformat(period).weekday() == slot.weekday


@pytest.mark.parametrize(("tz", "monday", "tricky_time"), TRANSITION_WEEKS)
def test_minute_ticks_over_four_weeks_send_biweekly_slot_every_other_week(tz, monday, tricky_time):
    # Anchored on the transition week (week 0); simulate weeks -1, 0, 1 and 2.
    slot = Slot(weekday=6, at=tricky_time, cadence=Cadence.BIWEEKLY, anchor=monday)
    sent = simulate(slot, tz, monday - timedelta(weeks=1), days=28)
    sundays = sorted(date.fromisoformat(period) for period in sent)
    assert sundays == [monday + timedelta(days=6), monday + timedelta(days=20)]  # transition Sunday, then +2 weeks
