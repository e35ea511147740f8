"""The App Home tab (at most 100 blocks) and the review-people modal. No review note ever reaches these."""

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.okr.cadence import safe_zone
from bot.okr.messages.home import HomePage, ManagerOverview, ReviewPeople, TeamSummary
from bot.okr.progress import progress_bar
from bot.okr.types import Pacing
from bot.slack.builders.lines import PACING_EMOJI, capped_sections, percent
from bot.slack.builders.okrs.lists import kr_blocks
from bot.slack.ids import ViewAction, ViewCallback
from bot.slack.mrkdwn import clip, esc, mention
from bot.slack.render import render_view


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _when(at: datetime, zone: str) -> str:
    """`Monday 11 Jan at 10:00 (Europe/Berlin)`: the time in the person's own zone, named."""
    tz = safe_zone(zone)
    local = at.astimezone(tz)
    return f"{local:%A %-d %b} at {local:%H:%M} ({esc(tz.key)})"


def summary_text(s: TeamSummary) -> str:
    shown = [p for p in Pacing if p is not Pacing.TOO_EARLY or s.by_pacing.get(p.value)]
    counts = "  ".join(f"{PACING_EMOJI[p]} {s.by_pacing.get(p.value, 0)} {p.label}" for p in shown)
    bar = f"`{progress_bar(s.progress)}` {percent(s.progress)}"
    return f"*{esc(s.name)}*  {bar}  ·  {s.kr_count} KRs  ·  pace: {counts}"


def _my_section(page: HomePage) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Your key results")]
    if not page.my_krs:
        blocks.append(SectionBlock(text="You own no key results this cycle."))
    for i, v in enumerate(page.my_krs):
        blocks += kr_blocks(v, key=f"h{i}", editable=v.id in page.editable, objective=True)
    if page.more_krs:
        blocks.append(_context(f"…and {page.more_krs} more. `/okr mine` lists them all."))
    if page.next_prompt:
        when = _when(page.next_prompt, page.next_prompt_tz)
        blocks.append(_context(f":alarm_clock: I'll ask for your next check-in {when}."))
    return blocks


def _teams_section(page: HomePage) -> list[Block]:
    if not page.teams:
        return []
    text = "\n".join(summary_text(s) for s in page.teams)
    return [DividerBlock(), HeaderBlock(text="Your teams"), SectionBlock(text=clip(text))]


def _manager_text(m: ManagerOverview) -> str:
    period = "these two weeks" if m.cadence == "biweekly" else "this week"
    head = f"{clip(summary_text(m.summary), 1000)}\nNo check-in yet {period}: "
    if not m.missing:
        return head + "nobody :tada:"
    # Whole names only, then a count: cutting escaped text could leave half an `&amp;` behind.
    return capped_sections(head, [esc(n) for n in m.missing], sections=1)[0]


def _manager_section(page: HomePage) -> list[Block]:
    if not page.managed:
        return []
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Teams you manage")]
    blocks += [SectionBlock(text=clip(_manager_text(m))) for m in page.managed]
    notes = ButtonElement(text="Review notes", action_id=ViewAction.REVIEW_NOTES, value="notes")
    return [*blocks, ActionsBlock(block_id="manager", elements=[notes])]


def _admin_section(page: HomePage) -> list[Block]:
    if not page.is_admin:
        return []
    c = page.cycle
    state = f"Cycle *{esc(c.name)}* ({c.start:%b %-d} – {c.end:%b %-d}) is *{c.state}*." if c else "No active cycle."
    value = str(c.id) if c else ""
    buttons = [
        ButtonElement(text="Open a cycle", action_id=ViewAction.OPEN_CYCLE, value=value),
        ButtonElement(
            text="Close this cycle",
            action_id=ViewAction.CLOSE_CYCLE,
            value=value,
            style="danger",
            confirm=ConfirmObject(
                title="Close this cycle?",
                text="Check-in prompts and digests stop until a new cycle is opened.",
                confirm="Close it",
                deny="Cancel",
            ),
        ),
    ]
    return [
        DividerBlock(),
        HeaderBlock(text="Admin"),
        SectionBlock(text=state),
        ActionsBlock(block_id="admin", elements=buttons),
    ]


@render_view.register
def build_home(page: HomePage) -> View:
    blocks: list[Block] = []
    if page.cycle:
        c = page.cycle
        blocks.append(_context(f"OKR cycle *{esc(c.name)}* · {c.start:%b %-d} – {c.end:%b %-d}"))
        blocks += _my_section(page)
    else:
        blocks.append(SectionBlock(text="There's no active OKR cycle yet."))
    blocks += _teams_section(page) + _manager_section(page) + _admin_section(page)
    return View(type="home", blocks=blocks[:100])


def build_review_people(msg: ReviewPeople) -> View:
    lines = [f"• {esc(p.name)}: `/okr notes {mention(p.id)}`" for p in msg.people] or ["Nobody in your teams yet."]
    intro = "Your private review notes about someone are shown only to you: run the command below anywhere."
    people = capped_sections("", lines, sections=1, sep="\n")[0]  # whole lines (mentions), then a count
    blocks: list[Block] = [SectionBlock(text=intro), SectionBlock(text=people)]
    return View(
        type="modal", callback_id=ViewCallback.REVIEW_PEOPLE, title="Review notes", close="Close", blocks=blocks
    )
