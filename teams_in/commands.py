"""Text commands (`okr mine`, `okr team NAME`, `okr at-risk`, `okr next`, `okr help`): one service call each.

Typed in the 1:1 chat, or after an @mention in a channel (the mention is stripped first). Anything else
starting with "okr" gets the help card with a "did you mean". The answers are the same message objects as
Slack's /okr answers (bot.services.okrs.lists, checkins.away), rendered by bot.teams.
"""

import difflib
from collections.abc import Awaitable, Callable

from bot.services.checkins import away
from bot.services.kernel.context import Services
from bot.services.okrs import lists
from bot.teams.lists import CommandHelp
from teams_in.catalogue import COMMANDS, PREFIX

Run = Callable[[Services, str, str], Awaitable[object]]


async def _mine(svc: Services, user_id: str, args: str):
    return await lists.my_krs(svc, user_id=user_id)


async def _team(svc: Services, user_id: str, args: str):
    return await lists.team_view(svc, user_id=user_id, name=args)


async def _at_risk(svc: Services, user_id: str, args: str):
    return await lists.at_risk(svc, user_id=user_id, team_name=args)


async def _next(svc: Services, user_id: str, args: str):
    return await away.next_prompt(svc, user_id=user_id)


async def _help(svc: Services, user_id: str, args: str):
    return CommandHelp(COMMANDS)


RUNS: dict[str, Run] = {"mine": _mine, "team": _team, "at-risk": _at_risk, "next": _next, "help": _help}
TABLE = {name: RUNS[c.name] for c in COMMANDS for name in (c.name, *c.aliases)}


def split(text: str, *, prefix_optional: bool = False) -> tuple[str, str] | None:
    """`okr team Growth` -> ("team", "Growth"); None when the text is not a command (e.g. a check-in reply).

    In a channel the @mention already says the words are for okrbot, so "okr" may be left out there.
    """
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() == PREFIX:
        rest = words[1] if len(words) > 1 else ""
    elif prefix_optional:
        rest = text.strip()
    else:
        return None
    word, _, args = rest.strip().partition(" ")
    return word.lower(), args.strip()


async def run(svc: Services, *, user_id: str, word: str, args: str):
    """The message object answering one command; unknown words get the help, with a guess."""
    found = TABLE.get(word)
    if found is not None:
        return await found(svc, user_id, args)
    guesses = difflib.get_close_matches(word, list(TABLE), n=1, cutoff=0.6) if word else []
    return CommandHelp(COMMANDS, unknown=word, guess=guesses[0] if guesses else None)
