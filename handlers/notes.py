"""/okr note and /okr notes; the Add review note button and modal."""

from slack_bolt.async_app import AsyncApp

from bot.services import notes
from bot.services.kernel.errors import InvalidInput
from bot.slack.builders.notes import decode_note_context
from bot.slack.ids import DigestId
from bot.slack.render import render_view
from handlers.commands import Invocation, Subcommand, parse_mention
from handlers.inbox import after_ack, deferred


async def note_cmd(inv: Invocation) -> None:
    subject, text = parse_mention(inv.args, "Mention the person: `/okr note @person TEXT`")
    body, visibility = notes.validate_note(text, None)
    await inv.reply(await notes.add_note(inv.svc, author_id=inv.user_id, subject_id=subject, body=body))


async def notes_cmd(inv: Invocation) -> None:
    subject, cycle = parse_mention(inv.args, "Mention the person: `/okr notes @person [cycle]`")
    await inv.reply(await notes.list_notes(inv.svc, viewer_id=inv.user_id, subject_id=subject, cycle_name=cycle))


SUBCOMMANDS = [
    Subcommand("note", note_cmd, "/okr note @person TEXT", "add a private review note (their line managers, HR)"),
    Subcommand("notes", notes_cmd, "/okr notes @person [cycle]", "read review notes (their line managers, HR)"),
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


def _note_fields(view: dict) -> tuple[str, str]:
    values = view["state"]["values"]
    text = (values.get(DigestId.NOTE_BODY, {}).get(DigestId.NOTE_BODY_INPUT) or {}).get("value")
    choice = (values.get(DigestId.NOTE_VISIBILITY, {}).get(DigestId.NOTE_VISIBILITY_INPUT) or {}).get("selected_option")
    return notes.validate_note(text, (choice or {}).get("value"))


def note_errors(body: dict) -> dict[str, str] | None:
    """The note modal's field errors, from the payload alone (before anything is kept)."""
    try:
        _note_fields(body["view"])
    except InvalidInput as exc:
        return {exc.field or DigestId.NOTE_BODY: exc.message}
    return None


async def on_note_submit(ack, body: dict, view: dict, context) -> None:
    """From the inbox, once note_errors found nothing to show in the modal."""
    note, visibility = _note_fields(view)
    await notes.submit_note_modal(
        context["svc"],
        user_id=body["user"]["id"],
        modal=decode_note_context(view.get("private_metadata")),
        body=note,
        visibility=visibility,
    )


def register(app: AsyncApp) -> None:
    app.action(DigestId.ADD_NOTE)(after_ack(on_add_note))
    app.view(DigestId.NOTE_MODAL)(deferred(on_note_submit, precheck=note_errors))
