"""Review notes by replying to a manager digest's per-person card: Teams' quoted replies in the 1:1 chat.

A 1:1 chat has no threads, but a person can reply to one message (Teams' "Reply"): the message then names
the message it quotes. Teams sends that in one of two shapes, and okrbot reads both:
- a `quotedReply` entity with the quoted `messageId` (the structured form the Teams SDK reads with
  `MessageActivity.get_quoted_messages()`), the text holding a `<quoted messageId="…"/>` placeholder;
- the older form: a `text/html` attachment whose `<blockquote itemtype="http://schema.skype.com/Reply"
  itemid="…">` holds the quoted preview, followed by what the person wrote.
The quoted id is the activity id the connector gave okrbot when it posted the card, which the manager digest
stores as the person's review thread (bot.services.digests.managers). `replyToId` is not read: Teams sets it
for channel threads, not for a quoted reply in a 1:1 chat.

What the person wrote (without the quote) then goes to bot.services.notes.quoted_card_route, the same rules
as a Slack reply in a review thread: a quote of a review card in the manager's own chat is a private note about
that person, a quote of a review card sent to someone else is refused, and anything else is not a note (the
caller reads it as today: a check-in reply or a command, without the quote). Nothing here logs the text.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from bot.services import notes
from bot.services.addresses import TeamsAddress
from bot.services.kernel.context import Services
from bot.services.kernel.inbox import DmMessage

REPLY_SCHEMA = "http://schema.skype.com/Reply"
PLACEHOLDER = re.compile(r"<quoted\s+messageId=\"[^\"]*\"\s*/>", re.I)
BLOCKS = {"p", "div", "br", "li"}  # tags that end a line in what the person wrote


@dataclass(frozen=True)
class QuotedReply:
    message_id: str  # the quoted message's id, as the connector gave it when okrbot posted it
    text: str  # what the person wrote, without the quote


class _Reply(HTMLParser):
    """The quoted id and the text outside the quote, from Teams' HTML rendering of a reply."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.quoted: str | None = None
        self.depth = 0  # > 0 inside the quote's blockquote
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "blockquote" and (self.depth or (values.get("itemtype") == REPLY_SCHEMA and self.quoted is None)):
            self.quoted = self.quoted or (values.get("itemid") or "")
            self.depth += 1
        elif tag in BLOCKS and not self.depth:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag == "blockquote" and self.depth:
            self.depth -= 1
        elif tag in BLOCKS and not self.depth:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self.depth:
            self.parts.append(data)

    def text(self) -> str:
        lines = "".join(self.parts).replace("\xa0", " ").splitlines()
        return "\n".join(line.strip() for line in lines if line.strip())


def _from_html(activity) -> QuotedReply | None:
    for attachment in activity.attachments or []:
        content = getattr(attachment, "content", None)
        if getattr(attachment, "content_type", "") != "text/html" or not isinstance(content, str):
            continue
        if REPLY_SCHEMA not in content:
            continue
        parser = _Reply()
        parser.feed(content)
        parser.close()
        if parser.quoted:
            return QuotedReply(parser.quoted, parser.text())
    return None


def quoted_reply(activity) -> QuotedReply | None:
    """The message a 1:1 chat message replies to, and what the person wrote; None for an ordinary message."""
    quotes = activity.get_quoted_messages()
    if quotes and quotes[0].quoted_reply.message_id:
        text = PLACEHOLDER.sub(" ", activity.text or "").strip()
        return QuotedReply(quotes[0].quoted_reply.message_id, text)
    return _from_html(activity)


async def as_note(svc: Services, address: TeamsAddress, quote: QuotedReply, *, activity_id: str) -> bool:
    """True when the reply was a note (or refused as one): the service has answered in the chat."""
    msg = DmMessage(
        user_id=address.person_id,
        channel=address.channel,
        text=quote.text,
        ts=activity_id,
        thread_ts=quote.message_id,
        event_id=None,
    )
    return await notes.quoted_card_route(svc, msg)
