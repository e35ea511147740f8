"""mrkdwn fragments for OKR views, shared by prompts, digests, /okr output and the Home tab."""

from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.okr.progress import format_delta, format_value, progress_bar
from bot.okr.types import Confidence, KRKind, Pacing
from bot.slack.mrkdwn import SECTION_LIMIT, clip, esc, shorten

CONFIDENCE_EMOJI = {
    Confidence.ON_TRACK: ":large_green_circle:",
    Confidence.AT_RISK: ":large_yellow_circle:",
    Confidence.OFF_TRACK: ":red_circle:",
}
PACING_EMOJI = {
    Pacing.ON_TRACK: ":white_check_mark:",
    Pacing.AT_RISK: ":warning:",
    Pacing.BEHIND: ":snail:",
    Pacing.TOO_EARLY: ":hourglass_flowing_sand:",
}
COMMENT_LIMIT = 140
BLOCKERS_LIMIT = 200  # a blocker is worth more room than a comment, yet must not swamp a digest
CHILDREN_SHOWN = 5  # aligned objectives named under their parent; the rest are counted


def confidence_text(c: Confidence | None) -> str:
    return f"{CONFIDENCE_EMOJI[c]} {c.label}" if c else ":white_circle: no check-in yet"


def pacing_text(p: Pacing) -> str:
    return f"{PACING_EMOJI[p]} {p.label}"


def status_text(v: KRView) -> str:
    """The owner's confidence and the pace of the numbers, each labelled: two statuses side by side."""
    return f"confidence: {confidence_text(v.confidence)}  ·  pace: {pacing_text(v.pacing)}"


def status_emoji(v: KRView) -> str:
    """The compact form of status_text, still labelled (condensed digests)."""
    return f"confidence {CONFIDENCE_EMOJI.get(v.confidence, ':white_circle:')} pace {PACING_EMOJI[v.pacing]}"


def blockers_text(v: KRView, limit: int = BLOCKERS_LIMIT) -> str:
    """`:construction: Blockers: …` from the latest check-in (escaped, on one line), or ""."""
    if not v.blockers.strip():
        return ""
    return f":construction: *Blockers:* {esc(shorten(' '.join(v.blockers.split()), limit))}"


def value_text(v: KRView) -> str:
    """`42% / 45%` for numbers, `done` / `not done` for binary KRs."""
    if v.kind is KRKind.BINARY:
        return "done" if v.current >= 1 else "not done"
    return f"{format_value(v.current, v.unit)} / {format_value(v.target, v.unit)}"


def percent(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


def expected_text(v: KRView) -> str:
    """Expected value today and the gap to it, e.g. `expected 36% today (▼ -4%)`."""
    if v.kind is KRKind.BINARY:
        return "due by the end of the cycle" if v.expected_value < 1 else "expected done by now"
    if v.pacing is Pacing.TOO_EARLY:
        return "the cycle has just started: too early to judge the pace"
    gap = format_delta(v.gap, v.unit)
    return f"expected {format_value(v.expected_value, v.unit)} today ({gap})"


def kr_line(v: KRView, *, owner: bool = True, comment: bool = True, blockers: bool = True) -> str:
    """One KR as mrkdwn: title, bar, value/target, %, labelled confidence and pace, blockers; user text escaped."""
    head = f"*{esc(v.title)}*" + (f"  ·  {esc(v.owner_name)}" if owner else "")
    body = f"`{progress_bar(v.progress)}` {percent(v.progress)}  ·  {value_text(v)}\n{status_text(v)}"
    line = f"{head}\n{body}"
    if comment and v.last_comment:
        line += f"\n> {esc(shorten(v.last_comment, COMMENT_LIMIT))}"
    if blockers and blockers_text(v):
        line += f"\n{blockers_text(v)}"
    return line


def _aligned(a) -> str:
    team = f" ({esc(a.team_name)})" if a.team_name else ""
    return f"{esc(shorten(a.title, 80))}{team}"


def alignment_text(o: ObjectiveView) -> str:
    """Where the objective sits: "aligned under X", and the aligned objectives its roll-up includes."""
    lines = [f"_aligned under {_aligned(o.parent)}_"] if o.parent else []
    if o.children:
        shown = [f"{_aligned(c)} {percent(c.progress)}" for c in o.children[:CHILDREN_SHOWN]]
        more = len(o.children) - CHILDREN_SHOWN
        lines.append("_includes aligned:_ " + ", ".join(shown) + (f", …and {more} more" if more > 0 else ""))
    return "\n".join(lines)


def objective_line(o: ObjectiveView) -> str:
    shared = f"  _(shared from {esc(o.shared_from)})_" if o.shared_from else ""
    line = f":dart: *{esc(o.title)}*{shared}\n`{progress_bar(o.progress)}` {percent(o.progress)}"
    aligned = alignment_text(o)
    return f"{line}\n{aligned}" if aligned else line


def capped_sections(head: str, items: list[str], *, sections: int, sep: str = ", ") -> list[str]:
    """`head` then `items` (already-escaped mrkdwn) packed into at most `sections` texts of at most 3,000
    characters each, never cutting an item; what does not fit ends as "…and N more".

    Lists that grow with team size (who has not checked in) must render for any team size: Slack refuses
    a section over 3,000 characters and a message over 50 blocks, and a refused digest is a lost digest.
    """
    out: list[str] = []
    cur, fresh = head, True
    for i, item in enumerate(clip(x, SECTION_LIMIT // 4) for x in items):
        more = len(items) - i - 1
        last = len(out) == sections - 1
        piece = item if fresh else sep + item
        room = SECTION_LIMIT - (len(f"{sep}…and {more} more") if last and more else 0)
        if len(cur) + len(piece) > room and not last:
            out.append(cur)
            cur, fresh, last, piece = "", True, len(out) == sections - 1, item
            room = SECTION_LIMIT - (len(f"{sep}…and {more} more") if last and more else 0)
        if len(cur) + len(piece) > room:
            return [*out, cur + ("" if fresh else sep) + f"…and {more + 1} more"]
        cur, fresh = cur + piece, False
    return [*out, cur]
