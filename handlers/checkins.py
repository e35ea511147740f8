"""Check-in listeners: prompt buttons, the check-in modal, and /okr checkin | away | back | next."""

import json
import re
from datetime import date

from slack_bolt.async_app import AsyncApp

from bot.okr.messages import Delivery
from bot.services.checkins import away, confirm, nudges
from bot.services.checkins import form as checkins
from bot.services.checkins import replies as checkin_replies
from bot.services.kernel.errors import InvalidInput
from bot.slack.builders.checkins import decode_context
from bot.slack.ids import Action, Block, Callback, parse_kr_button_value
from bot.slack.render import render, render_view
from handlers.commands import Invocation, Subcommand, parse_mention
from handlers.inbox import after_ack, deferred


def _where(body: dict) -> Delivery | None:
    """The thread to answer in: the clicked message's thread, or the message itself."""
    message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id")
    if not channel or not message:
        return None
    return Delivery(channel, message.get("thread_ts") or message["ts"])


async def on_update(ack, body, action, context, client) -> None:
    await ack()
    kr_id, ledger_id = parse_kr_button_value(action["value"])
    form = await checkins.prompt_form(context["svc"], user_id=body["user"]["id"], kr_id=kr_id, ledger_id=ledger_id)
    await client.views_open(trigger_id=body["trigger_id"], view=render_view(form))


async def on_no_change(ack, body, action, context) -> None:
    await ack()
    kr_id, _ = parse_kr_button_value(action["value"])
    await checkins.no_change(context["svc"], user_id=body["user"]["id"], kr_id=kr_id, where=_where(body))


async def on_edit(ack, body, action, context, client) -> None:
    await ack()
    form = await checkins.edit_form(context["svc"], user_id=body["user"]["id"], checkin_id=int(action["value"]))
    await client.views_open(trigger_id=body["trigger_id"], view=render_view(form))


async def on_undo(ack, body, action, context) -> None:
    await ack()
    await checkins.undo_checkin(
        context["svc"], user_id=body["user"]["id"], checkin_id=int(action["value"]), where=_where(body)
    )


async def on_snooze(ack, body, action, context, respond) -> None:
    await ack()
    notice = await nudges.snooze(context["svc"], user_id=body["user"]["id"], prompt_id=int(action["value"]))
    r = render(notice)
    await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral", replace_original=False)


async def on_use_as_comment(ack, body, action, context) -> None:
    await ack()
    raw = (action.get("selected_option") or {}).get("value") or action["value"]
    pending_id, kr_id = (int(x) for x in raw.split(":"))
    await checkin_replies.use_as_comment(
        context["svc"], user_id=body["user"]["id"], pending_id=pending_id, kr_id=kr_id, thread=_where(body)
    )


async def on_confirm_reply(ack, body, action, context) -> None:
    await ack()
    value = json.loads(action["value"])
    await confirm.confirm_reply(
        context["svc"],
        user_id=body["user"]["id"],
        pending_id=int(value["p"]),
        check=str(value["c"]),
        reply_ts=str(value["ts"]),
        thread=_where(body),
    )


async def on_edit_reply(ack, body, action, context, client) -> None:
    await ack()
    value = json.loads(action["value"])
    form = await confirm.edit_reply_form(
        context["svc"],
        user_id=body["user"]["id"],
        pending_id=int(value["p"]),
        index=int(value["i"]),
        reply_ts=str(value["ts"]) if value.get("ts") else None,  # older buttons carry no ts
    )
    await client.views_open(trigger_id=body["trigger_id"], view=render_view(form))


def _values(view: dict) -> dict[str, str | None]:
    """Flatten the modal's state to {block id: text or selected value}."""
    out: dict[str, str | None] = {}
    for block_id, actions in view["state"]["values"].items():
        for element in actions.values():
            selected = element.get("selected_option")
            out[block_id] = selected["value"] if selected else element.get("value")
    return out


def submit_errors(body: dict) -> dict[str, str] | None:
    """Field errors found from the submitted modal alone, shown in place before anything is kept."""
    try:
        checkins.precheck(context=decode_context(body["view"].get("private_metadata")), values=_values(body["view"]))
    except InvalidInput as exc:
        return {exc.field or Block.VALUE: exc.message}
    return None


async def on_submit(ack, body, view, context) -> None:
    """From the inbox: the modal has closed; what only the database can refuse is said in the DM."""
    svc, user_id = context["svc"], body["user"]["id"]
    form_context = decode_context(view.get("private_metadata"))
    sub = await checkins.validate(svc, user_id=user_id, context=form_context, values=_values(view))
    await checkins.submit(svc, user_id=user_id, sub=sub)


async def _checkin(inv: Invocation) -> None:
    form = await checkins.command_form(inv.svc, user_id=inv.user_id, args=inv.args)
    await inv.client.views_open(trigger_id=inv.trigger_id, view=render_view(form))


def parse_away(args: str) -> tuple[date, str | None]:
    """`until YYYY-MM-DD [delegate @person]` -> the date and the delegate's id; InvalidInput says what is wrong."""
    until, written = away.read_away(args, delegate=r"<@[^>]*>")
    if written is None:
        return until, None
    delegate, _ = parse_mention(written, f"I couldn't read that. {away.USAGE}")
    return until, delegate


async def _away(inv: Invocation) -> None:
    until, delegate = parse_away(inv.args)
    await inv.reply(await away.go_away(inv.svc, user_id=inv.user_id, until=until, delegate=delegate))


async def _back(inv: Invocation) -> None:
    await inv.reply(await away.come_back(inv.svc, user_id=inv.user_id))


async def _next(inv: Invocation) -> None:
    await inv.reply(await away.next_prompt(inv.svc, user_id=inv.user_id))


SUBCOMMANDS = [
    Subcommand(
        "checkin",
        _checkin,
        "/okr checkin [N | title]",
        "check in on one of your key results",
        ("ci",),
        opens_modal=True,
    ),
    Subcommand(
        "away", _away, "/okr away until YYYY-MM-DD [delegate @person]", "pause your prompts (or hand them over)"
    ),
    Subcommand("back", _back, "/okr back", "resume your prompts after /okr away"),
    Subcommand("next", _next, "/okr next", "when you will next be asked, and about which KRs"),
]


def register(app: AsyncApp) -> None:
    # The modal openers: acked at once, opened straight after (a trigger_id expires 3 s after the click).
    app.action(Action.UPDATE_KR)(after_ack(on_update))
    app.action(Action.NO_CHANGE)(deferred(on_no_change))
    app.action(Action.EDIT_CHECKIN)(after_ack(on_edit))
    app.action(Action.UNDO_CHECKIN)(deferred(on_undo))
    app.action(Action.SNOOZE)(deferred(on_snooze))
    app.action(Action.USE_AS_COMMENT)(deferred(on_use_as_comment))
    app.action(Action.CONFIRM_REPLY)(deferred(on_confirm_reply))
    app.action(re.compile(rf"^{re.escape(Action.EDIT_REPLY)}\.\d+$"))(after_ack(on_edit_reply))  # one per unsure line
    app.view(Callback.CHECKIN_MODAL)(deferred(on_submit, precheck=submit_errors))
