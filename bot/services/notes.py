"""Private review notes about a person: written by their line managers (or HR), never shown in OKR views.

Who may read and write notes about X is decided in bot.services.kernel.permissions.can_see_notes_about: X's line
managers up the chain and OKRBOT_HR, never X, nobody about themselves (admins get nothing extra).
The privacy guarantee (docs/digests.md): note text is only ever sent to the author's DM thread,
the subject's own DM (when shared), an ephemeral reply to an entitled reader, or a modal; it is
never logged. Nothing that renders OKR status reads the review_note table.
"""

import logging

from bot.okr.messages import Delivery, Notice
from bot.okr.messages.notes import NoteItem, NoteList, NoteModal, SharedNote, SharedNoteIntro
from bot.okr.types import NoteVisibility
from bot.services.kernel import permissions, request_claims
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.kernel.inbox import DmMessage
from storage import cycles, people, review_notes
from storage.models import ReviewNote

log = logging.getLogger(__name__)

# One text whether or not notes exist, so a refusal reveals nothing.
REFUSAL = "Only this person's line managers and HR can read or write review notes about them."
NOTE_LIMIT = 3000
BODY_FIELD = "okr.notes.body"


def validate_note(body: str | None, visibility: str | None) -> tuple[str, NoteVisibility]:
    """Clean the modal/command input or raise InvalidInput naming the field."""
    return check_body(body), NoteVisibility(visibility or NoteVisibility.PRIVATE)


def check_body(body: str | None) -> str:
    """The note's text, stripped, or InvalidInput: every way in (command, modal, thread reply, edit) uses this."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput("Write the note first.", field=BODY_FIELD)
    if len(text) > NOTE_LIMIT:
        raise InvalidInput(
            f"Keep the note under {NOTE_LIMIT} characters (this one has {len(text)}).", field=BODY_FIELD, text=text
        )
    return text


async def _require(session, svc: Services, *, viewer_id: str, subject_id: str) -> str:
    if not await permissions.can_see_notes_about(session, viewer_id=viewer_id, subject_id=subject_id, hr=svc.hr):
        raise PermissionDenied(REFUSAL)
    person = await people.get_person(session=session, person_id=subject_id)
    return (person.display_name if person else "") or subject_id


def confirmation(name: str, visibility: NoteVisibility) -> Notice:
    if visibility is NoteVisibility.SHARED:
        return Notice(
            f"Saved as a review note about {name} and shared with {name} in a private thread in their DM with okrbot. "
            f"{name}'s line managers and HR can also see it.",
            ":lock:",
        )
    return Notice(
        f"Saved as a private review note about {name}. Only you, {name}'s other line managers and HR can see it.",
        ":lock:",
    )


async def add_note(
    svc: Services,
    *,
    author_id: str,
    subject_id: str,
    body: str,
    visibility: NoteVisibility = NoteVisibility.PRIVATE,
    source: Delivery | None = None,
    thread_ts: str | None = None,
    request_id: str | None = None,
) -> Notice:
    """Save a note (the subject's line managers, HR); share it with the subject if asked.

    A resent request (`request_id`, claimed with the write) saves nothing and gets the same confirmation."""
    body = check_body(body)
    async with svc.db.transaction() as session:
        name = await _require(session, svc, viewer_id=author_id, subject_id=subject_id)
        if not await request_claims.first(session, svc, request_id, user_id=author_id):
            return confirmation(name, visibility)
        # HR need not be in any team, and may write about someone okrbot has not met yet.
        await people.ensure_people(session=session, ids=[author_id, subject_id])
        cycle = await cycles.active_cycle(session=session)
        author = await people.get_person(session=session, person_id=author_id)
        note = ReviewNote(
            author_id=author_id,
            subject_id=subject_id,
            cycle_id=cycle.id if cycle else None,
            body=body,
            visibility=visibility,
            slack_channel=source.channel if source else None,
            slack_ts=source.ts if source else None,
            thread_ts=thread_ts,
        )
        await review_notes.add_note(session=session, note=note)
        note_id = note.id
    log.info("review note %s saved (%s)", note_id, visibility)  # never the text
    if visibility is NoteVisibility.SHARED:
        await _share(svc, note_id, subject_id, (author.display_name if author else "") or author_id, body)
    return confirmation(name, visibility)


async def _share(svc: Services, note_id: int, subject_id: str, author_name: str, body: str) -> None:
    parent = await svc.notifier.post(subject_id, SharedNoteIntro(author_name=author_name))
    await svc.notifier.post(parent.channel, SharedNote(author_name=author_name, body=body), thread_ts=parent.ts)
    async with svc.db.transaction() as session:
        note = await session.get(ReviewNote, note_id)
        note.slack_channel, note.thread_ts = parent.channel, parent.ts


async def note_route(svc: Services, msg: DmMessage) -> bool:
    """Inbox route: a manager's reply in a review thread becomes a private note about that person."""
    if msg.thread_ts is None:
        return False
    async with svc.db.transaction() as session:
        thread = await review_notes.thread_at(session=session, channel=msg.channel, ts=msg.thread_ts)
        if thread is None or thread.manager_id != msg.user_id:
            return False
        if not msg.edited and await review_notes.note_from_message(session=session, channel=msg.channel, ts=msg.ts):
            return True  # already kept: the inbox is redoing a reply whose work a crash cut short
    body = msg.text.strip()
    found, notice = await _edit_note(svc, msg, thread.subject_id, body) if msg.edited else (False, None)
    if not found and body:  # a new reply, or an edit of one that made no note (say it was too long)
        notice = await _reply_note(svc, msg, thread.subject_id, body)
    if notice is not None:
        await svc.notifier.post(msg.channel, notice, thread_ts=msg.thread_ts)
    return True


async def quoted_card_route(svc: Services, msg: DmMessage) -> bool:
    """A message quoting one earlier message (`msg.thread_ts`), on a platform without threads (Teams): a note when it
    quotes a review message in the sender's own chat (note_route's rules), REFUSAL when it quotes one okrbot sent
    someone else (a forwarded or doctored quote), False for any other quoted message."""
    if msg.thread_ts is None:
        return False
    if not msg.text.strip():  # say why, where a thread reply with no text (a file) is simply not a note
        async with svc.db.read() as session:
            own = await review_notes.thread_at(session=session, channel=msg.channel, ts=msg.thread_ts)
        if own is not None and own.manager_id == msg.user_id:
            await svc.notifier.post(msg.channel, Notice("Write the note first.", ":warning:"))
            return True
    if await note_route(svc, msg):
        return True
    async with svc.db.read() as session:
        elsewhere = await review_notes.thread_with_ts(session=session, ts=msg.thread_ts)
    if elsewhere is None:
        return False
    log.info("a quoted reply named a review message that is not the sender's: refused")  # never the text
    await svc.notifier.post(msg.channel, Notice(REFUSAL, ":warning:"))
    return True


async def _reply_note(svc: Services, msg: DmMessage, subject_id: str, body: str) -> Notice:
    try:
        return await add_note(
            svc,
            author_id=msg.user_id,
            subject_id=subject_id,
            body=body,
            source=Delivery(msg.channel, msg.ts),
            thread_ts=msg.thread_ts,
        )
    except (PermissionDenied, InvalidInput) as exc:
        return Notice(exc.message, ":warning:")


async def _edit_note(svc: Services, msg: DmMessage, subject_id: str, body: str) -> tuple[bool, Notice | None]:
    """An edited reply rewrites its note under the same rules as a new one; a refused edit keeps the old text.
    Returns whether the reply had made a note, and what to tell the author."""
    async with svc.db.transaction() as session:
        note = await review_notes.note_from_message(session=session, channel=msg.channel, ts=msg.ts)
        if note is None or not body:
            return note is not None, None
        try:
            await _require(session, svc, viewer_id=msg.user_id, subject_id=subject_id)
            note.body = check_body(body)
        except (PermissionDenied, InvalidInput) as exc:
            return True, Notice(f"{exc.message} The note keeps its earlier text.", ":warning:")
    return True, None


async def note_modal(
    svc: Services, *, user_id: str, subject_id: str, channel: str = "", thread_ts: str = ""
) -> NoteModal:
    """The Add review note modal, after the permission check."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        name = await _require(session, svc, viewer_id=user_id, subject_id=subject_id)
    return NoteModal(subject_id=subject_id, subject_name=name, channel=channel, thread_ts=thread_ts)


async def submit_note_modal(
    svc: Services, *, user_id: str, modal: NoteModal, body: str, visibility: NoteVisibility
) -> None:
    """Save the modal's note and confirm it in the review thread it came from (else in the author's DM)."""
    notice = await add_note(svc, author_id=user_id, subject_id=modal.subject_id, body=body, visibility=visibility)
    await svc.notifier.post(modal.channel or user_id, notice, thread_ts=modal.thread_ts or None)


async def list_notes(svc: Services, *, viewer_id: str, subject_id: str, cycle_name: str = "") -> NoteList:
    """`/okr notes @person [cycle]` for the person's line managers and HR; everyone else gets REFUSAL."""
    async with svc.db.transaction() as session:
        name = await _require(session, svc, viewer_id=viewer_id, subject_id=subject_id)
        cycle = await cycles.get_cycle_by_name(session=session, name=cycle_name) if cycle_name else None
        if cycle_name and cycle is None:
            raise NotFound(f"No cycle called '{cycle_name}'.")
        notes = await review_notes.notes_about(
            session=session, subject_id=subject_id, cycle_id=cycle.id if cycle else None
        )
        authors = await people.people_by_ids(session=session, ids={n.author_id for n in notes})
        names = {c.id: c.name for c in await cycles.list_cycles(session=session)}
    items = tuple(
        NoteItem(
            author_name=(authors[n.author_id].display_name if n.author_id in authors else "") or n.author_id,
            created_at=n.created_at,
            body=n.body,
            shared=n.visibility == NoteVisibility.SHARED,
            cycle_name=names.get(n.cycle_id, ""),
            author_id=n.author_id,
        )
        for n in notes
    )
    return NoteList(subject_name=name, notes=items, cycle_name=cycle_name, subject_id=subject_id)
