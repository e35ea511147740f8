"""One scheduler pass at a given instant: ask what is due now, claim it in the ledger, send it.

The tick is the only scheduled job (GUIDE §2.8). Its steps are a list wired by the composition root
(bot.app) into Services.tick_steps. Each step is idempotent for a
given instant, so repeating a tick, a restart or a second process never sends twice.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.kernel.context import Services

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    at: datetime
    lines: list[str] = field(default_factory=list)


async def run_tick(svc: Services, at: datetime) -> TickReport:
    """Run every due step once for the instant `at` (UTC) and report what was done."""
    report = TickReport(at=at)
    for step in svc.tick_steps:
        report.lines += await step(svc, at)
    return report
