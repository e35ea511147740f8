"""Plain-words replies in a prompt's thread: parse, record, confirm; or explain and keep the text.

take_reply reads one message as the answer to a prompt; checkins.toplevel uses it too, for messages typed at the
top of the DM.

Registered as a DM route in bot.app (DM_ROUTES). A reply that cannot be parsed records
nothing: the bot answers with exactly what it could not read and an example built from the
person's own KRs, and keeps the text (PendingReply) behind a "Use as comment" control.
"""

import hashlib
from types import SimpleNamespace

from bot.okr.messages.checkins import CheckInRecorded, KRChoice, ReplyNotUnderstood, ReplyUnsure, UnsureLine
from bot.okr.replies import CheckInDraft, KRRef, ParseError, parse_reply
from bot.okr.types import CheckInSource, Confidence, KRKind
from bot.services.checkins import core
from bot.services.checkins.effects import after_checkins
from bot.services.kernel.context import Services
from bot.services.kernel.errors import NotFound
from bot.services.kernel.inbox import DmMessage
from storage import checkins, okrs, schedule
from storage.models import KeyResult, PendingReply, SendLedger


async def _prompt_krs(session, entry: SendLedger) -> list[KeyResult]:
    return [await core.load_kr(session, kr_id) for kr_id in core.prompt_kr_ids(entry)]


def _refs(krs: list[KeyResult]) -> list[KRRef]:
    return [
        KRRef(
            index=i,
            title=kr.title,
            kind=KRKind(kr.kind),
            unit=kr.unit,
            current=kr.current_value,
            confidence=Confidence(kr.confidence) if kr.confidence else None,
        )
        for i, kr in enumerate(krs, start=1)
    ]


async def on_thread_reply(svc: Services, msg: DmMessage) -> bool:
    """Inbox route: True when the message is a reply in one of our prompt threads.

    One write transaction per reply: find the prompt, read the reply against its KRs and record it (or keep an
    unsure or unreadable reply), marking the Home tab and digests it makes stale; the answer is posted after.
    Core statements returning rows, no ORM objects (docs/performance.md): the prompt and whether this reply was
    already recorded in one SELECT, its KRs in one, the check-ins in one INSERT, the KRs in one UPDATE.
    """
    if not msg.thread_ts:
        return False
    async with svc.db.transaction() as session:
        entry, replied = await checkins.prompt_of_reply(
            session=session, channel=msg.channel, thread_ts=msg.thread_ts, ts=msg.ts
        )
        if entry is None:
            return False
        krs = await core.load_kr_rows(session, core.prompt_kr_ids(entry))
        if replied and not msg.edited:
            return True  # already recorded: the inbox is redoing a reply whose work a crash cut short
        existing = (
            await checkins.checkins_from_message(session=session, channel=msg.channel, ts=msg.ts) if replied else []
        )
        try:
            _outcome, answer = await read_reply(session, svc, msg, entry, krs, existing, loaded=True)
            where = (entry.channel or msg.channel, entry.ts)
        except ParseError as exc:
            answer, where = await _not_understood(session, svc, msg, entry, krs, exc), (msg.channel, msg.thread_ts)
    await svc.notifier.post(where[0], answer, thread_ts=where[1])
    return True


async def take_reply(svc: Services, msg: DmMessage, entry: SendLedger, krs: list[KeyResult], existing) -> str:
    """Read `msg` as an answer to the prompt `entry` (read_reply, in its own transaction); the answer goes in the
    prompt's thread. Returns "recorded", "updated" or "asked"; raises ParseError (nothing done) when the text
    cannot be read. checkins.toplevel reads top-level DMs with it."""
    async with svc.db.transaction() as session:
        outcome, answer = await read_reply(session, svc, msg, entry, krs, existing)
    await svc.notifier.post(entry.channel or msg.channel, answer, thread_ts=entry.ts)
    return outcome


async def read_reply(
    session, svc: Services, msg: DmMessage, entry: SendLedger, krs: list[KeyResult], existing, *, loaded=False
):
    """In the caller's transaction: record `msg`, amend what an edited message recorded, or keep it and ask when
    unsure. Returns (outcome, the answer to post); raises ParseError before writing anything. `loaded`: `krs`
    are core.load_kr_rows rows read in this transaction (not read again)."""
    amending = bool(msg.edited and existing)  # an edit rewrites what was recorded: no room to ask first
    drafts = parse_reply(msg.text, _refs(krs), allow_unsure=not amending)
    if any(d.unsure for d in drafts):
        return "asked", await _ask(session, svc, msg, entry, krs, drafts)
    if amending:
        return "updated", await _amend_from_edit(session, svc, msg, krs, drafts, existing)
    lines = await record_drafts(session, svc, msg.user_id, krs, drafts, message=(msg.channel, msg.ts), loaded=loaded)
    await after_checkins(session, svc, user_id=msg.user_id, kr_ids=[line.kr_id for line in lines])
    return "recorded", CheckInRecorded(tuple(lines))


async def record_drafts(
    session, svc: Services, user_id: str, krs, drafts: list[CheckInDraft], *, message, loaded=False
):
    """Record each draft in the caller's transaction; returns the confirmation lines. What core.record does for
    one check-in, for all of them in two Core statements (one INSERT, one UPDATE of the KRs), no ORM flush.
    `krs` are read again (one SELECT) unless `loaded` (core.load_kr_rows rows from this transaction)."""
    at = svc.now()
    rows = {kr.id: kr for kr in krs} if loaded else await okrs.key_result_rows(session=session, ids=[k.id for k in krs])
    held: dict[int, tuple[float, str | None]] = {}  # each KR's value and confidence as the drafts so far left it
    inserts, shown = [], []
    for draft in drafts:
        kr = rows.get(krs[draft.index - 1].id)
        if kr is None or kr.archived:
            raise NotFound("That key result no longer exists.")
        await core.authorize_row(session, svc, user_id=user_id, kr=kr)
        row = core.checkin_values(
            kr_id=kr.id,
            holding=held.get(kr.id, (kr.current_value, kr.confidence)),
            author=user_id,
            at=at,
            value=None if draft.no_change else draft.value,
            confidence=draft.confidence,
            source=CheckInSource.THREAD,
            comment=draft.comment,
            blockers=draft.blockers,
            message=message,
        )
        inserts.append(row)
        held[kr.id] = (row["value"], row["confidence"])
        shown.append(kr)
    ids = await checkins.insert_checkins(session=session, rows=inserts)  # a prompt lists each KR once (ParseError)
    await okrs.set_key_result_values(session=session, values=held, at=at)
    return [core.line(kr, SimpleNamespace(id=ids[kr.id], **row)) for kr, row in zip(shown, inserts, strict=True)]


def reading_check(krs: list[KeyResult], drafts: list[CheckInDraft]) -> str:
    """A fingerprint of one reading of a reply: the same text read against changed KRs gives another."""
    reading = repr([(krs[d.index - 1].id, d) for d in drafts])
    return hashlib.sha256(reading.encode()).hexdigest()[:16]


async def _ask(session, svc: Services, msg: DmMessage, entry: SendLedger, krs, drafts) -> ReplyUnsure:
    """An unsure reading is not recorded: keep the reply, show what was understood, let the person decide."""
    pending = await schedule.add_pending_reply(
        session=session,
        reply=PendingReply(person_id=msg.user_id, ledger_id=entry.id, text=msg.text.strip(), created_at=svc.now()),
    )
    lines = tuple(_understood(krs[d.index - 1], d) for d in drafts)
    return ReplyUnsure(lines, pending.id, reading_check(krs, drafts), msg.ts)


def _understood(kr: KeyResult, draft: CheckInDraft) -> UnsureLine:
    value = "no change" if draft.no_change else core.value_label(kr, draft.value)
    if draft.confidence:
        confidence = draft.confidence.label
    else:  # never invented: an unstated confidence keeps the last one
        confidence = f"confidence not stated (stays {Confidence(kr.confidence or Confidence.ON_TRACK).label})"
    return UnsureLine(
        draft.index, kr.title, f"{value}, {confidence}", draft.comment, draft.blockers, draft.unsure or ""
    )


async def _amend_from_edit(session, svc: Services, msg: DmMessage, krs, drafts: list[CheckInDraft], existing):
    """An edited reply rewrites the check-ins it produced (KRs it no longer mentions are left alone)."""
    at = svc.now()
    by_kr = {row.kr_id: row for row in existing}
    lines = []
    for draft in drafts:
        kr = await core.load_kr(session, krs[draft.index - 1].id)
        row = by_kr.get(kr.id)
        if row is None:
            continue
        row = await checkins.get_checkin(session=session, checkin_id=row.id)
        value = row.prev_value if draft.no_change else draft.value
        fields = dict(comment=draft.comment, blockers=draft.blockers)
        await core.amend(session, row, kr, at=at, value=value, confidence=draft.confidence, **fields)
        lines.append(core.line(kr, row))
    await after_checkins(session, svc, user_id=msg.user_id, kr_ids=[line.kr_id for line in lines])
    return CheckInRecorded(tuple(lines), heading="Updated from your edited reply")


async def _not_understood(session, svc: Services, msg: DmMessage, entry: SendLedger, krs, exc: ParseError):
    """Keep the person's words (so they can use them as a comment; a blank reply has none); say what was unclear."""
    text = msg.text.strip()
    pending_id = None
    if text:
        pending = await schedule.add_pending_reply(
            session=session,
            reply=PendingReply(person_id=msg.user_id, ledger_id=entry.id, text=text, created_at=svc.now()),
        )
        pending_id = pending.id
    choices = tuple(KRChoice(kr.id, f"{i}. {kr.title}") for i, kr in enumerate(krs, start=1))
    return ReplyNotUnderstood(tuple(exc.problems), exc.example, pending_id, choices)


async def use_as_comment(svc: Services, *, user_id: str, pending_id: int, kr_id: int, thread) -> CheckInRecorded:
    """Record a no-change check-in carrying the kept reply as its comment, on the KR the person chose."""
    async with svc.db.transaction() as session:
        pending = await schedule.get_pending_reply(session=session, reply_id=pending_id)
        if pending is None or pending.person_id != user_id:
            raise NotFound("That reply was already used.")
        kr = await core.load_kr(session, kr_id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
        row = await core.record(
            session,
            kr=kr,
            author=user_id,
            at=svc.now(),
            value=None,
            confidence=None,
            source=CheckInSource.THREAD,
            comment=pending.text,
        )
        await schedule.delete_pending_reply(session=session, reply=pending)
        message = CheckInRecorded((core.line(kr, row),), heading="Recorded as a comment (no change)")
        await after_checkins(session, svc, user_id=user_id, kr_ids=[kr_id])
    await svc.notifier.post(thread.channel, message, thread_ts=thread.ts)
    return message
