"""`okr home`: the "My OKRs" card, Teams' counterpart of Slack's App Home tab (the same HomePage read model).

A card in the 1:1 chat, not a personal tab: a tab is a web page okrbot would have to host and secure (HTTPS,
Teams SSO, a content URL in the manifest), while a card needs nothing beyond the bot (docs/teams.md says more).
Each KR the person may check in on gets an **Update** button (Action.ShowCard) that opens the same inputs as
the prompt card, with Save and No change: the card answers teams_in.cards already handles. Never a review note:
HomePage cannot hold one.
"""

from datetime import datetime

from microsoft_teams.api import MessageActivityInput
from microsoft_teams.cards import ActionSet, AdaptiveCard, Container, ShowCardAction, TextInput

from bot.okr.cadence import safe_zone
from bot.okr.messages.home import HomePage, ManagerOverview, TeamSummary
from bot.okr.messages.read_models import KRView
from bot.okr.types import Pacing
from bot.teams.cards import (
    CARD_VERSION,
    Verb,
    _confidence_input,
    _value_input,
    card_activity,
    execute,
    input_id,
    kr_line,
    render,
    run,
)


def _when(at: datetime, zone: str) -> str:
    tz = safe_zone(zone)
    local = at.astimezone(tz)
    return f"{local:%A %-d %b} at {local:%H:%M} ({tz.key})"


def summary_text(s: TeamSummary) -> str:
    shown = [p for p in Pacing if p is not Pacing.TOO_EARLY or s.by_pacing.get(p.value)]
    counts = ", ".join(f"{s.by_pacing.get(p.value, 0)} {p.label}" for p in shown)
    return f"{s.name}: {s.progress:.0%} · {s.kr_count} KRs · pace: {counts}"


def _update(kr: KRView) -> ShowCardAction:
    """The prompt card's inputs for this KR, behind one button, so the dashboard stays short."""
    comment = TextInput(id=input_id("comment", kr.id), label="Comment (optional)", is_multiline=True)
    buttons = ActionSet(
        actions=[
            execute("Save", Verb.CHECKIN, inputs=True, kr=kr.id),
            execute("No change", Verb.NO_CHANGE, kr=kr.id),
        ]
    )
    form = AdaptiveCard(version=CARD_VERSION, body=[_value_input(kr), _confidence_input(kr), comment, buttons])
    return ShowCardAction(title="Update", card=form)


def _kr(kr: KRView, editable: bool) -> Container:
    items: list = [run(kr_line(0, kr), bold=True)]
    if kr.objective_title:
        items.append(run(kr.objective_title, subtle=True))
    if editable:
        items.append(ActionSet(actions=[_update(kr)]))
    return Container(items=items)


def _manager(m: ManagerOverview) -> list:
    period = "these two weeks" if m.cadence == "biweekly" else "this week"
    missing = ", ".join(m.missing) if m.missing else "nobody 🎉"
    return [run(summary_text(m.summary)), run(f"No check-in yet {period}: {missing}", subtle=True)]


@render.register
def _home(page: HomePage) -> MessageActivityInput:
    cycle = f" ({page.cycle.name})" if page.cycle else ""
    body: list = [run(f"My OKRs{cycle}", bold=True)]
    if page.cycle is None:
        body.append(run("There is no active OKR cycle yet."))
        return card_activity("My OKRs", body)
    body.append(run("Your key results", bold=True))
    if not page.my_krs:
        body.append(run("You own no key results this cycle."))
    body += [_kr(kr, kr.id in page.editable) for kr in page.my_krs]
    if page.more_krs:
        body.append(run(f"…and {page.more_krs} more. okr mine lists them all.", subtle=True))
    if page.next_prompt:
        body.append(run(f"⏰ I'll ask for your next check-in {_when(page.next_prompt, page.next_prompt_tz)}."))
    if page.teams:
        body.append(run("Your teams", bold=True))
        body += [run(summary_text(s)) for s in page.teams]
    if page.managed:
        body.append(run("Teams you manage", bold=True))
        body += [line for m in page.managed for line in _manager(m)]
    body.append(run("Write okr home again for a fresh view.", subtle=True))
    summary = f"My OKRs{cycle}: " + "; ".join(kr_line(0, kr) for kr in page.my_krs[:5])
    return card_activity(summary, body)
