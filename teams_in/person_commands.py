"""`okr @person` (or an email), `okr away until YYYY-MM-DD [delegate @person]`, `okr back`, `okr timezone ZONE`,
`okr notes @person [cycle]`.

The same grammar and services as Slack's `/okr @person`, `/okr away` and `/okr back`
(bot.services.okrs.lists, checkins.away); a person is an @mention (a marker by now, teams_in.mentions) or
an email address (bot.services.roster). `okr timezone` is Teams' own (bot.services.timezone): Slack tells
okrbot everyone's zone, Teams only with each person's own messages.
"""

import re
from dataclasses import dataclass
from datetime import date

from bot.okr.messages import Notice
from bot.services import addresses, roster
from bot.services import notes as review_notes
from bot.services import timezone as zones
from bot.services.checkins import away
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput
from bot.services.okrs import lists
from teams_in import mentions


@dataclass(frozen=True)
class Ask:
    """One typed command: who, the words after the command, and the zone Teams reported with it (if any)."""

    svc: Services
    user_id: str
    args: str
    reported_tz: str | None = None


EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
WHO = "Mention someone, like okr @Ann, or write their email: okr ann@example.com."
UNREAD = "okrbot couldn't tell who that mention is (Teams did not say). Write their email instead."


def names_a_person(word: str) -> bool:
    return bool(mentions.MARKER.fullmatch(word) or EMAIL.fullmatch(word) or mentions.has_unread_mention(word))


async def person_of(svc: Services, token: str) -> str:
    """A person id from a mention marker or an email; InvalidInput / NotFound say what is wrong."""
    mentioned = mentions.parse(token)
    if mentioned is not None:
        return await addresses.person_of_mention(
            svc, user_id=mentioned.user_id, aad_object_id=mentioned.aad_object_id, name=mentioned.name
        )
    if EMAIL.fullmatch(token.strip()):
        return await roster.person_by_address(svc, token)
    raise InvalidInput(UNREAD if mentions.has_unread_mention(token) else WHO)


async def person(ask: Ask):
    token = ask.args.split(maxsplit=1)[0] if ask.args.strip() else ""
    if not token:
        raise InvalidInput(WHO)
    return await lists.person_krs(ask.svc, viewer_id=ask.user_id, person_id=await person_of(ask.svc, token))


NOTES_WHO = "Mention the person: okr notes @person [cycle] (or their email)."


async def notes(ask: Ask):
    """`okr notes @person [cycle]`: Slack's /okr notes, for the person's line managers and HR (the service checks)."""
    token, _, cycle = ask.args.strip().partition(" ")
    if not token:
        raise InvalidInput(NOTES_WHO)
    if not names_a_person(token):
        raise InvalidInput(UNREAD if mentions.has_unread_mention(token) else NOTES_WHO)
    subject = await person_of(ask.svc, token)
    return await review_notes.list_notes(ask.svc, viewer_id=ask.user_id, subject_id=subject, cycle_name=cycle.strip())


async def parse_away(svc: Services, args: str) -> tuple[date, str | None]:
    """`until YYYY-MM-DD [delegate @person | delegate email]`, as Slack's parse_away reads it."""
    until, written = away.read_away(args, delegate=r"\S+")
    if written is None:
        return until, None
    if not names_a_person(written):
        raise InvalidInput(f"I couldn't read the delegate. {away.USAGE} (or an email after delegate)")
    return until, await person_of(svc, written)


async def go_away(ask: Ask) -> Notice:
    until, delegate = await parse_away(ask.svc, ask.args)
    done = await away.go_away(ask.svc, user_id=ask.user_id, until=until, delegate=delegate)
    who = (
        f" {_shown(ask.args.split()[-1])} gets your check-in prompts meanwhile."
        if done.delegate_id
        else " No check-in prompts or nudges meanwhile."
    )
    return Notice(f"You're away through {done.until:%A %-d %B %Y}.{who} Write okr back to return early.", "🌴")


def _shown(token: str) -> str:
    """How to name the delegate back to the person: the mention's name, or the email they typed."""
    mentioned = mentions.parse(token)
    return (mentioned.name or "Your delegate") if mentioned else token.lower()


async def come_back(ask: Ask):
    return await away.come_back(ask.svc, user_id=ask.user_id)


async def timezone(ask: Ask) -> Notice:
    notice = await zones.set_timezone(ask.svc, user_id=ask.user_id, name=ask.args)
    reported = ask.reported_tz
    if reported and reported != zones.zone_name(ask.args):
        text = (
            f"{notice.text} Note: Teams reports {reported} for your device with each message you send, and "
            f"okrbot follows what Teams reports, so your zone goes back to {reported} with your next message."
        )
        return Notice(text, notice.emoji)
    return notice
