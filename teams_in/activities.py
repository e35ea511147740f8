"""Teams activities: remember where each person is, and hand 1:1 chat text to the same DM routes as Slack.

The SDK has checked the activity's JWT (unless TEAMS_ALLOW_UNAUTHENTICATED) before any handler here runs.
Handlers run inside the HTTP request (the SDK answers when they return); a plain-words check-in is small.
Only personal (1:1) conversations are stored as a person's address: a channel is not where prompts go.
"""

import logging

from microsoft_teams.api import ConversationUpdateActivity, InstalledActivity, MessageActivity
from microsoft_teams.apps import ActivityContext, App

from bot.services import addresses
from bot.services.kernel.context import Services
from bot.services.kernel.errors import OkrError
from bot.services.kernel.inbox import handle_dm

log = logging.getLogger(__name__)
NOT_A_REPLY = (
    "I record check-ins written here in plain words (e.g. 42, at risk, waiting on legal) once your weekly "
    "prompt has arrived. Other commands are not available on Teams yet."
)


def contact_of(activity) -> addresses.TeamsContact | None:
    """The sender and their 1:1 conversation reference; None for a channel, or a sender without an AAD id."""
    conversation, sender = activity.conversation, activity.from_
    if conversation.conversation_type not in (None, "personal") or not getattr(sender, "aad_object_id", None):
        return None
    tenant = conversation.tenant_id or ((activity.channel_data or {}) and _tenant(activity.channel_data))
    extra = activity.model_extra or {}
    return addresses.TeamsContact(
        aad_object_id=sender.aad_object_id,
        user_id=sender.id,
        tenant_id=tenant or "",
        conversation_id=conversation.id,
        service_url=activity.service_url,
        name=sender.name or "",
        tz=extra.get("localTimezone"),
    )


def _tenant(channel_data) -> str:
    tenant = getattr(channel_data, "tenant", None)
    return getattr(tenant, "id", "") or ""


def register(app: App, svc: Services) -> None:
    async def remember(activity) -> addresses.TeamsAddress | None:
        contact = contact_of(activity)
        return await addresses.remember(svc, contact) if contact else None

    @app.on_install_add
    async def on_install(ctx: ActivityContext[InstalledActivity]) -> None:
        log.info("teams installationUpdate add")
        await remember(ctx.activity)

    @app.on_conversation_update
    async def on_conversation_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        log.info("teams conversationUpdate")
        await remember(ctx.activity)

    @app.on_message
    async def on_message(ctx: ActivityContext[MessageActivity]) -> None:
        log.info("teams message %s", ctx.activity.id)  # ids only: never the text
        address = await remember(ctx.activity)
        text = (ctx.activity.text or "").strip()
        if address is None or not text:
            return
        msg = await addresses.chat_message(svc, address, text=text, activity_id=ctx.activity.id)
        try:
            handled = await handle_dm(svc, msg)
        except OkrError as exc:  # written for the person, as Slack's error handler shows it
            await ctx.send(exc.message)
            return
        if not handled:
            await ctx.send(NOT_A_REPLY)
