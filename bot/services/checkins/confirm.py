"""Confirm / Edit for a thread reply the parser was not sure of (see bot.okr.replies, "Unsure readings").

checkin_replies asked instead of recording, keeping the reply (PendingReply). Confirm records exactly the
reading that was shown: the kept text is read again and must give the same fingerprint, so a KR changed in
between (say a relative "up 5" against a new current value) is not recorded silently. Edit opens the check-in
form prefilled with one line's reading; what the form submits is recorded like any other form, but tied to
the reply's message, so a later Confirm records only the lines not edited (and, with none left, says so).
"""

from bot.okr.messages import Delivery
from bot.okr.messages.checkins import CheckInForm, CheckInRecorded, FormContext
from bot.okr.progress import format_value
from bot.okr.replies import CheckInDraft, ParseError, parse_reply
from bot.okr.types import CheckInSource, KRKind
from bot.services.checkins import core
from bot.services.checkins.effects import after_checkins
from bot.services.checkins.form import _form as prefilled_form
from bot.services.checkins.replies import _prompt_krs, _refs, reading_check, record_drafts
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.request_claims import once
from storage import checkins, ledger, schedule
from storage.models import KeyResult, PendingReply

GONE = "That reply was already recorded (or used as a comment)."
CHANGED = "Your key results changed since I read that reply, so I recorded nothing: reply again, or use Edit."


async def _reading(session, user_id: str, pending_id: int) -> tuple[PendingReply, list[KeyResult], list]:
    pending = await schedule.get_pending_reply(session=session, reply_id=pending_id)
    if pending is None or pending.person_id != user_id:
        raise NotFound(GONE)
    entry = await ledger.get_by_id(session=session, ledger_id=pending.ledger_id) if pending.ledger_id else None
    if entry is None:
        raise NotFound(GONE)
    krs = await _prompt_krs(session, entry)
    try:
        drafts = parse_reply(pending.text, _refs(krs), allow_unsure=True)
    except ParseError:
        raise InvalidInput(CHANGED) from None
    return pending, krs, drafts


async def confirm_reply(
    svc: Services,
    *,
    user_id: str,
    pending_id: int,
    check: str,
    reply_ts: str,
    thread: Delivery,
    request_id: str | None = None,
) -> CheckInRecorded:
    """Record the reading the person confirmed, once: the kept reply is deleted in the same transaction.
    Lines already recorded from this reply (through Edit and the form) are not recorded again; a resent
    request (`request_id`) is answered as done."""
    async with svc.db.transaction() as session:
        await once(session, svc, request_id, user_id=user_id, done="Already recorded: okrbot kept it the first time.")
        pending, krs, drafts = await _reading(session, user_id, pending_id)
        done = await checkins.checkins_from_message(session=session, channel=thread.channel, ts=reply_ts)
        done_krs = {row.kr_id for row in done}
        todo = [d for d in drafts if krs[d.index - 1].id not in done_krs]
        if todo and await _changed(session, pending, krs, drafts, todo, check, edited=bool(done_krs)):
            raise InvalidInput(CHANGED)
        lines = await record_drafts(session, svc, user_id, krs, todo, message=(thread.channel, reply_ts))
        await schedule.delete_pending_reply(session=session, reply=pending)
        await after_checkins(session, svc, user_id=user_id, kr_ids=[line.kr_id for line in lines])
    if not lines:  # every line went through Edit: the kept reply is used up, nothing more to record
        raise NotFound(GONE)
    message = CheckInRecorded(tuple(lines))
    await svc.notifier.post(thread.channel, message, thread_ts=thread.ts)
    return message


async def _changed(session, pending: PendingReply, krs, drafts, todo, check: str, *, edited: bool) -> bool:
    """Whether the KRs changed since the reply was read. After an Edit, the edited KR changed on purpose, so
    the fingerprint no longer applies: then the lines left must have had no check-in since the reply came."""
    if not edited:
        return reading_check(krs, drafts) != check
    left = [krs[d.index - 1].id for d in todo]
    return bool(await checkins.checked_in_since(session=session, kr_ids=left, since=pending.created_at))


async def edit_reply_form(
    svc: Services, *, user_id: str, pending_id: int, index: int, reply_ts: str | None = None
) -> CheckInForm:
    """The check-in form for line `index` of a kept reply, prefilled with what the bot understood. What it
    submits is tied to the reply (`reply_ts`), so a later Confirm records only the other lines."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        pending, krs, drafts = await _reading(session, user_id, pending_id)
        draft = next((d for d in drafts if d.index == index), None)
        if draft is None:
            raise NotFound(GONE)
        kr = await core.load_kr(session, krs[index - 1].id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
    context = FormContext(CheckInSource.MODAL, kr_id=kr.id, ledger_id=pending.ledger_id, reply_ts=reply_ts)
    fields = dict(comment=draft.comment, blockers=draft.blockers)
    if draft.confidence:
        fields["confidence"] = draft.confidence
    if not draft.no_change:
        fields["value"] = _value_text(kr, draft)
    return prefilled_form(kr, context, **fields)


def _value_text(kr: KeyResult, draft: CheckInDraft) -> str:
    if KRKind(kr.kind) is KRKind.BINARY:
        return "done" if draft.value >= 1 else "not_done"
    return format_value(draft.value).replace(",", "")
