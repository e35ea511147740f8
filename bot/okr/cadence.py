"""When a prompt or digest is due: pure "tick + ledger" scheduling arithmetic.

The scheduler ticks once a minute and asks ``due_now`` whether an occurrence of a
recipient's slot is due. Exactly-once delivery is the ledger's job: it keys rows by
(recipient, kind, ``Occurrence.period``), so this module only has to make ``period``
stable and unique per occurrence. It is the occurrence's LOCAL date, which does not
depend on DST, on tick timing, or on a scheduler restart.

Why "latest due occurrence" rather than "is it exactly 10:00 now": a tick that is late,
skipped, or lands inside a DST gap still finds the occurrence, and the ledger stops a
second send. ``late_limit`` decides when a missed occurrence is too stale to send.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.okr.types import WEEKDAYS, Cadence

LOOKBACK_DAYS = 15  # one biweekly period plus a day of slack; older occurrences are simply not "due"
_MINUTE = timedelta(minutes=1)
_WEEK = timedelta(weeks=1)
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")

Window = tuple[date, date]


@dataclass(frozen=True)
class Slot:
    """A recurring local wall-clock time, e.g. Mondays at 10:00 in the recipient's zone."""

    weekday: int  # 0=Monday
    at: time  # local wall-clock time, naive
    cadence: Cadence = Cadence.WEEKLY
    anchor: date | None = None  # biweekly parity anchor (the cycle start): weeks 0, 2, 4... from its ISO week

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday}")
        if self.at.tzinfo is not None:
            raise ValueError("Slot.at is a local wall-clock time and must be naive")
        if self.cadence is Cadence.BIWEEKLY and self.anchor is None:
            raise ValueError("a biweekly slot needs an anchor date (the cycle start) to fix its parity")

    def falls_on(self, local_date: date) -> bool:
        """Whether this slot has an occurrence on ``local_date`` (ignoring any window)."""
        if local_date.weekday() != self.weekday:
            return False
        if self.cadence is Cadence.WEEKLY:
            return True
        assert self.anchor is not None  # guaranteed by __post_init__
        anchor_monday = self.anchor - timedelta(days=self.anchor.weekday())
        weeks = (local_date - anchor_monday).days // 7
        return weeks % 2 == 0  # Python's % keeps parity consistent before the anchor too


@dataclass(frozen=True)
class Occurrence:
    period: str  # stable ledger key: the occurrence's local date, ISO format
    local_date: date
    due_utc: datetime  # the UTC instant the occurrence fires


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether a naive local wall time exists in ``tz`` (False inside a spring-forward gap)."""
    round_trip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return round_trip.replace(tzinfo=None) == wall  # naive comparison ignores fold


def _gap_exit(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first whole minute (UTC) whose local time is at or after a ``wall`` time lost in a gap.

    That is the transition instant itself, whose local time is the end of the gap (03:00 for a
    02:00->03:00 change). Binary search keeps this cheap however long the gap is: the bot calls it
    on every tick during a transition week.
    """
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # pre-gap offset: local time is before the gap
    after = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)  # post-gap offset: local time is past the gap
    low, high = 0, math.ceil((after - before) / _MINUTE)  # in minutes from `before`; high satisfies the test
    while high - low > 1:
        middle = (low + high) // 2
        if (before + middle * _MINUTE).astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return before + high * _MINUTE


def occurrence_at(slot: Slot, tz: ZoneInfo, local_date: date) -> datetime:
    """The UTC instant at which ``slot`` fires on ``local_date`` in ``tz`` (minute resolution).

    - Normal days: the wall time is kept, so 10:00 stays 10:00 local across DST.
    - Spring-forward gap: the wall time does not exist; fire at the next valid minute
      (02:30 in New York on the change day -> 03:00 EDT), i.e. as soon as the clock allows.
    - Fall-back overlap: the wall time happens twice; fire at the first one (fold=0).
      Both happen on the same local date, so the period is the same and the ledger sends once.
    """
    # Seconds are dropped: the scheduler ticks once a minute, and gap handling works in whole minutes.
    wall = datetime.combine(local_date, slot.at.replace(second=0, microsecond=0))
    if not _exists(wall, tz):
        return _gap_exit(wall, tz)
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _occurrence(slot: Slot, tz: ZoneInfo, local_date: date) -> Occurrence:
    return Occurrence(local_date.isoformat(), local_date, occurrence_at(slot, tz, local_date))


def _local_today(tz: ZoneInfo, now: datetime) -> date:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now.astimezone(tz).date()


def _in_window(local_date: date, window: Window | None) -> bool:
    return window is None or window[0] <= local_date <= window[1]


def latest_due(slot: Slot, tz: ZoneInfo, now: datetime, *, window: Window | None = None) -> Occurrence | None:
    """The most recent occurrence with ``due_utc <= now``, or None.

    Looks back at most ``LOOKBACK_DAYS`` local days and only at local dates inside
    ``window`` (cycle start..end, inclusive), so a closed cycle stops producing prompts.
    """
    today = _local_today(tz, now)
    # Start one day ahead: a gap push could, in principle, move an occurrence across midnight.
    newest = today + timedelta(days=1)
    day = newest - timedelta(days=(newest.weekday() - slot.weekday) % 7)
    oldest = today - timedelta(days=LOOKBACK_DAYS)
    while day >= oldest:  # step a week at a time: this runs for every recipient on every tick
        if slot.falls_on(day) and _in_window(day, window):
            occurrence = _occurrence(slot, tz, day)
            if occurrence.due_utc <= now:
                return occurrence
        day -= _WEEK
    return None


def due_now(
    slot: Slot, tz: ZoneInfo, now: datetime, *, late_limit: timedelta, window: Window | None = None
) -> tuple[Occurrence | None, bool]:
    """``(latest occurrence, is_too_late)``; too late means ``now - due_utc > late_limit``.

    The caller checks the ledger for ``occurrence.period``; if unsent and too late it records
    a skip and logs it instead of sending a stale prompt (e.g. after a long outage).
    """
    occurrence = latest_due(slot, tz, now, window=window)
    if occurrence is None:
        return None, False
    return occurrence, now - occurrence.due_utc > late_limit


def next_due(slot: Slot, tz: ZoneInfo, now: datetime, *, window: Window | None = None) -> Occurrence | None:
    """The first occurrence strictly after ``now`` (for "/okr next"), or None if the window has ended.

    A window that starts in the future (a planned cycle) is searched from its start.
    """
    first = _local_today(tz, now)
    if window is not None:
        first = max(first, window[0])
    first -= timedelta(days=1)  # mirror of latest_due's one-day slack
    day = first + timedelta(days=(slot.weekday - first.weekday()) % 7)
    last = first + timedelta(days=LOOKBACK_DAYS + 1)
    while day <= last:
        if window is not None and day > window[1]:
            return None
        if slot.falls_on(day) and _in_window(day, window):
            occurrence = _occurrence(slot, tz, day)
            if occurrence.due_utc > now:
                return occurrence
        day += _WEEK
    return None


def parse_hhmm(text: str) -> time:
    """``"10:00"``, ``"9:30"``, ``"09:30"`` -> ``time``; ValueError with a usable message otherwise."""
    match = _HHMM.fullmatch(text.strip())
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour <= 23 and minute <= 59:
            return time(hour, minute)
    raise ValueError(f"'{text}' is not a time of day; use 24-hour HH:MM, e.g. 09:30")


def parse_weekday(text: str) -> int:
    """``"monday"``, ``"Mon"``, ``"thurs"`` -> 0..6 (any prefix of at least three letters)."""
    word = text.strip().casefold()
    if len(word) >= 3:
        for index, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return index
    raise ValueError(f"'{text}' is not a weekday")


def safe_zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """``ZoneInfo(name)``, or the fallback zone (then UTC) when the name is missing or unknown.

    Slack profiles sometimes carry empty or retired zone names; scheduling must not crash on them.
    """
    for candidate in (name, fallback):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
            continue
    return ZoneInfo("UTC")
