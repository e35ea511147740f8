"""APScheduler runs exactly one job: the tick, every minute (README.md "Exactly once").

No cron job per person or team: 3.x job stores can't be shared between processes and
its cron trigger has open DST bugs. cadence.py decides what is due; the ledger makes it once.
"""

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.kernel.context import Services
from bot.services.kernel.tick import run_tick

log = logging.getLogger(__name__)
TICK_JOB_ID = "okrbot-tick"


async def _tick(svc: Services) -> None:
    report = await run_tick(svc, svc.now())
    for line in report.lines:
        log.info("tick: %s", line)


def build_scheduler(svc: Services, *, seconds: int = 60) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        _tick,
        "interval",
        seconds=seconds,
        args=[svc],
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow fan-out must not overlap the next tick
        coalesce=True,  # after a pause, run once, not once per missed minute
        misfire_grace_time=None,
    )
    return scheduler
