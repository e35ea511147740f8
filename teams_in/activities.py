"""Teams activities: remember where each person is; route commands, card buttons and 1:1 chat text.

`okr …` text (1:1, or after an @mention in a channel) goes to teams_in.commands; card buttons
(adaptiveCard/action invokes) to teams_in.cards; dialogs (task/fetch, task/submit) to teams_in.dialogs; any
other 1:1 text to the same DM routes as Slack.
Installing the app (1:1 or in a team) and a team's membership changes read the roster (teams_in.roster).

The SDK has checked the activity's JWT (unless TEAMS_ALLOW_UNAUTHENTICATED) before any handler here runs.
Messages go through the durable inbox (teams_in.inbox): kept before the 200, handled by a worker after. Card
invokes are answered in the HTTP response, and installs are stored there (one small write).
Only personal (1:1) conversations are stored as a person's address: a channel is not where prompts go.
"""

import logging

from microsoft_teams.api import (
    AdaptiveCardInvokeActivity,
    ConversationUpdateActivity,
    InstalledActivity,
    MessageActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
)
from microsoft_teams.api.activities.utils.strip_mentions_text import StripMentionsTextOptions
from microsoft_teams.apps import ActivityContext, App

from bot.services import addresses
from bot.services import roster as svc_roster
from bot.services.kernel.context import Services
from bot.services.kernel.errors import OkrError
from bot.services.kernel.inbox import handle_dm
from bot.teams.cards import render, said
from teams_in import cards, commands, dialogs, inbox, mentions, note_replies, roster

log = logging.getLogger(__name__)
NOT_A_REPLY = (
    "I record check-ins written here in plain words (e.g. 42, at risk, waiting on legal) once your weekly "
    "prompt has arrived. Write okr help for the commands."
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


def channel_of(activity) -> addresses.TeamsChannelSeen | None:
    """The team's channel conversations of a team-scope activity (channelData.team), with its service URL."""
    data = activity.channel_data
    team_id = getattr(getattr(data, "team", None), "id", None)
    if not team_id or not activity.service_url:
        return None
    ids = [team_id, getattr(getattr(data, "channel", None), "id", None)]
    if activity.conversation.conversation_type == "channel":  # "19:…@thread.tacv2;messageid=…" in a thread
        ids.append(activity.conversation.id.split(";")[0])
    tenant = activity.conversation.tenant_id or _tenant(data)
    unique = tuple(dict.fromkeys(i for i in ids if i))
    return addresses.TeamsChannelSeen(unique, team_id, tenant or "", activity.service_url)


def _tenant(channel_data) -> str:
    tenant = getattr(channel_data, "tenant", None)
    return getattr(tenant, "id", "") or ""


async def _remember(svc: Services, activity) -> addresses.TeamsAddress | None:
    seen = channel_of(activity)
    if seen is not None:
        await addresses.remember_channel(svc, seen)
    contact = contact_of(activity)
    return await addresses.remember(svc, contact) if contact else None


async def on_message(svc: Services, ctx: ActivityContext[MessageActivity], keep: inbox.Keep | None = None) -> None:
    if keep is not None and not inbox.REPLAYING.get():
        log.info("teams message %s kept", ctx.activity.id)  # ids only: never the text
        await inbox.keep(keep, ctx.activity)
        return
    log.info("teams message %s", ctx.activity.id)
    address = await _remember(svc, ctx.activity)
    if address is None:
        await _in_channel(svc, ctx)
        return
    text = (ctx.activity.text or "").strip()
    quote = note_replies.quoted_reply(ctx.activity)  # a reply to one message: a review note when it quotes a card
    if quote is not None:
        if await note_replies.as_note(svc, address, quote, activity_id=ctx.activity.id):
            return
        text = quote.text  # any other quoted message: read what they wrote, as today
    if not text:
        return  # e.g. a legacy Action.Submit: okrbot's cards use Action.Execute
    if commands.split(text) is not None:  # people's @mentions become markers only in commands, never in check-ins
        command = commands.split(mentions.with_markers(text, ctx.activity.entities, bot_id=ctx.activity.recipient.id))
        contact = contact_of(ctx.activity)
        await _answer_command(svc, ctx, address.person_id, command, reported_tz=contact.tz if contact else None)
        return
    msg = await addresses.chat_message(svc, address, text=text, activity_id=ctx.activity.id)
    try:
        handled = await handle_dm(svc, msg)
    except OkrError as exc:  # written for the person, as Slack's error handler shows it
        await ctx.send(said(exc.message))
        return
    if not handled:
        await ctx.send(said(NOT_A_REPLY))


async def _in_channel(svc: Services, ctx: ActivityContext[MessageActivity]) -> None:
    """A channel message reaches okrbot when it is @mentioned: only commands are answered there."""
    activity = ctx.activity
    aad = getattr(activity.from_, "aad_object_id", None)
    if not aad or not activity.is_recipient_mentioned():
        return
    activity.strip_mentions_text(StripMentionsTextOptions(account_id=activity.recipient.id))
    text = mentions.with_markers(activity.text or "", activity.entities, bot_id=activity.recipient.id)
    command = commands.split(text, prefix_optional=True) or ("help", "")
    if command[0] in commands.PERSONAL:  # your own settings and dashboard are not for the whole channel
        await ctx.send(said(commands.ONLY_IN_CHAT.format(word=command[0])))
        return
    await _answer_command(svc, ctx, addresses.teams_person_id(aad), command)


async def _answer_command(
    svc: Services, ctx, user_id: str, command: tuple[str, str], *, reported_tz: str | None = None
) -> None:
    word, args = command
    log.info("teams command %s", word if word in commands.RUNS or word in commands.TABLE else "unknown")  # no args
    try:
        message = await commands.run(svc, user_id=user_id, word=word, args=args, reported_tz=reported_tz)
    except OkrError as exc:
        await ctx.send(said(exc.message))
        return
    await ctx.send(render(message))


async def on_card_action(svc: Services, ctx: ActivityContext[AdaptiveCardInvokeActivity]):
    await _remember(svc, ctx.activity)
    aad = getattr(ctx.activity.from_, "aad_object_id", None)
    if not aad:
        return cards.refused()
    return await cards.on_card_action(svc, addresses.teams_person_id(aad), ctx.activity)


async def on_dialog(svc: Services, ctx, answer):
    """A dialog's task/fetch or task/submit (teams_in.dialogs), from the activity's sender."""
    await _remember(svc, ctx.activity)
    aad = getattr(ctx.activity.from_, "aad_object_id", None)
    return await answer(svc, addresses.teams_person_id(aad) if aad else None, ctx.activity)


def _team_id(activity) -> str | None:
    team = getattr(activity.channel_data, "team", None) if activity.channel_data else None
    return getattr(team, "id", None) or None


async def _read_roster(svc: Services, ctx, *, personal: bool) -> None:
    """In a team (conversationUpdate: okrbot was added, members came or went), the team's roster. When
    `personal` (an install in the 1:1 chat), that chat's roster, which is the person with their email: read only
    while the OKR file names someone by email whom okrbot has not mapped yet. A team install also sends an
    installationUpdate; it is left to the conversationUpdate, so the roster is read once."""
    activity = ctx.activity
    team = _team_id(activity)
    if personal:
        own = not team and contact_of(activity) is not None and await svc_roster.emails_waiting(svc)
        conversation = activity.conversation.id if own else None
    else:
        conversation = team
    if conversation:
        tenant = activity.conversation.tenant_id or _tenant(activity.channel_data)
        await roster.read(svc, ctx.api, conversation, tenant_id=tenant or "", service_url=activity.service_url)


def register(app: App, svc: Services, *, keep: inbox.Keep | None = None) -> None:
    """Bind the handlers to `svc` (the SDK checks each handler's ActivityContext type hint); `keep` puts
    messages in the durable inbox (without it they are handled inside the request)."""

    @app.on_install_add
    async def installed(ctx: ActivityContext[InstalledActivity]) -> None:
        log.info("teams installationUpdate add")
        await _remember(svc, ctx.activity)
        await _read_roster(svc, ctx, personal=True)

    @app.on_conversation_update
    async def conversation_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        log.info("teams conversationUpdate")
        await _remember(svc, ctx.activity)
        await _read_roster(svc, ctx, personal=False)  # in a team: members came or went

    @app.on_message
    async def message(ctx: ActivityContext[MessageActivity]) -> None:
        await on_message(svc, ctx, keep)

    @app.on_card_action
    async def card_action(ctx: ActivityContext[AdaptiveCardInvokeActivity]):
        return await on_card_action(svc, ctx)

    @app.on_dialog_open
    async def dialog_open(ctx: ActivityContext[TaskFetchInvokeActivity]):
        return await on_dialog(svc, ctx, dialogs.open_dialog)

    @app.on_dialog_submit
    async def dialog_submit(ctx: ActivityContext[TaskSubmitInvokeActivity]):
        return await on_dialog(svc, ctx, dialogs.submit_dialog)
