"""/okr digest, note, notes, cycle; the Add review note button and modal; the score picker."""

import re
from datetime import date

from slack_bolt.async_app import AsyncApp

from bot.services import notes
from bot.services.cycles import admin as cycles_admin
from bot.services.cycles import scoring
from bot.services.digests import team as digests
from bot.services.kernel.errors import InvalidInput
from bot.slack.ids import DigestId
from bot.slack.render import render, render_view
from handlers.commands import Invocation, Subcommand

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*(.*)$", re.S)


def parse_mention(args: str, usage: str) -> tuple[str, str]:
    """`<@U123|name> rest` (the manifest sets should_escape) -> ("U123", "rest")."""
    match = MENTION.match(args.strip())
    if match is None:
        raise InvalidInput(f"Mention the person: `{usage}`")
    return match.group(1), match.group(2).strip()


async def digest_cmd(inv: Invocation) -> None:
    await inv.reply(await digests.preview_digest(inv.svc, user_id=inv.user_id, team_name=inv.args))


async def note_cmd(inv: Invocation) -> None:
    subject, text = parse_mention(inv.args, "/okr note @person TEXT")
    body, visibility = notes.validate_note(text, None)
    await inv.reply(await notes.add_note(inv.svc, author_id=inv.user_id, subject_id=subject, body=body))


async def notes_cmd(inv: Invocation) -> None:
    subject, cycle = parse_mention(inv.args, "/okr notes @person [cycle]")
    await inv.reply(await notes.list_notes(inv.svc, viewer_id=inv.user_id, subject_id=subject, cycle_name=cycle))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date; use YYYY-MM-DD.") from None


async def cycle_cmd(inv: Invocation) -> None:
    words = inv.args.split()
    if words[:1] == ["close"] and len(words) == 1:
        await inv.reply(await cycles_admin.close_as(inv.svc, user_id=inv.user_id))
        return
    if words[:1] == ["open"] and len(words) in (4, 5) and words[4:] in ([], ["carry-over"]):
        notice = await cycles_admin.open_as(
            inv.svc,
            user_id=inv.user_id,
            name=words[1],
            start=_date(words[2]),
            end=_date(words[3]),
            carry_over=len(words) == 5,
        )
        await inv.reply(notice)
        return
    raise InvalidInput("Use `/okr cycle open NAME START END [carry-over]` or `/okr cycle close`.")


SUBCOMMANDS = [
    Subcommand("digest", digest_cmd, "/okr digest [team]", "preview this period's team digest, just for you"),
    Subcommand("note", note_cmd, "/okr note @person TEXT", "add a private review note (their managers)"),
    Subcommand("notes", notes_cmd, "/okr notes @person [cycle]", "read review notes (their managers, admins)"),
    Subcommand("cycle", cycle_cmd, "/okr cycle open NAME START END [carry-over]", "open or close a cycle (admins)"),
]


async def on_add_note(ack, body: dict, context, client) -> None:
    await ack()
    action = body["actions"][0]
    modal = await notes.note_modal(
        context["svc"],
        user_id=body["user"]["id"],
        subject_id=action.get("value", ""),
        channel=(body.get("channel") or {}).get("id", ""),
        thread_ts=(body.get("container") or {}).get("message_ts") or "",
    )
    await client.views_open(trigger_id=body["trigger_id"], view=render_view(modal).to_dict())


async def on_note_submit(ack, body: dict, view: dict, context) -> None:
    values = view["state"]["values"]
    text = (values.get(DigestId.NOTE_BODY, {}).get(DigestId.NOTE_BODY_INPUT) or {}).get("value")
    choice = (values.get(DigestId.NOTE_VISIBILITY, {}).get(DigestId.NOTE_VISIBILITY_INPUT) or {}).get("selected_option")
    try:
        note, visibility = notes.validate_note(text, (choice or {}).get("value"))
    except InvalidInput as exc:
        await ack(response_action="errors", errors={exc.field or DigestId.NOTE_BODY: exc.message})
        return
    await ack()
    await notes.submit_note_modal(
        context["svc"],
        user_id=body["user"]["id"],
        context=view.get("private_metadata", ""),
        body=note,
        visibility=visibility,
    )


async def on_score(ack, body: dict, context, respond) -> None:
    await ack()
    kr_id, _, score = body["actions"][0]["selected_option"]["value"].partition(":")
    notice = await scoring.record_score(
        context["svc"], user_id=body["user"]["id"], kr_id=int(kr_id), score=float(score)
    )
    r = render(notice)
    await respond(text=r.text, blocks=r.blocks_json(), response_type="ephemeral", replace_original=False)


def register(app: AsyncApp) -> None:
    app.action(DigestId.ADD_NOTE)(on_add_note)
    app.view(DigestId.NOTE_MODAL)(on_note_submit)
    app.action(DigestId.SCORE_PICK)(on_score)
