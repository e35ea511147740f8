"""Events API listeners: DM messages (thread replies) and message edits.

The inbound adapter for DMs: Slack's mrkdwn escaping is undone here, once, so services see plain text.
"""

from slack_bolt.async_app import AsyncApp

from bot.services.kernel.inbox import DmMessage, handle_dm
from bot.slack.mrkdwn import unescape
from handlers.inbox import deferred

# Subtypes we act on deliberately; everything else (joins, bot messages, deletions,
# file shares without text...) is ignored. Bolt already drops the bot's own messages.
_EDITED = "message_changed"


async def on_dm_message(event: dict, body: dict, context) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    subtype = event.get("subtype")
    if subtype == _EDITED:
        new = event.get("message") or {}
        if new.get("bot_id") or not new.get("user"):
            return
        msg = DmMessage(
            user_id=new["user"],
            channel=event["channel"],
            text=unescape(new.get("text")),
            ts=new["ts"],
            thread_ts=new.get("thread_ts"),
            event_id=body.get("event_id"),
            edited=True,
        )
    elif subtype is None:
        msg = DmMessage(
            user_id=event["user"],
            channel=event["channel"],
            text=unescape(event.get("text")),
            ts=event["ts"],
            thread_ts=event.get("thread_ts"),
            event_id=body.get("event_id"),
        )
    else:
        return
    await handle_dm(context["svc"], msg)


def register(app: AsyncApp) -> None:
    app.event("message")(deferred(on_dm_message))
