"""APScheduler runs exactly one job: the tick, every minute (README.md "Exactly once").

No cron job per person or team: 3.x job stores can't be shared between processes and
its cron trigger has open DST bugs. cadence.py decides what is due; the ledger makes it once.
"""

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.kernel.context import Services
from bot.services.kernel.tick import TickReport, run_tick
from storage.locks import Leader

log = logging.getLogger(__name__)
TICK_JOB_ID = "okrbot-tick"


async def scheduled_tick(svc: Services, leader: Leader | None = None) -> TickReport | None:
    """One tick, if this process leads (PostgreSQL: holds the advisory lock); None when another one does.

    A follower asks again on every tick, so it takes over within a minute of the leader stopping.
    The ledger, not the lock, is what makes each send happen once: the lock only saves the doubled work.
    """
    if leader is not None and not await leader.lead():
        log.debug("tick: another scheduler leads; idle")
        return None
    report = await run_tick(svc, svc.now())
    for line in report.lines:
        log.info("tick: %s", line)
    return report


def build_scheduler(svc: Services, *, seconds: int = 60, leader: Leader | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        scheduled_tick,
        "interval",
        seconds=seconds,
        args=[svc, leader],
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,  # a slow fan-out must not overlap the next tick
        coalesce=True,  # after a pause, run once, not once per missed minute
        misfire_grace_time=None,
    )
    return scheduler
