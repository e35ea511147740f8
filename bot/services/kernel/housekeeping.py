"""The daily housekeeping tick step: forget what is no longer needed, once a day across every process.

Claimed through the send ledger (recipient "housekeeping", kind "prune", period = the UTC date) in the
same transaction as the deletes, so of several processes ticking at once exactly one prunes each day,
and a crash mid-prune leaves no claim behind: the next tick simply prunes. The audit log is never pruned.
"""

from datetime import datetime, timedelta

from bot.okr.types import SendKind
from bot.services.kernel.context import Services
from bot.services.kernel.tick import remember_settled, settled
from storage import inbox, ledger, schedule

RECIPIENT, KIND = "housekeeping", "prune"
# Slack redelivers an event for at most ~5 minutes and a worker's lease is minutes: after a day a finished
# inbox row's key protects nothing, and its payload (which may hold note text) should not linger.
INBOX_KEEP = timedelta(days=1)
# A reply kept for "Use as comment" belongs to one prompt; the longest cadence is biweekly.
PENDING_REPLY_KEEP = timedelta(days=30)
# A "how to check in" answer's row only stops a burst of top-level DMs from getting an answer each, per UTC hour.
HELP_KEEP = timedelta(days=2)


async def prune_step(svc: Services, at: datetime) -> list[str]:
    """Once per UTC day: drop finished inbox rows older than a day, kept replies older than 30 days and the
    ledger rows of "how to check in" answers older than two days."""
    today = (RECIPIENT, KIND, at.date().isoformat())
    if settled(svc, today):  # the usual tick: today's prune was seen done (its row is written 'sent', for good)
        return []
    async with svc.db.read() as session:
        if await ledger.get_entry(session=session, recipient=RECIPIENT, kind=KIND, period=at.date().isoformat()):
            remember_settled(svc, today)
            return []
    async with svc.db.transaction() as session:
        row = await ledger.claim(
            session=session, recipient=RECIPIENT, kind=KIND, period=at.date().isoformat(), at=at, status="sent"
        )
        if row is None:
            return []
        # `at`, not the wall clock: `okrbot tick --at` and the tests travel in time.
        items = await inbox.forget_finished_before(session=session, before=at - INBOX_KEEP)
        replies = await schedule.forget_pending_replies_before(session=session, before=at - PENDING_REPLY_KEEP)
        helps = await ledger.forget_before(session=session, kind=SendKind.DM_HELP, before=at - HELP_KEEP)
        await ledger.finish(session=session, ledger_id=row.id, status="sent", at=at)
    remember_settled(svc, today)
    return [f"housekeeping: pruned {items} finished inbox items, {replies} kept replies and {helps} help answers"]
