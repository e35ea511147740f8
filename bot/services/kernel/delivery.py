"""Send one claimed message, then record in the send ledger how it ended: the one copy of that pattern.

Every tick step that sends (prompts, nudges, digests, manager digests, score prompts) claims a ledger row
first (GUIDE §2.8), then delivers through here, so a failure is always recorded the same way.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages import Delivery
from bot.services.kernel.context import Services
from bot.services.kernel.ports import DeliveryFailed
from storage import ledger
from storage.models import SendLedger

ERROR_MAX = SendLedger.__table__.c.error.type.length  # the error column's size


def ledger_error(reason: str) -> str:
    """A failure reason cut to fit the ledger's error column."""
    return reason[:ERROR_MAX]


async def deliver(
    svc: Services,
    *,
    ledger_id: int,
    at: datetime,
    send: Callable[[], Awaitable[Delivery]],
    on_sent: Callable[[AsyncSession, Delivery], Awaitable[None]] | None = None,
) -> Delivery | DeliveryFailed:
    """Run `send`; mark the ledger row sent (where it landed) or failed (why). `on_sent` joins the sent commit."""
    try:
        where = await send()
    except DeliveryFailed as exc:
        async with svc.db.transaction() as session:
            await ledger.finish(
                session=session, ledger_id=ledger_id, status="failed", at=at, error=ledger_error(exc.reason)
            )
        return exc
    async with svc.db.transaction() as session:
        if on_sent is not None:
            await on_sent(session, where)
        await ledger.finish(
            session=session, ledger_id=ledger_id, status="sent", at=at, channel=where.channel, ts=where.ts
        )
    return where
