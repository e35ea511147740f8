"""Review-note renders: only for a manager's DM thread, the subject's own DM, ephemeral replies and modals."""

import json

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.okr.messages.notes import NoteList, NoteModal, SharedNote, SharedNoteIntro
from bot.okr.types import NoteVisibility
from bot.slack.builders.digests import MAX_BLOCKS
from bot.slack.ids import DigestId
from bot.slack.mrkdwn import SECTION_LIMIT, esc, mention, shorten, split
from bot.slack.render import Rendered, render, render_view


def quoted_sections(head: str, body: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`head` then the whole note as a mrkdwn quote, escaped first and then split into section-sized texts."""
    lines = [f"> {piece}" for line in (body.splitlines() or [""]) for piece in split(esc(line), limit - 2)]
    sections, current = [], head
    for line in lines:
        if len(current) + 1 + len(line) > limit:
            sections.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    return [*sections, current]


def _person(person_id: str, name: str) -> str:
    """The stored name, or a mention when we never learnt one: Slack then shows the reader the person's name,
    not "U0ALICE" (these replies are ephemeral or in a DM, so the mention notifies nobody)."""
    return mention(person_id) if person_id and (not name or name == person_id) else esc(name)


def _note_sections(n) -> list[SectionBlock]:
    who = "shared with them" if n.shared else "private"
    cycle = f" · {esc(n.cycle_name)}" if n.cycle_name else ""
    author = _person(n.author_id, n.author_name)
    head = f"*{author}* · {n.created_at:%Y-%m-%d} · {who}{cycle}"
    return [SectionBlock(text=text) for text in quoted_sections(head, n.body)]


@render.register
def _note_list(m: NoteList) -> Rendered:
    name = _person(m.subject_id, m.subject_name)
    scope = f" in {esc(m.cycle_name)}" if m.cycle_name else ""
    if not m.notes:
        return Rendered(
            text=f"No review notes about {name}{scope} yet.",
            blocks=[SectionBlock(text=f"No review notes about *{name}*{scope} yet.")],
        )
    # The latest notes that fit in one message, each whole (a long, heavily escaped note takes several blocks).
    shown: list[list[SectionBlock]] = []
    for n in reversed(m.notes):
        sections = _note_sections(n)
        if sum(map(len, shown)) + len(sections) > MAX_BLOCKS - 2:
            break
        shown.insert(0, sections)
    blocks = [SectionBlock(text=f":lock: *Review notes about {name}*{scope} (only you can see this)")]
    blocks += [block for sections in shown for block in sections]
    if len(shown) < len(m.notes):
        blocks.append(SectionBlock(text=f"_Showing the latest {len(shown)} of {len(m.notes)} notes._"))
    return Rendered(text=f"{len(m.notes)} review notes about {name}{scope}", blocks=blocks)


@render.register
def _shared_intro(m: SharedNoteIntro) -> Rendered:
    text = (
        f":lock: {esc(m.author_name)} shared a review note with you. It is in this thread; "
        "only you, your line managers and HR can see it."
    )
    return Rendered(text=f"{esc(m.author_name)} shared a review note with you", blocks=[SectionBlock(text=text)])


@render.register
def _shared_note(m: SharedNote) -> Rendered:
    return Rendered(
        text=f"Review note from {esc(m.author_name)}",
        blocks=[SectionBlock(text=t) for t in quoted_sections(f":memo: *From {esc(m.author_name)}:*", m.body)],
    )


@render_view.register
def _note_modal(m: NoteModal) -> View:
    options = [
        Option(text="Only me (private)", value=NoteVisibility.PRIVATE),
        Option(text=f"Share with {shorten(m.subject_name, 40)}", value=NoteVisibility.SHARED),
    ]
    return View(
        type="modal",
        callback_id=DigestId.NOTE_MODAL,
        title="Add review note",
        submit="Save",
        close="Cancel",
        private_metadata=encode_note_context(m),
        blocks=[
            SectionBlock(text=f":lock: A review note about *{esc(m.subject_name)}*. It never appears in channels."),
            InputBlock(
                block_id=DigestId.NOTE_BODY,
                label="Note",
                element=PlainTextInputElement(action_id=DigestId.NOTE_BODY_INPUT, multiline=True, max_length=3000),
            ),
            InputBlock(
                block_id=DigestId.NOTE_VISIBILITY,
                label="Who can see it",
                element=RadioButtonsElement(
                    action_id=DigestId.NOTE_VISIBILITY_INPUT, options=options, initial_option=options[0]
                ),
            ),
        ],
    )


def encode_note_context(m: NoteModal) -> str:
    """The note modal's private_metadata: the subject and the review thread to confirm in."""
    return json.dumps({"subject": m.subject_id, "channel": m.channel, "thread_ts": m.thread_ts})[:3000]


def decode_note_context(raw: str | None) -> NoteModal:
    """Read private_metadata back into the modal it came from (its subject name is not needed to save)."""
    ctx = json.loads(raw or "{}")
    return NoteModal(ctx.get("subject", ""), "", channel=ctx.get("channel") or "", thread_ts=ctx.get("thread_ts") or "")
