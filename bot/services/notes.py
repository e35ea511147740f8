"""Private review notes about a person: written by their managers (or admins), never shown in OKR views.

The privacy guarantee (docs/digests.md): note text is only ever sent to the author's DM thread,
the subject's own DM (when shared), an ephemeral reply to a manager/admin, or a modal; it is
never logged. Nothing that renders OKR status reads the review_note table.
"""

import logging

from bot.okr.messages import Delivery, Notice
from bot.okr.messages.notes import NoteItem, NoteList, NoteModal, SharedNote, SharedNoteIntro
from bot.okr.types import NoteVisibility
from bot.services.kernel import permissions
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.kernel.inbox import DmMessage
from storage import cycles, people, review_notes
from storage.models import ReviewNote

log = logging.getLogger(__name__)

# One text whether or not notes exist, so a refusal reveals nothing.
REFUSAL = "Only this person's managers and okrbot admins can read or write review notes about them."
NOTE_LIMIT = 3000
BODY_FIELD = "okr.notes.body"


def validate_note(body: str | None, visibility: str | None) -> tuple[str, NoteVisibility]:
    """Clean the modal/command input or raise InvalidInput naming the field."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput("Write the note first.", field=BODY_FIELD)
    if len(text) > NOTE_LIMIT:
        raise InvalidInput(f"Keep the note under {NOTE_LIMIT} characters.", field=BODY_FIELD, text=text)
    return text, NoteVisibility(visibility or NoteVisibility.PRIVATE)


async def _require(session, svc: Services, *, viewer_id: str, subject_id: str) -> str:
    if not await permissions.can_see_notes_about(
        session, viewer_id=viewer_id, subject_id=subject_id, admins=svc.admins
    ):
        raise PermissionDenied(REFUSAL)
    person = await people.get_person(session=session, person_id=subject_id)
    return (person.display_name if person else "") or subject_id


def confirmation(name: str, visibility: NoteVisibility) -> Notice:
    if visibility is NoteVisibility.SHARED:
        return Notice(
            f"Saved as a review note about {name} and shared with {name} in a private thread in their DM with okrbot. "
            f"{name}'s managers and admins can also see it.",
            ":lock:",
        )
    return Notice(
        f"Saved as a private review note about {name}. Only you, {name}'s other managers and admins can see it.",
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
) -> Notice:
    """Save a note (managers of the subject, admins); share it with the subject if asked."""
    async with svc.db.transaction() as session:
        name = await _require(session, svc, viewer_id=author_id, subject_id=subject_id)
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
        if msg.edited:
            note = await review_notes.note_from_message(session=session, channel=msg.channel, ts=msg.ts)
            if note is not None:
                note.body = msg.text.strip() or note.body
                return True
    body = msg.text.strip()
    if not body:
        return True
    try:
        notice = await add_note(
            svc,
            author_id=msg.user_id,
            subject_id=thread.subject_id,
            body=body,
            source=Delivery(msg.channel, msg.ts),
            thread_ts=msg.thread_ts,
        )
    except PermissionDenied as exc:
        notice = Notice(exc.message, ":warning:")
    await svc.notifier.post(msg.channel, notice, thread_ts=msg.thread_ts)
    return True


async def note_modal(
    svc: Services, *, user_id: str, subject_id: str, channel: str = "", thread_ts: str = ""
) -> NoteModal:
    """The Add review note modal, after the permission check."""
    async with svc.db.transaction() as session:
        name = await _require(session, svc, viewer_id=user_id, subject_id=subject_id)
    return NoteModal(subject_id=subject_id, subject_name=name, channel=channel, thread_ts=thread_ts)


async def submit_note_modal(
    svc: Services, *, user_id: str, modal: NoteModal, body: str, visibility: NoteVisibility
) -> None:
    """Save the modal's note and confirm it in the review thread it came from (else in the author's DM)."""
    notice = await add_note(svc, author_id=user_id, subject_id=modal.subject_id, body=body, visibility=visibility)
    await svc.notifier.post(modal.channel or user_id, notice, thread_ts=modal.thread_ts or None)


async def list_notes(svc: Services, *, viewer_id: str, subject_id: str, cycle_name: str = "") -> NoteList:
    """`/okr notes @person [cycle]` for the person's managers and admins; everyone else gets REFUSAL."""
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
        )
        for n in notes
    )
    return NoteList(subject_name=name, notes=items, cycle_name=cycle_name)
