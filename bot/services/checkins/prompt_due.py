"""Whether any check-in prompt can be due now, worked out before a single KR or person is loaded.

The prompt step (bot.services.checkins.prompts) runs every minute; almost always nothing is due. The team
settings, the zones people are in (both from kernel.tick.basics, read once per tick) and one ledger read
answer that; only when something may be due does the full pass load the owners and their KRs.
"""

from datetime import datetime, timedelta

from bot.okr.cadence import Slot, due_now, parse_hhmm, safe_zone
from bot.okr.types import Cadence, SendKind
from bot.services.kernel.context import Services
from bot.services.kernel.tick import basics
from storage import tick_reads
from storage.models import Cycle, Team


def slot_for(team: Team, cycle: Cycle) -> Slot:
    return Slot(team.checkin_day, parse_hhmm(team.checkin_time), Cadence(team.cadence), anchor=cycle.start)


async def unsettled_periods(svc: Services, at: datetime) -> set[str] | None:
    """Whether a prompt may be due, from the team settings, the zones in use and one ledger read: None when
    not; else the periods this tick settles for good (their occurrences are past the lateness limit
    everywhere). A prompt can be due while its slot's occurrence is inside the lateness limit in some zone
    in use; past it, once, to record the skips (after downtime), and again only when a row of it failed."""
    known = await basics(svc)
    if known.cycle is None:
        return None
    cycle, zones = known.cycle, {safe_zone(name) for name in known.zones | {t.timezone for t in known.teams}}
    open_periods, late_periods = set(), set()
    for slot, late_hours in {(slot_for(t, cycle), t.late_limit_hours) for t in known.teams}:
        late_limit, window = timedelta(hours=late_hours), (cycle.start, cycle.end)
        for zone in zones:
            occ, too_late = due_now(slot, zone, at, late_limit=late_limit, window=window)
            if occ is not None:
                (late_periods if too_late else open_periods).add(occ.period)
    late_periods -= open_periods
    async with svc.db.read() as session:
        unsettled = await tick_reads.unsettled_periods(session=session, kind=SendKind.PROMPT, periods=late_periods)
    # Inside a window the full pass runs every tick, as it always did; past every window, only to settle.
    return unsettled if open_periods or unsettled else None
