"""Block Kit for /okr mine, team, @person and at-risk: a page of KRs with Update/Edit buttons and Show more."""

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.okr.messages.okrs import KRList, Page, TeamPage, TeamPicker
from bot.okr.messages.read_models import KRView, ObjectiveView
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


def kr_blocks(v: KRView, *, key: str, editable: bool, objective: bool = False) -> list[Block]:
    """One KR: a section with its status, then its Update (and, if allowed, Edit) buttons."""
    text = kr_line(v)
    if objective and v.objective_title:
        text = f"_{esc(shorten(v.objective_title, 80))}_\n{text}"
    text += f"\nlast check-in: {slack_date(v.last_checkin_at)}"
    buttons = [ButtonElement(text="Update", action_id=Action.UPDATE_KR, value=kr_button_value(v.id))]
    if editable:
        buttons.append(ButtonElement(text="Edit", action_id=ViewAction.EDIT_KR, value=str(v.id)))
    return [SectionBlock(block_id=f"{key}.s", text=clip(text)), ActionsBlock(block_id=f"{key}.a", elements=buttons)]


def more_blocks(page: Page) -> list[Block]:
    """Where we are in the list, and a Show more button when there is more."""
    if page.total <= page.offset + 1 and page.offset == 0:
        return []
    end = min(page.offset + 10, page.total)
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=f"{page.offset + 1}–{end} of {page.total}")])]
    if page.next_offset is not None:
        value = f"{page.next_offset}|{page.query}"
        blocks.append(
            ActionsBlock(
                block_id="more", elements=[ButtonElement(text="Show more", action_id=ViewAction.SHOW_MORE, value=value)]
            )
        )
    return blocks


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=shorten(text, HEADER_LIMIT))


@render.register
def build_kr_list(msg: KRList) -> Rendered:
    blocks: list[Block] = [_header(msg.title)]
    if msg.cycle_name:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Cycle {esc(msg.cycle_name)}")]))
    if not msg.krs:
        blocks.append(SectionBlock(text=esc(msg.empty_text)))
    for i, v in enumerate(msg.krs):
        blocks += kr_blocks(v, key=f"kr{i}", editable=v.id in msg.editable, objective=True)
    blocks += more_blocks(msg.page)
    return Rendered(text=f"{esc(msg.title)}: {msg.page.total} key results", blocks=blocks)


def objective_blocks(o: ObjectiveView, *, key: str, can_manage: bool) -> list[Block]:
    text = clip(objective_line(o))
    if can_manage and not o.shared_from:
        button = ButtonElement(text="Edit", action_id=ViewAction.EDIT_OBJECTIVE, value=str(o.id))
        return [SectionBlock(block_id=key, text=text, accessory=button)]
    return [SectionBlock(block_id=key, text=text)]


@render.register
def build_team_page(msg: TeamPage) -> Rendered:
    blocks: list[Block] = [_header(f"Team {msg.team_name}")]
    if msg.cycle_name:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Cycle {esc(msg.cycle_name)}")]))
    if not msg.objectives:
        blocks.append(SectionBlock(text=f"{esc(msg.team_name)} has no objectives this cycle yet."))
    for i, o in enumerate(msg.objectives):
        blocks += [DividerBlock(), *objective_blocks(o, key=f"o{i}", can_manage=msg.can_manage)]
        for j, v in enumerate(o.krs):
            blocks += kr_blocks(v, key=f"o{i}k{j}", editable=v.id in msg.editable)
    blocks += more_blocks(msg.page)
    return Rendered(text=f"Team {esc(msg.team_name)}: {len(msg.objectives)} objectives", blocks=blocks)


@render.register
def build_team_picker(msg: TeamPicker) -> Rendered:
    options = [Option(text=shorten(t.name, 75), value=str(t.id)) for t in msg.teams[:100]]
    select = StaticSelectElement(placeholder="Pick a team", action_id=ViewAction.PICK_TEAM, options=options)
    blocks = [SectionBlock(block_id="pick", text="You're in several teams. Which one?", accessory=select)]
    return Rendered(text="Which team? " + ", ".join(esc(t.name) for t in msg.teams), blocks=blocks)
