"""Send one claimed message, then record in the send ledger how it ended: the one copy of that pattern.

Every tick step that sends (prompts, nudges, digests, manager digests, score prompts) claims a ledger row
first (docs/reliability.md), then delivers through here, so a failure is always recorded the same way:
- sent: where it landed (channel, ts), so thread replies to it find it;
- unknown: the call timed out or its answer was unreadable, so it may be in Slack; kernel.reconcile looks
  for it in the recipient's history (by the ledger id the message carries) instead of resending;
- due: Slack asked us to wait longer than we block for; the row goes back to 'failed' with that reason and
  a later tick sends it;
- failed: why, cut to the column once; a later tick retries it.
Nothing raised by the send escapes: one bad send never stops the tick.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages import Delivery
from bot.services.kernel.context import Services
from bot.services.kernel.ports import DeliveryFailed
from storage import ledger
from storage.models import SendLedger

log = logging.getLogger(__name__)
ERROR_MAX = SendLedger.__table__.c.error.type.length  # the error column's size


def ledger_error(reason: str) -> str:
    """A failure reason cut to fit the ledger's error column."""
    return reason[:ERROR_MAX]


def status_of(exc: DeliveryFailed) -> str:
    """The ledger status a failed send leaves: 'unknown' (reconcile it), 'skipped' (the recipient is gone:
    never retried) or 'failed' (a later tick retries)."""
    return "unknown" if exc.unknown else "skipped" if exc.gone else "failed"


def as_failure(exc: BaseException) -> DeliveryFailed:
    """Any exception out of a send, as the one error type (a bug in a renderer must not strand the row)."""
    if isinstance(exc, DeliveryFailed):
        return exc
    log.exception("a send raised %s", type(exc).__name__)
    return DeliveryFailed(f"unexpected {type(exc).__name__}")


async def deliver(
    svc: Services,
    *,
    ledger_id: int,
    at: datetime,
    send: Callable[[], Awaitable[Delivery]],
    on_sent: Callable[[AsyncSession, Delivery], Awaitable[None]] | None = None,
) -> Delivery | DeliveryFailed:
    """Run `send`; mark the ledger row sent (where it landed), unknown or failed (why). `on_sent` joins the
    sent commit. Returns the failure instead of raising it."""
    try:
        where = await send()
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none escapes
        failure = as_failure(exc)
        await _record_failure(svc, ledger_id, at, failure)
        return failure
    try:
        async with svc.db.transaction() as session:
            if on_sent is not None:
                await on_sent(session, where)
            await ledger.finish(
                session=session, ledger_id=ledger_id, status="sent", at=at, channel=where.channel, ts=where.ts
            )
    except Exception as exc:  # noqa: BLE001 - Slack has it; reconcile finds it by its metadata
        log.exception("could not record a sent message (%s)", type(exc).__name__)
        return DeliveryFailed(f"sent, not recorded ({type(exc).__name__})", unknown=True)
    return where


async def _record_failure(svc: Services, ledger_id: int, at: datetime, failure: DeliveryFailed) -> None:
    try:
        async with svc.db.transaction() as session:
            await ledger.finish(
                session=session,
                ledger_id=ledger_id,
                status=status_of(failure),
                at=at,
                error=ledger_error(failure.reason),
            )
    except Exception as exc:  # noqa: BLE001 - the row stays 'claimed'; reconcile picks it up
        log.exception("could not record a failed send (%s)", type(exc).__name__)
