"""One scheduler pass at a given instant: ask what is due now, claim it in the ledger, send it.

The tick is the only scheduled job (docs/reliability.md). Its steps are a list wired by the composition root
(bot.app) into Services.tick_steps. Each step is idempotent for a
given instant, so repeating a tick, a restart or a second process never sends twice.
"""

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.kernel.context import Services

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    at: datetime
    lines: list[str] = field(default_factory=list)


async def run_tick(svc: Services, at: datetime) -> TickReport:
    """Run every due step once for the instant `at` (UTC) and report what was done. Steps are isolated: one
    that raises is logged and reported with its reason, and the steps after it still run."""
    report = TickReport(at=at)
    for step in svc.tick_steps:
        report.lines += await isolated(step.__name__, step(svc, at))
    return report


async def isolated(what: str, work: Awaitable[list[str]]) -> list[str]:
    """Run one unit of tick work (a step, a team, a person); a failure becomes one report line, not a crash."""
    try:
        return await work
    except Exception as exc:  # noqa: BLE001 - the point: the rest of the tick still runs
        log.exception("tick: %s failed (%s)", what, type(exc).__name__)
        return [f"FAILED {what}: {type(exc).__name__}; the next tick tries again"]
