"""The check-in reminder (nudge) for Teams: the KRs still waiting, each with the prompt card's inputs and buttons.

Without it the nudge fell back to bot.teams.cards.plain_text, which listed the message's raw fields. A Teams chat
has no threads, so the reminder is a new card in the chat, answerable like the prompt (or in plain words).
"""

from microsoft_teams.api import MessageActivityInput

from bot.okr.messages.checkins import CheckInNudge
from bot.teams.cards import _ask, card_activity, kr_line, render, run


@render.register
def _nudge(message: CheckInNudge) -> MessageActivityInput:
    cover = f" (for {message.covering_for})" if message.covering_for else ""
    heading = f"🔔 A reminder: these are still waiting for a check-in{cover}."
    body: list = [run(heading, bold=True), *(_ask(item) for item in message.missing)]
    body.append(run("Answer on the card, or reply here in plain words."))
    summary = "Reminder: still waiting for " + "; ".join(kr_line(i.number, i.kr) for i in message.missing)
    return card_activity(summary, body)
