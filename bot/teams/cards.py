"""Turn plain message objects (bot.okr.messages) into Teams activities: Adaptive Cards, or plain text.

Every piece of text goes into a RichTextBlock's TextRun, which Teams never parses as Markdown, so a KR title
or a comment like `[click](http://evil)` shows as typed (a TextBlock would render it as a link).
Message types without a card yet get a plain-text fallback (`plain_text`), so nothing is ever dropped; it is
sent with textFormat "plain", because Teams reads a message's text as Markdown by default.
"""

from dataclasses import fields, is_dataclass
from functools import singledispatch

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import AdaptiveCard, RichTextBlock, TextRun

from bot.okr.messages import Notice
from bot.okr.messages.checkins import CheckInPrompt, CheckInRecorded
from bot.okr.messages.read_models import KRView

CARD_VERSION = "1.5"  # the newest Teams renders; Action.Execute (later slices) needs 1.4+


def run(text: str, *, bold: bool = False, subtle: bool = False) -> RichTextBlock:
    inline = TextRun(text=text, weight="Bolder" if bold else None, is_subtle=True if subtle else None)
    return RichTextBlock(inlines=[inline])


def card_activity(summary: str, body: list) -> MessageActivityInput:
    card = AdaptiveCard(version=CARD_VERSION, body=body)
    return MessageActivityInput(text=summary, text_format="plain").add_card(card)


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
    return MessageActivityInput(text=f"{message.emoji} {message.text}".strip(), text_format="plain")


@render.register
def _prompt(message: CheckInPrompt) -> MessageActivityInput:
    heading = "Weekly check-in" + (f" (covering for {message.covering_for})" if message.covering_for else "")
    body = [run(heading, bold=True)]
    body += [run(kr_line(item.number, item.kr)) for item in message.items]
    if message.recent:
        body.append(run("Already updated recently:", subtle=True))
        body += [run(kr_line(0, kr), subtle=True) for kr in message.recent]
    body.append(run("Reply here in plain words, for example:"))
    body.append(run(message.example or "42, on track", bold=True))
    return card_activity(heading, body)


@render.register
def _recorded(message: CheckInRecorded) -> MessageActivityInput:
    body = [run(message.heading, bold=True)]
    for line in message.lines:
        body.append(run(f"{line.kr_title}: {line.text}"))
        for label, value in (("Comment", line.comment), ("Blockers", line.blockers)):
            if value:
                body.append(run(f"{label}: {value}", subtle=True))
    summary = f"{message.heading}: " + "; ".join(f"{line.kr_title}: {line.text}" for line in message.lines)
    return card_activity(summary, body)


def plain_text(message) -> str:
    """A readable fallback for a message type with no Teams card yet: its words, field by field."""
    if not is_dataclass(message):
        return str(message)
    parts: list[str] = []
    for f in fields(message):
        value = getattr(message, f.name)
        if isinstance(value, str) and value:
            parts.append(value)
        elif isinstance(value, tuple) and value:
            parts += [plain_text(v) if is_dataclass(v) else str(v) for v in value]
        elif is_dataclass(value):
            parts.append(plain_text(value))
    return "\n".join(parts) or type(message).__name__  # Teams refuses an empty message
