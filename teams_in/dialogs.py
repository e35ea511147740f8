"""Dialogs (task modules): `task/fetch` opens one, `task/submit` saves it; one service call each.

Opened from card buttons (bot.teams.cards.open_dialog): Open form on a prompt's KR, Edit on a confirmation and
Edit on an unsure reply's line (the check-in form: `checkins.form.prompt_form` / `edit_form` /
`confirm.edit_reply_form`, then `validate` and `submit`, as Slack's modal),
Add note and Show notes on a manager digest's per-person card (`notes.note_modal`, `add_note`, `list_notes`,
under the same permission rules as Slack: the person's line managers and HR).
The data a button or a dialog carries is only ever a request: the clicker is the activity's sender, and every
service checks that person's permission again; a field error redraws the dialog with what was typed and nothing
is written; a refusal closes it with the service's words. Nothing here logs inputs, and notes never leave the
dialog answer (or the subject's own chat, when the author shares the note).
"""

import logging

from microsoft_teams.api import TaskModuleResponse

from bot.services import notes
from bot.services.checkins import confirm, form
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, OkrError
from bot.services.kernel.ports import DeliveryFailed
from bot.teams.cards import CONFIDENCES, Dialog, DialogSubmit
from bot.teams.dialogs import FIELDS, checkin_dialog, dialog_message
from bot.teams.notes import note_dialog, notes_dialog
from teams_in.cards import request_id

log = logging.getLogger(__name__)
STALE = "This button is out of date: wait for your next prompt, or reply in the chat in plain words."
NOT_YOU = "okrbot could not tell who pressed this button."


def _int(data: dict, key: str, *, optional: bool = False) -> int | None:
    raw = data.get(key)
    if raw is None and optional:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise InvalidInput(STALE)
    return int(raw)


def _subject(data: dict) -> str:
    subject = data.get("subject")
    if not isinstance(subject, str) or not subject.startswith("teams:"):
        raise InvalidInput(STALE)
    return subject


def _typed(data: dict, names) -> dict[str, str]:
    return {name: str(data[name]) for name in names if isinstance(data.get(name), str | int | float)}


async def _form_for(svc: Services, user_id: str, data: dict):
    """The form a dialog shows: a recorded check-in to edit, or a KR to check in on (after the permission check)."""
    if data.get("pending") is not None:  # one line of an unsure reply: what okrbot understood
        index, reply_ts = _int(data, "index"), data.get("ts")
        if not isinstance(reply_ts, str):
            raise InvalidInput(STALE)
        pending = _int(data, "pending")
        return await confirm.edit_reply_form(svc, user_id=user_id, pending_id=pending, index=index, reply_ts=reply_ts)
    checkin_id = _int(data, "checkin", optional=True)
    if checkin_id is not None:
        return await form.edit_form(svc, user_id=user_id, checkin_id=checkin_id)
    # No ledger id: the confirmation goes to the clicker's own chat, never to a chat a button's data names.
    return await form.prompt_form(svc, user_id=user_id, kr_id=_int(data, "kr"), ledger_id=None)


async def _open_checkin(svc: Services, user_id: str, data: dict) -> TaskModuleResponse:
    return checkin_dialog(await _form_for(svc, user_id, {"kr": data.get("kr")}))


async def _open_edit(svc: Services, user_id: str, data: dict) -> TaskModuleResponse:
    return checkin_dialog(await _form_for(svc, user_id, {"checkin": _int(data, "checkin")}))


async def _open_edit_reply(svc: Services, user_id: str, data: dict) -> TaskModuleResponse:
    reply = {key: data.get(key) for key in ("pending", "index", "ts")}
    return checkin_dialog(await _form_for(svc, user_id, reply), reply=reply)


async def _submit_checkin(svc: Services, user_id: str, data: dict, request: str | None) -> TaskModuleResponse:
    shown = await _form_for(svc, user_id, data)  # refuses a stranger before any field is looked at
    typed = _typed(data, FIELDS)
    context = shown.context  # rebuilt by the service from ids it checked, not read from the dialog
    reply = {key: data.get(key) for key in ("pending", "index", "ts")} if data.get("pending") is not None else None
    try:
        if typed.get("confidence") not in (None, *CONFIDENCES):
            raise InvalidInput("Choose on track, at risk or off track.", field="confidence")
        sub = await form.validate(svc, user_id=user_id, context=context, values=dict(typed))
    except InvalidInput as exc:
        return checkin_dialog(shown, typed=typed, error=(exc.field or "value", exc.message), reply=reply)
    recorded = await form.submit(svc, user_id=user_id, sub=sub, request_id=request)
    line = recorded.lines[0]
    return dialog_message(f"{'Updated' if context.checkin_id else 'Saved'}: {line.kr_title}, {line.text}")


async def _open_note(svc: Services, user_id: str, data: dict) -> TaskModuleResponse:
    return note_dialog(await notes.note_modal(svc, user_id=user_id, subject_id=_subject(data)))


async def _open_notes(svc: Services, user_id: str, data: dict) -> TaskModuleResponse:
    return notes_dialog(await notes.list_notes(svc, viewer_id=user_id, subject_id=_subject(data)))


async def _submit_note(svc: Services, user_id: str, data: dict, request: str | None) -> TaskModuleResponse:
    modal = await notes.note_modal(svc, user_id=user_id, subject_id=_subject(data))  # the permission check first
    typed = _typed(data, ("body", "visibility"))
    try:
        body, visibility = notes.validate_note(typed.get("body"), typed.get("visibility"))
    except (InvalidInput, ValueError) as exc:  # ValueError: a visibility that is neither private nor shared
        message = exc.message if isinstance(exc, InvalidInput) else "Choose who can see the note."
        return note_dialog(modal, body=typed.get("body", ""), visibility=typed.get("visibility", ""), error=message)
    subject = modal.subject_id
    notice = await notes.add_note(
        svc, author_id=user_id, subject_id=subject, body=body, visibility=visibility, request_id=request
    )
    return dialog_message(notice.text)  # names the person, never repeats the note


OPEN = {
    Dialog.CHECKIN: _open_checkin,
    Dialog.EDIT: _open_edit,
    Dialog.EDIT_REPLY: _open_edit_reply,
    Dialog.NOTE: _open_note,
    Dialog.NOTES: _open_notes,
}
SUBMIT = {DialogSubmit.CHECKIN: _submit_checkin, DialogSubmit.NOTE: _submit_note}


async def _answer(table: dict, key, svc: Services, user_id: str | None, data: dict, *extra) -> TaskModuleResponse:
    run = table.get(key) if isinstance(key, str) else None
    log.info("teams dialog %s", key if run else "unknown")  # never the inputs
    if user_id is None:
        return dialog_message(NOT_YOU)
    try:
        if run is None:
            raise InvalidInput(STALE)
        return await run(svc, user_id, data, *extra)
    except OkrError as exc:  # a refusal, or a stale/tampered button: nothing was written
        return dialog_message(exc.message)
    except DeliveryFailed as exc:  # the services post after their commit: what was asked for is done
        return dialog_message(f"Done, but okrbot could not post the confirmation in this chat ({exc.reason}).")


def _data(activity) -> dict:
    data = activity.value.data if activity.value else None
    return data if isinstance(data, dict) else {}


async def open_dialog(svc: Services, user_id: str | None, activity) -> TaskModuleResponse:
    """The answer to a task/fetch: the dialog's card, or a message saying why it does not open."""
    data = _data(activity)
    return await _answer(OPEN, data.get("dialog_id"), svc, user_id, data)


async def submit_dialog(svc: Services, user_id: str | None, activity) -> TaskModuleResponse:
    """The answer to a task/submit: the dialog redrawn with its errors, or a message that closes it.

    A resent submit (same activity id) writes nothing again: "Already saved …", or the note's same confirmation."""
    data = _data(activity)
    return await _answer(SUBMIT, data.get("action"), svc, user_id, data, request_id(activity))
