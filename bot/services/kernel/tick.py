"""One scheduler pass at a given instant: ask what is due now, claim it in the ledger, send it.

The tick is the only scheduled job (docs/reliability.md). Its steps are a list wired by the composition root
(bot.app) into Services.tick_steps. Each step is idempotent for a
given instant, so repeating a tick, a restart or a second process never sends twice.
"""

import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel.context import Services
from storage import cycles, tick_reads
from storage.models import Cycle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Basics:
    """What every step needs to know whether anything is due: the active cycle, the teams' settings and the
    timezones people are in. Read once per tick (the tick runs every minute and is usually idle)."""

    cycle: Cycle | None
    teams: list  # the team table's rows (storage.tick_reads.team_settings): Team's columns, not Team objects
    zones: frozenset[str]


_this_tick: ContextVar[dict | None] = ContextVar("tick_basics", default=None)
# Facts that stay true once seen, e.g. "today's directory refresh is sent": per database (several processes
# each learn them from the ledger), so the usual tick need not read them again every minute.
_settled: WeakKeyDictionary = WeakKeyDictionary()
MAX_SETTLED = 64  # a couple of facts a day: forget them all now and then rather than keep them forever


@dataclass
class TickReport:
    at: datetime
    lines: list[str] = field(default_factory=list)


async def run_tick(svc: Services, at: datetime) -> TickReport:
    """Run every due step once for the instant `at` (UTC) and report what was done. Steps are isolated: one
    that raises is logged and reported with its reason, and the steps after it still run."""
    report = TickReport(at=at)
    token = _this_tick.set({})
    try:
        for step in svc.tick_steps:
            report.lines += await isolated(step.__name__, step(svc, at))
    finally:
        _this_tick.reset(token)
    return report


async def basics(svc: Services, *, session: AsyncSession | None = None) -> Basics:
    """The tick's Basics: read on first use within run_tick and shared by its steps; outside a tick (a step
    called on its own), read afresh. Steps that change what it holds call forget_basics(). With `session` (a
    read the caller has open), read in it: the tick's first step reads them with its own check, one read
    transaction instead of two."""
    held = _this_tick.get()
    if held is not None and "basics" in held:
        return held["basics"]
    if session is None:
        async with svc.db.read() as session:
            found = await _read_basics(session)
    else:
        found = await _read_basics(session)
    if held is not None:
        held["basics"] = found
    return found


async def _read_basics(session: AsyncSession) -> Basics:
    cycle = await cycles.active_cycle(session=session)
    return Basics(
        cycle,
        await tick_reads.team_settings(session=session),
        frozenset(await tick_reads.zones_in_use(session=session)),
    )


def settled(svc: Services, fact: tuple) -> bool:
    """Whether `fact` was remembered for this database (see remember_settled)."""
    return fact in _settled.get(svc.db, ())


def remember_settled(svc: Services, fact: tuple) -> None:
    """Remember a fact no process can make untrue again: only a final ledger state (a 'sent' row, which
    nothing updates or deletes), never one that may still change ('claimed', 'failed')."""
    facts = _settled.setdefault(svc.db, set())
    if len(facts) >= MAX_SETTLED:
        facts.clear()
    facts.add(fact)


def forget_basics() -> None:
    held = _this_tick.get()
    if held is not None:
        held.pop("basics", None)


async def isolated(what: str, work: Awaitable[list[str]]) -> list[str]:
    """Run one unit of tick work (a step, a team, a person); a failure becomes one report line, not a crash."""
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - the point: the rest of the tick still runs
        log.exception("tick: %s failed (%s)", what, type(exc).__name__)
        return [f"FAILED {what}: {type(exc).__name__}; the next tick tries again"]
