"""Messages that carry review-note text. Only ever sent to a manager's DM, the subject's own DM,
an ephemeral reply or a modal; never to a channel (see docs/digests.md, the privacy guarantee)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NoteItem:
    author_name: str
    created_at: datetime
    body: str
    shared: bool
    cycle_name: str = ""
    author_id: str = ""  # rendered as a mention, so Slack shows the name even when we never learnt it


@dataclass(frozen=True)
class NoteList:
    """`/okr notes @person`, ephemeral to a manager or admin."""

    subject_name: str
    notes: tuple[NoteItem, ...]
    cycle_name: str = ""
    subject_id: str = ""


@dataclass(frozen=True)
class SharedNoteIntro:
    """The parent message of the private thread in the subject's DM (holds no note text)."""

    author_name: str


@dataclass(frozen=True)
class SharedNote:
    """The note itself, as a reply in the subject's private DM thread."""

    author_name: str
    body: str


@dataclass(frozen=True)
class NoteModal:
    """The Add review note modal; the adapter carries the subject and the thread through it."""

    subject_id: str
    subject_name: str
    channel: str = ""  # the review thread to confirm in ("" = the author's DM)
    thread_ts: str = ""
