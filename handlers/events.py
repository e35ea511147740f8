"""Events API listeners: DM messages (thread replies and top-level messages) and message edits.

The inbound adapter for DMs: Slack's mrkdwn escaping is undone here, once, so services see plain text.
"""

from slack_bolt.async_app import AsyncApp

from bot.services.kernel.inbox import DmMessage, handle_dm
from bot.slack.mrkdwn import unescape
from handlers.inbox import deferred

# Subtypes we act on deliberately; everything else (joins, bot messages, deletions,
# file shares without text...) is ignored. Bolt already drops the bot's own messages.
_EDITED = "message_changed"


def _dm_message(message: dict, channel: str, event_id: str | None, *, edited: bool) -> DmMessage:
    # A thread's parent carries thread_ts == ts (Slack adds it once the message has replies): still top level.
    thread_ts = message.get("thread_ts")
    thread_ts = None if thread_ts == message["ts"] else thread_ts
    return DmMessage(
        user_id=message["user"],
        channel=channel,
        text=unescape(message.get("text")),
        ts=message["ts"],
        thread_ts=thread_ts,
        event_id=event_id,
        edited=edited,
        top_level=thread_ts is None,
    )


async def on_dm_message(event: dict, body: dict, context) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    subtype = event.get("subtype")
    if subtype == _EDITED:
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        if new.get("bot_id") or not new.get("user") or not new.get("ts"):
            return
        if "text" in old and old.get("text") == new.get("text"):
            return  # Slack also sends message_changed when a link unfurls: the words did not change
        msg = _dm_message(new, event["channel"], body.get("event_id"), edited=True)
    elif subtype is None and event.get("user"):
        msg = _dm_message(event, event["channel"], body.get("event_id"), edited=False)
    else:
        return
    await handle_dm(context["svc"], msg)


def register(app: AsyncApp) -> None:
    app.event("message")(deferred(on_dm_message))
