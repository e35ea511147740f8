"""Messages people send the bot in its DMs: route each to the feature whose thread it is in.

The routes are a list wired by the composition root (bot.app) into Services.routes, asked in order.

Slack retries an event delivery up to 3 times; the event id is claimed first, so a
retry never has a second side effect. (If handling then fails, the retry is dropped
too: we prefer a lost reply, which the person sees and can resend, to a doubled one.)
"""

import logging
from dataclasses import dataclass

from bot.services.kernel.context import Services
from storage.events import claim_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DmMessage:
    user_id: str
    channel: str
    text: str  # what the person typed: the inbound adapter has undone the platform's escaping
    ts: str
    thread_ts: str | None
    event_id: str | None
    edited: bool = False  # a message_changed event: `ts` is the original message's ts


async def first_delivery(svc: Services, event_id: str | None) -> bool:
    """True the first time an event id is seen; events without an id are always new."""
    if not event_id:
        return True
    async with svc.db.transaction() as session:
        return await claim_event(session=session, event_id=event_id)


async def handle_dm(svc: Services, msg: DmMessage) -> bool:
    """Deduplicate, then hand the message to the feature that owns its thread."""
    if not await first_delivery(svc, msg.event_id):
        log.info("dropped a retried event")
        return False
    for route in svc.routes:
        if await route(svc, msg):
            return True
    return False
