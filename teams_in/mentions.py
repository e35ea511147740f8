"""Teams @mentions of people in command text, as markers the commands read: `<@29:id|aad>`.

Teams writes a mention as `<at>Bob</at>` in the text and says who it is in the activity's `mention` entities
(their `29:` id, and often their Entra object id). The bot's own mention is stripped before (in a channel);
every other mention becomes a marker, so `okr away until 2027-01-15 delegate <at>Bob</at>` reads like Slack's
`<@U…>`. Teams syntax stops here: services get person ids.
"""

import re
from dataclasses import dataclass

from microsoft_teams.api import MentionEntity

MARKER = re.compile(r"<@(?P<user>[^|>\s]+)(?:\|(?P<aad>[^|>\s]*))?(?:\|(?P<name>[^|>\s]*))?>")
NBSP = "\u200b"  # stands for a space in a name inside a marker (not whitespace: the marker stays one word)


@dataclass(frozen=True)
class Mentioned:
    user_id: str  # "29:..."
    aad_object_id: str | None
    name: str = ""  # as Teams showed the mention


def with_markers(text: str, entities, *, bot_id: str | None) -> str:
    """The text with each person's `<at>…</at>` replaced by a marker (an unmatched `<at>` stays as typed)."""
    for entity in entities or []:
        if not isinstance(entity, MentionEntity) or not entity.text or entity.mentioned.id == bot_id:
            continue
        aad, name = entity.mentioned.aad_object_id or "", entity.mentioned.name or ""
        name = _clean(name.replace(" ", NBSP))
        text = text.replace(entity.text, f"<@{_clean(entity.mentioned.id)}|{_clean(aad)}|{name}>", 1)
    return text


def _clean(raw: str) -> str:
    return re.sub(r"[|<>\s]", "", raw)[:200]


def parse(token: str) -> Mentioned | None:
    """A marker made by with_markers, or None."""
    match = MARKER.fullmatch(token.strip())
    if match is None:
        return None
    return Mentioned(match["user"], match["aad"] or None, (match["name"] or "").replace(NBSP, " "))


def has_unread_mention(text: str) -> bool:
    """`<at>…</at>` left in the text: a mention Teams did not describe (so okrbot cannot tell who it is)."""
    return "<at>" in text.lower()
