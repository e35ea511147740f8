"""Whether any check-in prompt can be due now, and for whom, worked out before a single KR or person is loaded.

The prompt step (bot.services.checkins.prompts) runs every minute; almost always nothing is due. The team
settings, the zones people are in (both from kernel.tick.basics, read once per tick) and one ledger read
answer that outside a prompt window. Inside one (the lateness limit after a slot, six hours by default) one
more read names the few people who may still be due (storage.prompt_window), and only their KRs are loaded.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.okr.cadence import Slot, due_now, parse_hhmm, safe_zone
from bot.okr.types import Cadence, SendKind
from bot.services.kernel.context import Services
from bot.services.kernel.tick import basics
from storage import prompt_window, tick_reads
from storage.models import Cycle, Team

# Past this many people the full pass (two bulk reads) is as cheap, and an IN list stays well inside the
# databases' parameter limits.
MAX_NAMED = 1000


@dataclass(frozen=True)
class Scope:
    """What the prompt pass must look at: `closing`, the periods it settles for good (their occurrences are
    past the lateness limit everywhere; then everyone is looked at), and `who`, the only people who may be
    due (None: everyone)."""

    closing: set[str]
    who: frozenset[str] | None


def slot_for(team: Team, cycle: Cycle) -> Slot:
    return Slot(team.checkin_day, parse_hhmm(team.checkin_time), Cadence(team.cadence), anchor=cycle.start)


def _known_zone(name: str) -> bool:
    """Whether scheduling uses this Person.tz as is (else safe_zone falls back to the team's zone)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return False
    return True


async def prompt_scope(svc: Services, at: datetime) -> Scope | None:
    """None when no prompt can be due now; else the Scope of the pass. A prompt can be due while its slot's
    occurrence is inside the lateness limit in some zone in use, and then only for someone in such a zone
    without a row for it; past the limit, once, to record the skips (after downtime), and again only when a
    row of it failed."""
    known = await basics(svc)
    if known.cycle is None:
        return None
    cycle, zones = known.cycle, {safe_zone(name) for name in known.zones | {t.timezone for t in known.teams}}
    open_periods, late_periods, seen = set(), set(), []
    # Distinct settings first (a few among hundreds of teams), then one Slot each, from one team holding them.
    distinct = {(t.checkin_day, t.checkin_time, t.cadence, t.late_limit_hours): t for t in known.teams}
    for team in distinct.values():
        slot = slot_for(team, cycle)
        late_limit, window = timedelta(hours=team.late_limit_hours), (cycle.start, cycle.end)
        for zone in zones:
            occ, too_late = due_now(slot, zone, at, late_limit=late_limit, window=window)
            if occ is not None:
                (late_periods if too_late else open_periods).add(occ.period)
                seen.append((zone, occ.period))
    late_periods -= open_periods
    unsettled = set()
    if late_periods:  # no read at all before the cycle's first slot has passed
        async with svc.db.read() as session:
            unsettled = await tick_reads.unsettled_periods(session=session, kind=SendKind.PROMPT, periods=late_periods)
    if unsettled:  # settling a period looks at everyone (it records the skips)
        return Scope(unsettled, None)
    if not open_periods:  # the usual tick
        return None
    # Inside a window: only people in a zone where one of its occurrences has come (too late there included,
    # so the skip is recorded as before), or whose zone this cannot tell, can be due.
    come: set[ZoneInfo] = {zone for zone, period in seen if period in open_periods}
    names = {n for n in known.zones if not _known_zone(n) or safe_zone(n) in come}
    async with svc.db.read() as session:
        who = await prompt_window.maybe_due(
            session=session, cycle_id=cycle.id, periods=open_periods, zones=names, away_since=at.date() - timedelta(1)
        )
    if not who:
        return None
    return Scope(set(), frozenset(who) if len(who) <= MAX_NAMED else None)
