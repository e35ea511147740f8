"""Block Kit for team digests, manager digests, and per-person review sections.

Always within 50 blocks: a digest that would not fit in full is condensed to one section per
objective, and beyond that the remaining objectives are summarised by count with a pointer.
"""

from bot.okr.messages.digests import DigestMessage, ManagerDigest, PersonSection
from bot.okr.messages.read_models import KRView
from bot.okr.progress import format_delta, format_value
from bot.okr.types import Pacing
from bot.slack import kit
from bot.slack.builders.lines import (
    blockers_text,
    capped_sections,
    kr_line,
    objective_line,
    percent,
    status_emoji,
    value_text,
)
from bot.slack.ids import DigestId
from bot.slack.mrkdwn import esc, mention, shorten
from bot.slack.render import Rendered, render

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
MISSING_SECTIONS = 3  # the "not checked in" list's share of the 50 blocks
FALLBACK_NAMES = 30  # names in the notification text; the blocks carry the rest


def _delta_text(m: DigestMessage, v: KRView) -> str:
    d = m.delta(v.id)
    since = "since the start" if m.first else "since last digest"
    return "" if d is None else f"{format_delta(d, v.unit)} {since}"


def _score_text(m: DigestMessage, v: KRView) -> str:
    if not m.header.final_week:
        return ""
    return f"score *{format_value(v.score)}*" if v.score is not None else "not scored yet"


def _kr_full(m: DigestMessage, v: KRView) -> str:
    extra = "  ·  ".join(t for t in (_delta_text(m, v), _score_text(m, v)) if t)
    line = kr_line(v, comment=False, blockers=False) + (f"  ·  {extra}" if extra else "")
    if v.last_comment:
        line += f"\n> {esc(shorten(v.last_comment.replace(chr(10), ' '), 140))}"
    if blockers_text(v):
        line += f"\n{blockers_text(v)}"
    return line


def _kr_compact(m: DigestMessage, v: KRView) -> str:
    parts = [
        f"• {esc(shorten(v.title, 80))}",
        f"{value_text(v)} ({percent(v.progress)})",
        status_emoji(v),
    ]
    parts += [t for t in (_delta_text(m, v), _score_text(m, v), blockers_text(v, 80)) if t]
    return "  ".join(parts)


def _summary(m: DigestMessage) -> str:
    status = " · ".join(_status_counts(m))
    text = f"*Summary:* average progress {percent(m.summary.average)} · {m.summary.kr_count} KRs by pace: {status}"
    if m.summary.score_average is not None:
        text += f"\n:trophy: *Average score:* {format_value(round(m.summary.score_average, 2))}"
    return text


def _status_counts(m: DigestMessage) -> list[str]:
    """KR counts by pace, e.g. `3 on track`; "too early to tell" only when some KR is (the cycle's first days)."""
    counts = dict(m.summary.by_status)
    return [f"{counts.get(p, 0)} {p.label}" for p in Pacing if p is not Pacing.TOO_EARLY or counts.get(p)]


def _missing(m: DigestMessage) -> list[str]:
    """Who has not checked in, in at most MISSING_SECTIONS sections whatever the team's size."""
    if not m.missing:
        return [":tada: *Everyone has checked in.*"]
    names = [mention(p.id) if m.mention_missing else esc(p.name) for p in m.missing]
    return capped_sections("*Not checked in yet:* ", names, sections=MISSING_SECTIONS)


def _head(m: DigestMessage) -> list:
    h = m.header
    title = f"{h.team_name} · {h.cycle_name} · week {h.week} of {h.weeks}"
    blocks = [kit.header(title[:150])]
    notes = []
    if m.preview:
        notes.append("Preview of this period's digest as it stands now. Only you can see this.")
    if h.final_week:
        notes.append(":checkered_flag: Final week of the cycle: scores are in.")
    if m.updated_at:
        zone = f" ({esc(m.timezone)})" if m.timezone else ""
        notes.append(f"updated {m.updated_at}{zone}")
    if notes:
        blocks.append(kit.context(" · ".join(notes)))
    return blocks


def _chunks(lines: list[str]) -> list[str]:
    out, cur = [], ""
    for line in lines:
        line = line[:SECTION_LIMIT]
        if cur and len(cur) + 1 + len(line) > SECTION_LIMIT:
            out.append(cur)
            cur = line
        else:
            cur = f"{cur}\n{line}" if cur else line
    return out + ([cur] if cur else [])


def _objectives_full(m: DigestMessage) -> list:
    blocks = []
    for o in m.objectives:
        blocks.append(kit.section(objective_line(o)))
        blocks += [kit.section(_kr_full(m, v)) for v in o.krs]
    return blocks


def _objectives_condensed(m: DigestMessage, budget: int, team: str) -> list:
    blocks: list = []
    for i, o in enumerate(m.objectives):
        texts = _chunks([objective_line(o), *(_kr_compact(m, v) for v in o.krs)])
        if len(blocks) + len(texts) > budget - 1:
            rest = len(m.objectives) - i
            blocks.append(kit.context(f"…and {rest} more objectives. See them all with `/okr team {esc(team)}`."))
            break
        blocks += [kit.section(t) for t in texts]
    return blocks


def digest_blocks(m: DigestMessage, *, budget: int = MAX_BLOCKS) -> list:
    """The digest within `budget` blocks: in full if it fits, else condensed."""
    tail = [kit.divider(), kit.section(_summary(m)), *(kit.section(t) for t in _missing(m))]
    head = _head(m)
    room = budget - len(head) - len(tail)
    body = _objectives_full(m)
    if len(body) > room:
        body = _objectives_condensed(m, room, m.header.team_name)
    return head + body + tail


def digest_text(m: DigestMessage) -> str:
    h = m.header
    status = ", ".join(_status_counts(m))
    missing = ", ".join(esc(p.name) for p in m.missing[:FALLBACK_NAMES]) or "nobody"
    if len(m.missing) > FALLBACK_NAMES:
        missing += f" and {len(m.missing) - FALLBACK_NAMES} more"
    return (
        f"{esc(h.team_name)} OKR digest · {esc(h.cycle_name)} · week {h.week} of {h.weeks}: "
        f"average progress {percent(m.summary.average)}; {status}. Not checked in yet: {missing}."
    )


@render.register
def _digest(m: DigestMessage) -> Rendered:
    return Rendered(text=digest_text(m), blocks=digest_blocks(m))


@render.register
def _manager_digest(m: ManagerDigest) -> Rendered:
    intro = (
        f"Your manager digest for *{esc(m.digest.header.team_name)}*. One message per person follows; "
        "reply in a person's thread to keep a private review note about them."
    )
    blocks = [kit.context(intro), *digest_blocks(m.digest, budget=MAX_BLOCKS - 1)]
    return Rendered(text="Manager digest: " + digest_text(m.digest), blocks=blocks)


@render.register
def _person(s: PersonSection) -> Rendered:
    # A name never learnt is shown as a mention (Slack shows the manager the name), never as "U0BOB".
    name = mention(s.subject_id) if not s.subject_name or s.subject_name == s.subject_id else esc(s.subject_name)
    lines = [f":bust_in_silhouette: *{name}*  ·  {esc(s.team_name)}"]
    for v in s.krs[:30]:
        lines.append(f"• *{esc(shorten(v.title, 80))}* {value_text(v)} ({percent(v.progress)})  ·  {status_emoji(v)}")
        if blockers_text(v):
            lines.append(f"    {blockers_text(v)}")
    if not s.krs:
        lines.append("_No KRs of their own this cycle._")
    zone = f" ({esc(s.zone)})" if s.zone else ""
    last = f"Last check-in: {s.last_checkin_local}{zone}" if s.last_checkin_local else "No check-in yet this cycle"
    lines.append(f"{last}" + ("  ·  :warning: *missing this period*" if s.missing else ""))
    blocks = [kit.section(t) for t in _chunks(lines)][:45] + [
        kit.actions([kit.button("Add review note", action_id=DigestId.ADD_NOTE, value=s.subject_id[:2000])]),
        kit.context(f":lock: Reply in this thread to save a private review note about {name}."),
    ]
    state = "missing this period" if s.missing else "checked in"
    return Rendered(text=f"{name}: {len(s.krs)} KRs, {state}. Reply in the thread for a review note.", blocks=blocks)
