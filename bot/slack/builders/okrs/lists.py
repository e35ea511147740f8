"""Block Kit for /okr mine, team, @person and at-risk: a page of KRs with Update/Edit buttons and Show more."""

from datetime import datetime

from bot.okr.messages.okrs import KRList, Page, TeamPage, TeamPicker
from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.slack import kit
from bot.slack.builders.lines import kr_line, objective_line
from bot.slack.ids import Action, ViewAction, kr_button_value
from bot.slack.mrkdwn import clip, esc, shorten
from bot.slack.render import Rendered, render

HEADER_LIMIT = 150


def slack_date(at: datetime | None) -> str:
    """A date Slack shows in the reader's own timezone."""
    if at is None:
        return "never"
    return f"<!date^{int(at.timestamp())}^{{date_short}}|{at:%Y-%m-%d}>"


def kr_blocks(v: KRView, *, key: str, editable: bool, objective: bool = False) -> list[dict]:
    """One KR: a section with its status, then its Update (and, if allowed, Edit) buttons."""
    text = kr_line(v)
    if objective and v.objective_title:
        text = f"_{esc(shorten(v.objective_title, 80))}_\n{text}"
    text += f"\nlast check-in: {slack_date(v.last_checkin_at)}"
    buttons = [kit.button("Update", action_id=Action.UPDATE_KR, value=kr_button_value(v.id))]
    if editable:
        buttons.append(kit.button("Edit", action_id=ViewAction.EDIT_KR, value=str(v.id)))
    return [kit.section(clip(text), block_id=f"{key}.s"), kit.actions(buttons, block_id=f"{key}.a")]


def more_blocks(page: Page) -> list[dict]:
    """Where we are in the list, and a Show more button when there is more."""
    if page.total <= page.offset + 1 and page.offset == 0:
        return []
    end = min(page.offset + 10, page.total)
    blocks = [kit.context(f"{page.offset + 1}–{end} of {page.total}")]
    if page.next_offset is not None:
        value = f"{page.next_offset}|{page.query}"
        blocks.append(
            kit.actions([kit.button("Show more", action_id=ViewAction.SHOW_MORE, value=value)], block_id="more")
        )
    return blocks


def _header(text: str) -> dict:
    return kit.header(shorten(text, HEADER_LIMIT))


@render.register
def build_kr_list(msg: KRList) -> Rendered:
    blocks = [_header(msg.title)]
    if msg.cycle_name:
        blocks.append(kit.context(f"Cycle {esc(msg.cycle_name)}"))
    if not msg.krs:
        blocks.append(kit.section(esc(msg.empty_text)))
    for i, v in enumerate(msg.krs):
        blocks += kr_blocks(v, key=f"kr{i}", editable=v.id in msg.editable, objective=True)
    blocks += more_blocks(msg.page)
    return Rendered(text=f"{esc(msg.title)}: {msg.page.total} key results", blocks=blocks)


def objective_blocks(o: ObjectiveView, *, key: str, can_manage: bool) -> list[dict]:
    text = clip(objective_line(o))
    if can_manage and not o.shared_from:
        button = kit.button("Edit", action_id=ViewAction.EDIT_OBJECTIVE, value=str(o.id))
        return [kit.section(text, block_id=key, accessory=button)]
    return [kit.section(text, block_id=key)]


@render.register
def build_team_page(msg: TeamPage) -> Rendered:
    blocks = [_header(f"Team {msg.team_name}")]
    if msg.cycle_name:
        blocks.append(kit.context(f"Cycle {esc(msg.cycle_name)}"))
    if not msg.objectives:
        blocks.append(kit.section(f"{esc(msg.team_name)} has no objectives this cycle yet."))
    for i, o in enumerate(msg.objectives):
        blocks += [kit.divider(), *objective_blocks(o, key=f"o{i}", can_manage=msg.can_manage)]
        for j, v in enumerate(o.krs):
            blocks += kr_blocks(v, key=f"o{i}k{j}", editable=v.id in msg.editable)
    blocks += more_blocks(msg.page)
    return Rendered(text=f"Team {esc(msg.team_name)}: {len(msg.objectives)} objectives", blocks=blocks)


@render.register
def build_team_picker(msg: TeamPicker) -> Rendered:
    options = [kit.option(text=shorten(t.name, 75), value=str(t.id)) for t in msg.teams[:100]]
    select = kit.static_select(placeholder="Pick a team", action_id=ViewAction.PICK_TEAM, options=options)
    blocks = [kit.section("You're in several teams. Which one?", block_id="pick", accessory=select)]
    return Rendered(text="Which team? " + ", ".join(esc(t.name) for t in msg.teams), blocks=blocks)
