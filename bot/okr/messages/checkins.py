"""Plain data for the check-in loop: the prompt, the nudge, confirmations, and the check-in form."""

from dataclasses import dataclass, field
from datetime import date

from bot.okr.messages.read_models import KRView
from bot.okr.types import Confidence, KRKind


@dataclass(frozen=True)
class PromptItem:
    number: int  # 1..N, what thread replies refer to; 0 = already updated, not asked
    kr: KRView


@dataclass(frozen=True)
class CheckInPrompt:
    ledger_id: int
    items: tuple[PromptItem, ...]  # asked, numbered 1..N
    recent: tuple[KRView, ...] = ()  # checked in recently: shown, not asked
    covering_for: str = ""  # display name of the away owner when this goes to their delegate
    example: str = ""  # a reply built from these KRs
    cadence: str = "weekly"  # the team's check-in cadence (Cadence value): the prompt names it


@dataclass(frozen=True)
class CheckInNudge:
    ledger_id: int
    missing: tuple[PromptItem, ...]
    covering_for: str = ""


@dataclass(frozen=True)
class RecordedLine:
    checkin_id: int
    kr_title: str
    text: str  # e.g. "42 / 100 (42%), at risk" (plain; renderers escape)
    comment: str = ""
    blockers: str = ""
    kr_id: int = 0


@dataclass(frozen=True)
class CheckInRecorded:
    lines: tuple[RecordedLine, ...]
    heading: str = "Recorded"


@dataclass(frozen=True)
class KRChoice:
    kr_id: int
    label: str  # "2. Activation rate..."


@dataclass(frozen=True)
class ReplyNotUnderstood:
    problems: tuple[str, ...]
    example: str
    pending_id: int | None  # None: nothing worth keeping (a blank reply), so no "Use as comment"
    choices: tuple[KRChoice, ...]


@dataclass(frozen=True)
class UnsureLine:
    """One KR's part of a reply the bot is not sure it read right: what it understood, and why it asks."""

    index: int  # the KR's number in the prompt
    kr_title: str
    text: str  # e.g. "2 / 10 (20%), confidence not stated (stays on track)" (plain; renderers escape)
    comment: str = ""
    blockers: str = ""
    reason: str = ""  # why it asks; "" for a line read with certainty


@dataclass(frozen=True)
class ReplyUnsure:
    """Nothing recorded yet: Confirm records exactly these lines, Edit opens the form for an unsure one."""

    lines: tuple[UnsureLine, ...]
    pending_id: int
    check: str  # fingerprint of this reading: Confirm records only if the reply still reads the same
    reply_ts: str  # the reply's message id: its check-ins are tied to it, like a recorded reply's


@dataclass(frozen=True)
class FormContext:
    """Where a check-in form came from; the chat adapter carries it through the modal and back."""

    source: str  # a CheckInSource value
    kr_id: int | None = None
    ledger_id: int | None = None  # the prompt it answers
    checkin_id: int | None = None  # the check-in being edited
    reply_ts: str | None = None  # Edit on an unsure reply: the reply's message, which the check-in is tied to


@dataclass(frozen=True)
class CheckInForm:
    """The check-in modal: one KR (prefilled), or a KR picker when the person owns several."""

    context: FormContext
    kr_title: str = ""
    kind: KRKind = KRKind.INCREASE
    unit: str = ""
    value: str = ""  # prefill, as text
    confidence: Confidence | None = None
    comment: str = ""
    blockers: str = ""
    choices: tuple[KRChoice, ...] = ()  # non-empty: show a KR picker
    selected: int | None = None  # preselected KR id in the picker
    editing: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AwayNotice:
    """`/okr away` confirmed: away through `until` (inclusive); the delegate, if any, gets the prompts."""

    until: date
    delegate_id: str | None = None


@dataclass(frozen=True)
class TopLevelAnswered:
    """A check-in typed at the top of the DM was taken: the record (or the question) is in the prompt's thread."""

    outcome: str  # "recorded" | "updated" | "asked"


@dataclass(frozen=True)
class CheckInHowTo:
    """A message at the top of the DM that is not a check-in for an open prompt: how to check in instead."""

    waiting: int  # prompts still waiting for an answer: 0, 1, or several (then: reply in the one you mean)
    problems: tuple[str, ...] = ()  # what could not be read, when one prompt is waiting
    example: str = ""  # a reply built from that prompt's KRs
