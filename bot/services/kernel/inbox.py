"""Messages people send the bot in its DMs: route each to the feature whose thread it is in.

The routes are a list wired by the composition root (bot.app) into Services.routes, asked in order.

Slack retries an event delivery up to 3 times; the durable inbox keeps each event id once
(handlers/inbox.py), so a retry never has a second side effect. The inbox may redo a message
whose work a crash cut short: each route recognises a message it already handled by its ts.
"""

import logging
from dataclasses import dataclass

from bot.services.kernel.context import Services

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
    # Typed at the top of a DM that has threads (Slack), not in one: checkins.toplevel reads it as a check-in
    # for the person's open prompt. A platform without threads (Teams) maps every message to its newest
    # prompt itself and leaves this False.
    top_level: bool = False


async def handle_dm(svc: Services, msg: DmMessage) -> bool:
    """Hand the message to the feature that owns its thread."""
    for route in svc.routes:
        if await route(svc, msg):
            return True
    return False
