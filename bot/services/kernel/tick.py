"""One scheduler pass at a given instant: ask what is due now, claim it in the ledger, send it.

The tick is the only scheduled job (GUIDE §2.8). Each step below is idempotent for a
given instant, so repeating a tick, a restart or a second process never sends twice.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.kernel.context import Services

log = logging.getLogger(__name__)

Step = Callable[[Services, datetime], Awaitable[list[str]]]


@dataclass
class TickReport:
    at: datetime
    lines: list[str] = field(default_factory=list)


def steps() -> list[Step]:
    """The tick's steps, in order. Imported lazily so each feature module stays independent."""
    from bot.services.checkins import nudges, prompts
    from bot.services.cycles import scoring
    from bot.services.digests import team as digests

    return [
        prompts.refresh_directory,
        prompts.send_prompts,
        nudges.send_nudges,
        digests.digest_step,
        scoring.score_prompt_step,
    ]


async def run_tick(svc: Services, at: datetime) -> TickReport:
    """Run every due step once for the instant `at` (UTC) and report what was done."""
    report = TickReport(at=at)
    for step in steps():
        report.lines += await step(svc, at)
    return report
