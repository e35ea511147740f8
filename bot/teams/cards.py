"""Turn plain message objects (bot.okr.messages) into Teams activities: Adaptive Cards, or plain text.

Every piece of text goes into a RichTextBlock's TextRun, which Teams never parses as Markdown, so a KR title
or a comment like `[click](http://evil)` shows as typed (a TextBlock would render it as a link).
Message types without a card yet get a plain-text fallback (`plain_text`), so nothing is ever dropped; it is
sent with textFormat "plain", because Teams reads a message's text as Markdown by default.

Buttons are Action.Execute (docs/teams.md says why): each carries `data.action` (a Verb) and the ids it
needs; teams_in/cards.py reads them back. Inputs are named `<field>-<kr id>`, because Action.Execute sends
every input of the card and a prompt asks about several KRs. The buttons that open a dialog (task module) are
Action.Submit with `msteams.type: task/fetch` and a `dialog_id` (Dialog), read back by teams_in/dialogs.py.
"""

import re
from dataclasses import fields, is_dataclass
from enum import StrEnum
from functools import singledispatch

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    Choice,
    ChoiceSetInput,
    Container,
    ExecuteAction,
    RichTextBlock,
    SubmitAction,
    TextInput,
    TextRun,
)
from microsoft_teams.cards.utilities import OpenDialogData

from bot.okr.messages import Notice
from bot.okr.messages.checkins import CheckInPrompt, CheckInRecorded, PromptItem, ReplyUnsure
from bot.okr.messages.read_models import KRView
from bot.okr.types import Confidence, KRKind

CARD_VERSION = "1.5"  # the newest Teams renders; Action.Execute needs 1.4+
CONFIDENCES = (Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK)


class Verb(StrEnum):
    """What a card button asks for; the inbound adapter routes on it."""

    CHECKIN = "checkin"
    NO_CHANGE = "no_change"
    UNDO = "undo"
    CONFIRM = "confirm_reply"  # record a plain-words reply okrbot was not sure it read right


class Dialog(StrEnum):
    """Which dialog (task module) a card button opens (`dialog_id` in its task/fetch); teams_in.dialogs routes on it."""

    CHECKIN = "checkin"  # the full check-in form for one KR of a prompt
    EDIT = "edit_checkin"  # the same form, prefilled with a recorded check-in, amending it
    EDIT_REPLY = "edit_reply"  # the same form, prefilled with one line of an unsure reply
    NOTE = "note"  # Add note, from a manager digest's per-person card
    NOTES = "notes"  # Show notes, from the same card


class DialogSubmit(StrEnum):
    """What a dialog's Submit asks for (`action` in its task/submit)."""

    CHECKIN = "checkin_form"
    NOTE = "save_note"


def open_dialog(title: str, dialog: Dialog, **data) -> SubmitAction:
    """A button that opens a dialog: Action.Submit with `msteams.type: task/fetch` (Action.Execute cannot open one)."""
    # The SDK's OpenDialogData writes `msteams: {type: task/fetch, key: null}`; Teams needs only the type.
    opens = OpenDialogData(str(dialog), data).with_msteams({"type": "task/fetch"})
    return SubmitAction(title=title, data=opens, associated_inputs="none")


def input_id(field: str, kr_id: int) -> str:
    return f"{field}-{kr_id}"


# Services speak Slack's emoji names in a few notices; Teams shows them as typed, so map the ones used, drop the rest.
EMOJI = {"tada": "🎉", "wave": "👋", "calendar": "📅", "leftwards_arrow_with_hook": "↩️", "white_check_mark": "✅"}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")


def emoji(text: str) -> str:
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), ""), text).strip()


def teams_words(text: str) -> str:
    """A service's message as Teams people type commands: `okr team` for Slack's `/okr team`, no code ticks
    (it is sent as plain text, where a backtick would show as typed)."""
    return text.replace("/okr ", "okr ").replace("`", "")


def said(text: str) -> MessageActivityInput:
    """Plain words (an error, a short answer): textFormat plain, so nothing in them is read as Markdown."""
    return MessageActivityInput(text=emoji(teams_words(text)), text_format="plain")


def run(text: str, *, bold: bool = False, subtle: bool = False) -> RichTextBlock:
    inline = TextRun(text=text, weight="Bolder" if bold else None, is_subtle=True if subtle else None)
    return RichTextBlock(inlines=[inline])


def card_activity(summary: str, body: list, actions: list | None = None) -> MessageActivityInput:
    card = AdaptiveCard(version=CARD_VERSION, body=body, actions=actions or None)
    return MessageActivityInput(text=summary, text_format="plain").add_card(card)


def execute(title: str, verb: Verb, *, inputs: bool = False, **data) -> ExecuteAction:
    return ExecuteAction(
        title=title, verb=verb, data={"action": str(verb), **data}, associated_inputs="auto" if inputs else "none"
    )


def _number(x: float) -> str:
    return f"{x:g}"


def kr_line(number: int, kr: KRView) -> str:
    unit = kr.unit if kr.unit == "%" else f" {kr.unit}".rstrip()
    line = f"{kr.title}: {_number(kr.current)}{unit} of {_number(kr.target)}{unit} ({kr.progress:.0%})"
    line += f", expected {_number(kr.expected_value)}{unit} by now"
    if kr.confidence:
        line += f", {kr.confidence.label}"
    return f"{number}. {line}" if number else line


@singledispatch
def render(message) -> MessageActivityInput:
    return MessageActivityInput(text=plain_text(message), text_format="plain")


@render.register
def _notice(message: Notice) -> MessageActivityInput:
    return MessageActivityInput(text=emoji(f"{message.emoji} {message.text}"), text_format="plain")


def _confidence_input(kr: KRView) -> ChoiceSetInput:
    choices = [Choice(title=c.label.capitalize(), value=str(c)) for c in CONFIDENCES]
    current = str(kr.confidence or Confidence.ON_TRACK)
    return ChoiceSetInput(
        id=input_id("confidence", kr.id), label="Confidence", style="compact", value=current, choices=choices
    )


def _value_input(kr: KRView) -> ChoiceSetInput | TextInput:
    if kr.kind is KRKind.BINARY:
        choices = [Choice(title="Done", value="done"), Choice(title="Not done", value="not_done")]
        value = "done" if kr.current >= 1 else "not_done"
        return ChoiceSetInput(
            id=input_id("value", kr.id), label="Status", style="compact", value=value, choices=choices
        )
    # Text, not Input.Number: the same parser as Slack reads "42%", "1,200" or "1.2k", and says what it can't read.
    unit = f" ({kr.unit})" if kr.unit else ""
    return TextInput(id=input_id("value", kr.id), label=f"New value{unit}", value=_number(kr.current))


def _ask(item: PromptItem) -> Container:
    kr = item.kr
    comment = TextInput(id=input_id("comment", kr.id), label="Comment (optional)", is_multiline=True)
    buttons = ActionSet(
        actions=[
            execute("Save", Verb.CHECKIN, inputs=True, kr=kr.id),
            execute("No change", Verb.NO_CHANGE, kr=kr.id),
            open_dialog("Open form", Dialog.CHECKIN, kr=kr.id),  # value, confidence, comment and blockers
        ]
    )
    return Container(
        items=[run(kr_line(item.number, kr), bold=True), _value_input(kr), _confidence_input(kr), comment, buttons]
    )


@render.register
def _prompt(message: CheckInPrompt) -> MessageActivityInput:
    heading = "Weekly check-in" + (f" (covering for {message.covering_for})" if message.covering_for else "")
    body: list = [run(heading, bold=True)]
    body += [_ask(item) for item in message.items]
    if message.recent:
        body.append(run("Already updated recently:", subtle=True))
        body += [run(kr_line(0, kr), subtle=True) for kr in message.recent]
    body.append(run("Or reply here in plain words, for example:"))
    body.append(run(message.example or "42, on track", bold=True))
    summary = heading + ": " + "; ".join(kr_line(item.number, item.kr) for item in message.items)
    return card_activity(summary, body)


@render.register
def _recorded(message: CheckInRecorded) -> MessageActivityInput:
    body: list = [run(message.heading, bold=True)]
    one = len(message.lines) == 1
    actions = []
    for line in message.lines:
        body.append(run(f"{line.kr_title}: {line.text}"))
        for label, value in (("Comment", line.comment), ("Blockers", line.blockers)):
            if value:
                body.append(run(f"{label}: {value}", subtle=True))
        edit, undo = ("Edit", "Undo") if one else (f"Edit {line.kr_title}"[:40], f"Undo {line.kr_title}"[:40])
        buttons = [
            open_dialog(edit, Dialog.EDIT, checkin=line.checkin_id),
            execute(undo, Verb.UNDO, checkin=line.checkin_id),
        ]
        # Several lines: each line's buttons under it (Teams shows only the first few of a card's own actions).
        actions += buttons if one else []
        body += [] if one else [ActionSet(actions=buttons)]
    summary = f"{message.heading}: " + "; ".join(f"{line.kr_title}: {line.text}" for line in message.lines)
    return card_activity(summary, body, actions)


@render.register
def _unsure(message: ReplyUnsure) -> MessageActivityInput:
    """Nothing recorded yet: Confirm records exactly these lines; Edit (under each unsure line) opens the form."""
    body: list = [run("I'm not sure I read that right, so nothing is recorded yet. I understood:", bold=True)]
    reply = dict(pending=message.pending_id, ts=message.reply_ts)
    actions = [execute("Confirm", Verb.CONFIRM, check=message.check, **reply)]
    for line in message.lines:
        body.append(run(f"{line.index}. {line.kr_title}: {line.text}"))
        for label, value in (("Comment", line.comment), ("Blockers", line.blockers)):
            if value:
                body.append(run(f"{label}: {value}", subtle=True))
        if line.reason:
            body.append(run(f"Not sure: {line.reason}", subtle=True))
            title = "Edit" if len(message.lines) == 1 else f"Edit {line.index}"
            body.append(ActionSet(actions=[open_dialog(title, Dialog.EDIT_REPLY, index=line.index, **reply)]))
    summary = "Not recorded yet, please confirm: " + "; ".join(f"{x.kr_title}: {x.text}" for x in message.lines)
    return card_activity(summary, body, actions)


def plain_text(message) -> str:
    """A readable fallback for a message type with no Teams card yet: its words, field by field."""
    if not is_dataclass(message):
        return emoji(str(message))
    parts: list[str] = []
    for f in fields(message):
        value = getattr(message, f.name)
        if isinstance(value, str) and value:
            parts.append(emoji(value))
        elif isinstance(value, tuple) and value:
            parts += [plain_text(v) if is_dataclass(v) else str(v) for v in value]
        elif is_dataclass(value):
            parts.append(plain_text(value))
    return "\n".join(parts) or type(message).__name__  # Teams refuses an empty message
