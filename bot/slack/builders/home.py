"""The App Home tab (at most 100 blocks) and the review-people modal. No review note ever reaches these."""

from datetime import datetime

from bot.okr.cadence import safe_zone
from bot.okr.messages.home import HomePage, ManagerOverview, ReviewPeople, TeamSummary
from bot.okr.progress import progress_bar
from bot.okr.types import Pacing
from bot.slack import kit
from bot.slack.builders.lines import PACING_EMOJI, capped_sections, percent
from bot.slack.builders.okrs.lists import kr_blocks
from bot.slack.ids import ViewAction, ViewCallback
from bot.slack.mrkdwn import clip, esc, mention
from bot.slack.render import render_view


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


def _my_section(page: HomePage) -> list[dict]:
    blocks = [kit.header("Your key results")]
    if not page.my_krs:
        blocks.append(kit.section("You own no key results this cycle."))
    for i, v in enumerate(page.my_krs):
        blocks += kr_blocks(v, key=f"h{i}", editable=v.id in page.editable, objective=True)
    if page.more_krs:
        blocks.append(kit.context(f"…and {page.more_krs} more. `/okr mine` lists them all."))
    if page.next_prompt:
        when = _when(page.next_prompt, page.next_prompt_tz)
        blocks.append(kit.context(f":alarm_clock: I'll ask for your next check-in {when}."))
    return blocks


def _teams_section(page: HomePage) -> list[dict]:
    if not page.teams:
        return []
    text = "\n".join(summary_text(s) for s in page.teams)
    return [kit.divider(), kit.header("Your teams"), kit.section(clip(text))]


def _manager_text(m: ManagerOverview) -> str:
    period = "these two weeks" if m.cadence == "biweekly" else "this week"
    head = f"{clip(summary_text(m.summary), 1000)}\nNo check-in yet {period}: "
    if not m.missing:
        return head + "nobody :tada:"
    # Whole names only, then a count: cutting escaped text could leave half an `&amp;` behind.
    return capped_sections(head, [esc(n) for n in m.missing], sections=1)[0]


def _manager_section(page: HomePage) -> list[dict]:
    if not page.managed:
        return []
    blocks = [kit.divider(), kit.header("Teams you manage")]
    blocks += [kit.section(clip(_manager_text(m))) for m in page.managed]
    notes = kit.button("Review notes", action_id=ViewAction.REVIEW_NOTES, value="notes")
    return [*blocks, kit.actions([notes], block_id="manager")]


def _admin_section(page: HomePage) -> list[dict]:
    if not page.is_admin:
        return []
    c = page.cycle
    state = f"Cycle *{esc(c.name)}* ({c.start:%b %-d} – {c.end:%b %-d}) is *{c.state}*." if c else "No active cycle."
    value = str(c.id) if c else ""
    buttons = [
        kit.button("Open a cycle", action_id=ViewAction.OPEN_CYCLE, value=value),
        kit.button(
            "Close this cycle",
            action_id=ViewAction.CLOSE_CYCLE,
            value=value,
            style="danger",
            confirm=kit.confirm_dialog(
                title="Close this cycle?",
                text="Check-in prompts and digests stop until a new cycle is opened.",
                confirm="Close it",
                deny="Cancel",
            ),
        ),
    ]
    return [kit.divider(), kit.header("Admin"), kit.section(state), kit.actions(buttons, block_id="admin")]


@render_view.register
def build_home(page: HomePage) -> dict:
    blocks: list[dict] = []
    if page.cycle:
        c = page.cycle
        blocks.append(kit.context(f"OKR cycle *{esc(c.name)}* · {c.start:%b %-d} – {c.end:%b %-d}"))
        blocks += _my_section(page)
    else:
        blocks.append(kit.section("There's no active OKR cycle yet."))
    blocks += _teams_section(page) + _manager_section(page) + _admin_section(page)
    return kit.view(type="home", blocks=blocks[:100])


def build_review_people(msg: ReviewPeople) -> dict:
    lines = [f"• {esc(p.name)}: `/okr notes {mention(p.id)}`" for p in msg.people] or ["Nobody in your teams yet."]
    intro = "Your private review notes about someone are shown only to you: run the command below anywhere."
    people = capped_sections("", lines, sections=1, sep="\n")[0]  # whole lines (mentions), then a count
    blocks = [kit.section(intro), kit.section(people)]
    return kit.view(
        type="modal", callback_id=ViewCallback.REVIEW_PEOPLE, title="Review notes", close="Close", blocks=blocks
    )
