"""Cards for the text commands: okr mine / team / at-risk (the same list objects as Slack's /okr) and okr help.

A list card shows one page (bot.okr.messages.okrs.PAGE_SIZE KRs) and says how many more there are;
paging buttons are a later slice. Text goes only into TextRuns (see bot.teams.cards).
"""

from dataclasses import dataclass

from microsoft_teams.api import MessageActivityInput

from bot.okr.messages.okrs import KRList, Page, TeamPage, TeamPicker
from bot.teams.cards import card_activity, emoji, kr_line, render, run


@dataclass(frozen=True)
class CommandHelp:
    """`okr help`, or the answer to a command okrbot does not know."""

    commands: tuple  # teams_in.catalogue.Command: usage and summary
    unknown: str | None = None
    guess: str | None = None


def _more(page: Page, shown: int) -> list:
    left = page.total - page.offset - shown
    return [run(f"…and {left} more.", subtle=True)] if left > 0 else []


def _owner(kr) -> str:
    return f" ({kr.owner_name})" if kr.owner_name else ""


@render.register
def _kr_list(message: KRList) -> MessageActivityInput:
    heading = message.title + (f" ({message.cycle_name})" if message.cycle_name else "")
    body = [run(heading, bold=True)]
    if not message.krs:
        body.append(run(emoji(message.empty_text)))
    body += [run(kr_line(0, kr) + _owner(kr)) for kr in message.krs]
    body += _more(message.page, len(message.krs))
    return card_activity(heading, body)


@render.register
def _team_page(message: TeamPage) -> MessageActivityInput:
    heading = message.team_name + (f" ({message.cycle_name})" if message.cycle_name else "")
    body = [run(heading, bold=True)]
    if not message.objectives:
        body.append(run("No objectives this cycle."))
    shown = 0
    for objective in message.objectives:
        shared = f" (from {objective.shared_from})" if objective.shared_from else ""
        body.append(run(f"{objective.title}{shared}: {objective.progress:.0%}", bold=True))
        body += [run(kr_line(0, kr) + _owner(kr)) for kr in objective.krs]
        shown += max(len(objective.krs), 1)
    body += _more(message.page, shown)
    return card_activity(heading, body)


@render.register
def _team_picker(message: TeamPicker) -> MessageActivityInput:
    names = ", ".join(t.name for t in message.teams)
    text = f"You're in several teams. Write okr team NAME with one of: {names}."
    return MessageActivityInput(text=text, text_format="plain")


@render.register
def _help(message: CommandHelp) -> MessageActivityInput:
    body = []
    if message.unknown:
        hint = f" Did you mean okr {message.guess}?" if message.guess else ""
        body.append(run(f"I don't know okr {message.unknown}.{hint}", bold=True))
    body.append(run("okrbot commands (write them here, or @mention okrbot in a channel):", bold=not message.unknown))
    body += [run(f"{c.usage}: {c.summary}") for c in message.commands]
    body.append(
        run(
            "To check in, answer your weekly prompt card, or reply to it in plain words: 42, at risk, waiting on legal."
        )
    )
    body.append(
        run(
            "OKRs are visible to everyone. Review notes about a person are private to their line managers "
            "(up the chain) and HR; nobody reads notes about themselves.",
            subtle=True,
        )
    )
    summary = (f"I don't know okr {message.unknown}. " if message.unknown else "") + "okrbot help"
    return card_activity(summary, body)
