"""Digest cards for Teams, from the same plain objects as Slack's digest builders (bot.okr.messages.digests).

The team digest goes to the team's Teams channel and is replaced in place after a late check-in; the manager
digest goes to each manager's 1:1 chat, followed by one card per person they manage, with Add note and Show notes
buttons that open dialogs (bot.teams.notes); a manager's quoted reply to a per-person card is a note too
(teams_in.note_replies, docs/teams.md).
Text goes only into TextRuns (bot.teams.cards), so a title shows as typed. People are named, not @mentioned.
"""

from microsoft_teams.api import MessageActivityInput

from bot.okr.messages.digests import DigestMessage, ManagerDigest, PersonSection
from bot.okr.messages.read_models import KRView
from bot.teams.cards import _number, card_activity, kr_line, render, run
from bot.teams.notes import note_buttons

MAX_PEOPLE_SHOWN = 30  # names in "no check-in yet"; the rest are counted


def _title(m: DigestMessage) -> str:
    h = m.header
    title = f"{h.team_name} digest: {h.cycle_name}, week {h.week} of {h.weeks}"
    return title + (" (final week)" if h.final_week else "")


def _kr(m: DigestMessage, kr: KRView) -> str:
    line = kr_line(0, kr) + (f" ({kr.owner_name})" if kr.owner_name else "")
    change = m.delta(kr.id)
    if change:
        since = "the start" if m.first else "last digest"
        line += f", {'+' if change > 0 else ''}{_number(round(change, 2))} since {since}"
    if kr.score is not None:
        line += f", score {_number(round(kr.score, 2))}"
    return line


def _summary(m: DigestMessage) -> str:
    counts = ", ".join(f"{n} {p.label}" for p, n in m.summary.by_status if n)
    text = f"Average progress {m.summary.average:.0%}, {m.summary.kr_count} KRs" + (f": {counts}" if counts else "")
    if m.summary.score_average is not None:
        text += f". Average score {_number(round(m.summary.score_average, 2))}"
    return text


def _missing(m: DigestMessage) -> list:
    if not m.missing:
        return [run("Everyone has checked in this period.", subtle=True)]
    names = [p.name for p in m.missing[:MAX_PEOPLE_SHOWN]]
    more = len(m.missing) - len(names)
    return [run("No check-in yet: " + ", ".join(names) + (f" and {more} more" if more > 0 else ""))]


def digest_body(m: DigestMessage) -> list:
    body = [run(_title(m), bold=True)]
    if m.updated_at:
        body.append(run(f"Updated at {m.updated_at} after a late check-in", subtle=True))
    if not m.objectives:
        body.append(run("No objectives this cycle."))
    for objective in m.objectives:
        shared = f" (from {objective.shared_from})" if objective.shared_from else ""
        body.append(run(f"{objective.title}{shared}: {objective.progress:.0%}", bold=True))
        body += [run(_kr(m, kr)) for kr in objective.krs]
    return [*body, run(_summary(m)), *_missing(m)]


@render.register
def _digest(m: DigestMessage) -> MessageActivityInput:
    return card_activity(f"{_title(m)}. {_summary(m)}", digest_body(m))


@render.register
def _manager_digest(m: ManagerDigest) -> MessageActivityInput:
    intro = f"Your manager digest for {m.digest.header.team_name}"
    intro += f": one card per person you manage follows ({m.people})." if m.people else "."
    return card_activity(f"Manager digest: {_title(m.digest)}", [run(intro, bold=True), *digest_body(m.digest)])


@render.register
def _person(s: PersonSection) -> MessageActivityInput:
    state = "no check-in this period" if s.missing else "checked in"
    last = f"last check-in {s.last_checkin_local}" if s.last_checkin_local else "never checked in"
    body = [run(f"{s.subject_name} ({s.team_name}): {state}, {last}", bold=True)]
    body += [run(kr_line(0, kr)) for kr in s.krs[:MAX_PEOPLE_SHOWN]] or [run("No KRs of their own this cycle.")]
    return card_activity(f"{s.subject_name}: {len(s.krs)} KRs, {state}", body, note_buttons(s.subject_id))
