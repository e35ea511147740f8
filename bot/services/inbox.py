"""Messages people send the bot in its DMs: route each to the feature whose thread it is in.

Slack retries an event delivery up to 3 times; the durable inbox keeps each event id once
(handlers/inbox.py), so a retry never has a second side effect. The inbox may redo a message
whose work a crash cut short: each route recognises a message it already handled by its ts.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.context import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DmMessage:
    user_id: str
    channel: str
    text: str  # as Slack sent it (mrkdwn-escaped); features unescape what they store
    ts: str
    thread_ts: str | None
    event_id: str | None
    edited: bool = False  # a message_changed event: `ts` is the original message's ts


# A route returns True when the message was in one of its threads and it handled it.
Route = Callable[[Services, DmMessage], Awaitable[bool]]


def routes() -> list[Route]:
    """Thread owners, asked in order. Imported lazily to keep features independent."""
    from bot.services import checkin_replies, review_notes

    return [checkin_replies.on_thread_reply, review_notes.note_route]


async def handle_dm(svc: Services, msg: DmMessage) -> bool:
    """Hand the message to the feature that owns its thread."""
    for route in routes():
        if await route(svc, msg):
            return True
    return False
