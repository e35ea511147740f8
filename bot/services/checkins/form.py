"""Check-in use cases for buttons, the modal and `/okr checkin`. Thread replies live in checkin_replies."""

import math
from dataclasses import dataclass

from bot.okr.messages import Delivery, Notice
from bot.okr.messages.checkins import CheckInForm, CheckInRecorded, FormContext, KRChoice
from bot.okr.numbers import ParseError, parse_number
from bot.okr.progress import format_value
from bot.okr.types import CheckInSource, Confidence, KRKind
from bot.services.checkins import core
from bot.services.checkins.effects import after_checkins
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.request_claims import once
from storage import cycles, okrs
from storage.models import KeyResult
from storage.schedule import live_krs_with_team

BINARY_VALUES = {"done": 1.0, "not_done": 0.0}
# A Slack modal's text input holds at most 3,000 characters; a Teams card's input has no limit a client must keep
# (its data can be doctored), so the service keeps it: one click must not store a megabyte.
TEXT_LIMIT = 3000
ALREADY_SAVED = "Already saved: okrbot kept this check-in the first time."


@dataclass(frozen=True)
class Submission:
    """A validated modal submission."""

    kr_id: int
    value: float
    confidence: Confidence
    comment: str
    blockers: str
    source: str
    ledger_id: int | None = None
    checkin_id: int | None = None  # set when editing
    reply_ts: str | None = None  # Edit on an unsure reply: tie the check-in to that reply (Confirm skips it)


def _form(kr: KeyResult, context: FormContext, **extra) -> CheckInForm:
    value = "" if KRKind(kr.kind) is KRKind.BINARY else format_value(kr.current_value).replace(",", "")
    if KRKind(kr.kind) is KRKind.BINARY:
        value = "done" if kr.current_value >= 1 else "not_done"
    conf = Confidence(kr.confidence) if kr.confidence else None
    fields = dict(kr_title=kr.title, kind=KRKind(kr.kind), unit=kr.unit, value=value, confidence=conf)
    return CheckInForm(context=context, **{**fields, **extra})


async def prompt_form(svc: Services, *, user_id: str, kr_id: int, ledger_id: int | None) -> CheckInForm:
    """The modal behind a prompt's Update button, prefilled with the KR's current state."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        kr = await core.load_kr(session, kr_id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
    return _form(kr, FormContext(CheckInSource.MODAL, kr_id=kr.id, ledger_id=ledger_id))


async def edit_form(svc: Services, *, user_id: str, checkin_id: int) -> CheckInForm:
    """The modal behind an Edit button: the latest check-in's own values."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        row, kr = await core.latest_live(session, checkin_id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
    value = ("done" if row.value >= 1 else "not_done") if kr.kind == KRKind.BINARY else format_value(row.value)
    return _form(
        kr,
        FormContext(row.source, kr_id=kr.id, checkin_id=row.id),
        value=value.replace(",", ""),
        confidence=Confidence(row.confidence),
        comment=row.comment,
        blockers=row.blockers,
        editing=True,
    )


async def command_form(svc: Services, *, user_id: str, args: str) -> CheckInForm:
    """`/okr checkin [N | title words]`: one KR prefilled, or a picker over the person's KRs."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        cycle = await cycles.active_cycle(session=session)
        if cycle is None:
            raise NotFound("There is no active OKR cycle, so there is nothing to check in on.")
        mine = await okrs.key_results_owned_by(session=session, person_id=user_id, cycle_id=cycle.id)
        wanted = args.strip()
        picked = _pick(mine, wanted)
        if picked is None and wanted:
            picked = await _anyone_kr(session, cycle.id, wanted)  # e.g. a manager; checked below
        if picked is not None:
            await core.authorize(session, svc, user_id=user_id, kr=picked)
        elif not mine:
            raise NotFound("You don't own any key results in the active cycle.")
    if picked is not None and len(mine) <= 1:
        return _form(picked, FormContext(CheckInSource.COMMAND, kr_id=picked.id))
    if len(mine) == 1:
        return _form(mine[0], FormContext(CheckInSource.COMMAND, kr_id=mine[0].id))
    choices = tuple(KRChoice(kr.id, f"{i}. {kr.title}") for i, kr in enumerate(mine, start=1))
    context = FormContext(CheckInSource.COMMAND)
    return CheckInForm(context=context, choices=choices, selected=picked.id if picked else None)


def _pick(krs: list[KeyResult], wanted: str) -> KeyResult | None:
    if not wanted:
        return None
    if wanted.isdigit():
        n = int(wanted)
        return krs[n - 1] if 1 <= n <= len(krs) else None
    hits = [kr for kr in krs if wanted.casefold() in kr.title.casefold()]
    return hits[0] if hits else None


async def _anyone_kr(session, cycle_id: int, wanted: str) -> KeyResult | None:
    if wanted.isdigit():
        return None
    hits = [
        kr
        for kr, _ in await live_krs_with_team(session=session, cycle_id=cycle_id)
        if wanted.casefold() in kr.title.casefold()
    ]
    return hits[0] if hits else None


def precheck(*, context: FormContext | None, values: dict[str, str | None]) -> None:
    """What can be refused from the submitted form alone, with no database call: run before the ack.

    The form does not say whether its KR is done/not-done, so a value is accepted here if it reads as a
    number or as one of the done/not-done answers; validate() then checks it against the KR itself.
    """
    _require_context(context)
    if not context.kr_id and not (values.get("kr") or "").isdigit():
        raise InvalidInput("Pick a key result.", field="kr")
    text = (values.get("value") or "").strip()
    if text.lower().replace(" ", "_") in (*BINARY_VALUES, "1", "yes", "0", "no"):
        return
    if not text:
        raise InvalidInput("Enter the current value, e.g. 42.", field="value")
    try:
        value = parse_number(text)
    except ParseError as exc:
        raise InvalidInput("; ".join(exc.problems), field="value", text=text) from None
    if not math.isfinite(value):
        raise InvalidInput("Enter a finite number.", field="value", text=text)


def _require_context(context: FormContext | None) -> None:
    """None: the adapter could not read the form's context back (a stale or tampered modal)."""
    if context is None:
        raise InvalidInput("This form is out of date: close it and start the check-in again.", field="value")


async def validate(
    svc: Services, *, user_id: str, context: FormContext | None, values: dict[str, str | None]
) -> Submission:
    """Check a modal submission; InvalidInput names the field so the adapter shows it in place."""
    _require_context(context)
    kr_id = context.kr_id or (int(values["kr"]) if (values.get("kr") or "").isdigit() else None)
    if kr_id is None:
        raise InvalidInput("Pick a key result.", field="kr")
    async with svc.db.transaction() as session:
        kr = await core.load_kr(session, int(kr_id))
    value = _value(kr, (values.get("value") or "").strip())
    confidence = Confidence(values.get("confidence") or kr.confidence or Confidence.ON_TRACK)
    return Submission(
        kr_id=kr.id,
        value=value,
        confidence=confidence,
        comment=_text(values, "comment"),
        blockers=_text(values, "blockers"),
        source=context.source or CheckInSource.MODAL,
        ledger_id=context.ledger_id,
        checkin_id=context.checkin_id,
        reply_ts=context.reply_ts,
    )


def _text(values: dict[str, str | None], field: str) -> str:
    text = (values.get(field) or "").strip()
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(f"Keep the {field} under {TEXT_LIMIT} characters (this one has {len(text)}).", field=field)
    return text


def _value(kr: KeyResult, text: str) -> float:
    if KRKind(kr.kind) is KRKind.BINARY:
        lowered = text.lower().replace(" ", "_")
        if lowered in BINARY_VALUES:
            return BINARY_VALUES[lowered]
        if lowered in ("1", "yes", "0", "no"):
            return 1.0 if lowered in ("1", "yes") else 0.0
        raise InvalidInput("Choose done or not done.", field="value")
    if not text:
        raise InvalidInput("Enter the current value, e.g. 42.", field="value")
    try:
        value = parse_number(text)
    except ParseError as exc:
        raise InvalidInput("; ".join(exc.problems), field="value", text=text) from None
    if not math.isfinite(value):
        raise InvalidInput("Enter a finite number.", field="value", text=text)
    return value


async def submit(svc: Services, *, user_id: str, sub: Submission, request_id: str | None = None) -> CheckInRecorded:
    """Record (or, when editing, amend) the check-in, then confirm it in the prompt's thread or the DM.

    `request_id` names a request its platform may resend: it is claimed with the write (request_claims)."""
    at = svc.now()
    async with svc.db.transaction() as session:
        done = "Already updated: okrbot kept this the first time." if sub.checkin_id else ALREADY_SAVED
        await once(session, svc, request_id, user_id=user_id, done=done)
        entry = await core.prompt_entry(session, sub.ledger_id)
        if sub.checkin_id:
            row, kr = await core.latest_live(session, sub.checkin_id)
            await core.authorize(session, svc, user_id=user_id, kr=kr)
            fields = dict(comment=sub.comment, blockers=sub.blockers)
            await core.amend(session, row, kr, at=at, value=sub.value, confidence=sub.confidence, **fields)
            heading = "Updated"
        else:
            kr = await core.load_kr(session, sub.kr_id)
            await core.authorize(session, svc, user_id=user_id, kr=kr)
            row = await core.record(
                session,
                kr=kr,
                author=user_id,
                at=at,
                value=sub.value,
                confidence=sub.confidence,
                source=sub.source,
                comment=sub.comment,
                blockers=sub.blockers,
                # From an unsure reply's Edit: the check-in is that reply's, so Confirm will not record it again
                message=(entry.channel, sub.reply_ts) if entry and entry.channel and sub.reply_ts else None,
            )
            heading = "Recorded"
        message = CheckInRecorded((core.line(kr, row),), heading=heading)
        await after_checkins(session, svc, user_id=user_id, kr_ids=[kr.id])
    thread = entry.ts if entry and entry.ts else None
    await svc.notifier.post(entry.channel if thread else user_id, message, thread_ts=thread)
    return message


async def no_change(
    svc: Services, *, user_id: str, kr_id: int, where: Delivery | None, request_id: str | None = None
) -> CheckInRecorded:
    """The No change button: same value and confidence, recorded as a check-in, confirmed in the thread."""
    async with svc.db.transaction() as session:
        await once(session, svc, request_id, user_id=user_id, done="Already recorded: no change.")
        kr = await core.load_kr(session, kr_id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
        row = await core.record(
            session, kr=kr, author=user_id, at=svc.now(), value=None, confidence=None, source=CheckInSource.BUTTON
        )
        message = CheckInRecorded((core.line(kr, row),), heading="No change recorded")
        await after_checkins(session, svc, user_id=user_id, kr_ids=[kr_id])
    await svc.notifier.post(where.channel if where else user_id, message, thread_ts=where.ts if where else None)
    return message


async def undo_checkin(
    svc: Services, *, user_id: str, checkin_id: int, where: Delivery | None, request_id: str | None = None
) -> Notice:
    """The Undo button: the KR goes back to what it showed before that check-in."""
    async with svc.db.transaction() as session:
        await once(session, svc, request_id, user_id=user_id, done="Already undone.")
        row, kr = await core.latest_live(session, checkin_id)
        await core.authorize(session, svc, user_id=user_id, kr=kr)
        await core.undo(session, row, kr, at=svc.now())
        conf = Confidence(kr.confidence).label if kr.confidence else "no confidence yet"
        notice = Notice(
            f"Undone. {kr.title} is back to {core.value_label(kr, kr.current_value)}, {conf}.",
            ":leftwards_arrow_with_hook:",
        )
        await after_checkins(session, svc, user_id=user_id, kr_ids=[kr.id])
    await svc.notifier.post(where.channel if where else user_id, notice, thread_ts=where.ts if where else None)
    return notice
