"""Review notes on Teams: the Add note and Show notes dialogs, the buttons that open them, and a shared note.

Note text is only ever put in: the Add note dialog shown back to its entitled author (what they typed, with
what was wrong), the Show notes dialog for an entitled reader (bot.services.notes checks both), a shared note
in the subject's own 1:1 chat, and a NoteList card (an entitled reader's own chat). Never in a card that goes
to a channel or a digest: bot.teams.digests renders digests from types that cannot hold a note, and only adds
the two buttons below (which carry the subject's id, no text).
"""

from microsoft_teams.api import MessageActivityInput, TaskModuleResponse
from microsoft_teams.cards import Choice, ChoiceSetInput, SubmitAction, TextInput

from bot.okr.messages.notes import NoteItem, NoteList, NoteModal, SharedNote, SharedNoteIntro
from bot.okr.types import NoteVisibility
from bot.services.notes import NOTE_LIMIT
from bot.teams.cards import Dialog, DialogSubmit, card_activity, open_dialog, render, run
from bot.teams.dialogs import dialog, error_line, submit_button

# A card (and so a dialog) holds about 28 KB and a note up to 3,000 characters: show the newest that fit.
NOTES_SHOWN = 10
NOTE_CHARS = 18_000


def note_buttons(subject_id: str) -> list[SubmitAction]:
    """The per-person card's actions in a manager digest (the Slack message's "Add review note" button)."""
    return [
        open_dialog("Add note", Dialog.NOTE, subject=subject_id),
        open_dialog("Show notes", Dialog.NOTES, subject=subject_id),
    ]


def note_dialog(m: NoteModal, *, body: str = "", visibility: str = "", error: str = "") -> TaskModuleResponse:
    """The Add note dialog (after the service's permission check); redrawn with what was typed and the error."""
    name = m.subject_name
    choices = [
        Choice(title="Only me (private)", value=str(NoteVisibility.PRIVATE)),
        Choice(title=f"Share with {name}"[:80], value=str(NoteVisibility.SHARED)),
    ]
    chosen = visibility if visibility in {c.value for c in choices} else str(NoteVisibility.PRIVATE)
    items: list = [
        run(f"Review note about {name}", bold=True),
        run(f"Private: only you, {name}'s other line managers and HR can read it, unless you share it.", subtle=True),
        TextInput(id="body", label="Note", is_multiline=True, value=body, max_length=NOTE_LIMIT),
    ]
    if error:
        items.append(error_line(error))
    who = ChoiceSetInput(id="visibility", label="Who can see it", style="expanded", value=chosen, choices=choices)
    items.append(who)
    save = submit_button("Save note", DialogSubmit.NOTE, subject=m.subject_id)
    return dialog("Add review note", items, submit=save)


def _note_lines(n: NoteItem) -> list:
    who = "shared with them" if n.shared else "private"
    cycle = f" · {n.cycle_name}" if n.cycle_name else ""
    return [run(f"{n.author_name or n.author_id}, {n.created_at:%d %b %Y} ({who}){cycle}", bold=True), run(n.body)]


def _newest(notes: tuple[NoteItem, ...]) -> list[NoteItem]:
    """The newest notes that fit in one card, newest first (the service lists them oldest first); at least one."""
    shown: list[NoteItem] = []
    for n in reversed(notes):
        if shown and (len(shown) == NOTES_SHOWN or sum(len(s.body) for s in shown) + len(n.body) > NOTE_CHARS):
            break
        shown.append(n)
    return shown


def _list_body(m: NoteList) -> list:
    scope = f" in {m.cycle_name}" if m.cycle_name else ""
    if not m.notes:
        return [run(f"No review notes about {m.subject_name}{scope} yet.")]
    shown = _newest(m.notes)
    body: list = [run(f"Review notes about {m.subject_name}{scope}", bold=True)]
    if len(m.notes) > len(shown):
        body.append(run(f"The newest {len(shown)} of {len(m.notes)}.", subtle=True))
    return body + [line for n in shown for line in _note_lines(n)]


def notes_dialog(m: NoteList) -> TaskModuleResponse:
    """Show notes, for the subject's line managers and HR (bot.services.notes.list_notes checked)."""
    return dialog(f"Notes: {m.subject_name}"[:60], _list_body(m))


@render.register
def _note_list(m: NoteList) -> MessageActivityInput:
    return card_activity(f"Review notes about {m.subject_name}", _list_body(m))


@render.register
def _shared_intro(m: SharedNoteIntro) -> MessageActivityInput:
    text = f"🔒 {m.author_name} shared a review note about you. Only you, your line managers and HR can see it."
    return card_activity(text, [run(text)])


@render.register
def _shared(m: SharedNote) -> MessageActivityInput:
    # The summary (the notification's text) names the author only: the note is in the card.
    return card_activity(f"Review note from {m.author_name}", [run(f"From {m.author_name}:", bold=True), run(m.body)])
