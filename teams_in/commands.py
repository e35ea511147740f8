"""Text commands (`okr mine`, `okr team NAME`, `okr @person`, `okr away …`, …): one service call each.

Typed in the 1:1 chat, or after an @mention in a channel (the mention is stripped first, other people's
mentions are markers by then: teams_in.mentions). Anything else starting with "okr" gets the help card with a
"did you mean". The answers are the same message objects as Slack's /okr answers (bot.services.okrs.lists,
checkins.away, home), rendered by bot.teams; the person commands are in teams_in.person_commands.
"""

import difflib
from collections.abc import Awaitable, Callable

from bot.services import home
from bot.services.checkins import away
from bot.services.kernel.context import Services
from bot.services.okrs import lists
from bot.teams import home as home_card  # noqa: F401 - registers the My OKRs card with render
from bot.teams import notes as notes_card  # noqa: F401 - registers the NoteList card (okr notes) with render
from bot.teams.lists import CommandHelp
from teams_in import person_commands
from teams_in.catalogue import COMMANDS, PERSON, PREFIX
from teams_in.person_commands import Ask

Run = Callable[[Ask], Awaitable[object]]


async def _mine(ask: Ask):
    return await lists.my_krs(ask.svc, user_id=ask.user_id)


async def _team(ask: Ask):
    return await lists.team_view(ask.svc, user_id=ask.user_id, name=ask.args)


async def _at_risk(ask: Ask):
    return await lists.at_risk(ask.svc, user_id=ask.user_id, team_name=ask.args)


async def _next(ask: Ask):
    return await away.next_prompt(ask.svc, user_id=ask.user_id)


async def _home(ask: Ask):
    return await home.build_home(ask.svc, user_id=ask.user_id)


async def _help(ask: Ask):
    return CommandHelp(COMMANDS)


RUNS: dict[str, Run] = {
    "mine": _mine,
    "team": _team,
    "at-risk": _at_risk,
    PERSON: person_commands.person,
    "next": _next,
    "home": _home,
    "away": person_commands.go_away,
    "back": person_commands.come_back,
    "timezone": person_commands.timezone,
    "help": _help,
    "notes": person_commands.notes,
}
TABLE = {name: RUNS[c.name] for c in COMMANDS for name in (c.name, *c.aliases) if name != PERSON}
# Answered only in the person's 1:1 chat: a channel would show everyone their dashboard, absence, zone or notes.
PERSONAL = frozenset({"home", "away", "back", "timezone", "tz", "notes"})
ONLY_IN_CHAT = "okr {word} is answered in your 1:1 chat with okrbot (find okrbot under Apps), not in a channel."


def split(text: str, *, prefix_optional: bool = False) -> tuple[str, str] | None:
    """`okr team Growth` -> ("team", "Growth"); None when the text is not a command (e.g. a check-in reply).

    `okr <mention>` and `okr ann@example.com` -> (PERSON, the rest). In a channel the @mention already says the
    words are for okrbot, so "okr" may be left out there.
    """
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() == PREFIX:
        rest = words[1] if len(words) > 1 else ""
    elif prefix_optional:
        rest = text.strip()
    else:
        return None
    word, _, args = rest.strip().partition(" ")
    if person_commands.names_a_person(word):
        return PERSON, rest.strip()
    return word.lower(), args.strip()


async def run(svc: Services, *, user_id: str, word: str, args: str, reported_tz: str | None = None):
    """The message object answering one command; unknown words get the help, with a guess."""
    found = RUNS.get(PERSON) if word == PERSON else TABLE.get(word)
    if found is not None:
        return await found(Ask(svc, user_id, args, reported_tz))
    guesses = difflib.get_close_matches(word, list(TABLE), n=1, cutoff=0.6) if word else []
    return CommandHelp(COMMANDS, unknown=word, guess=guesses[0] if guesses else None)
