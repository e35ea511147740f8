"""Block Kit for the check-in loop: prompt, nudge, confirmations, "couldn't read that", and the modal."""

import json

from bot.okr.messages.checkins import (
    AwayNotice,
    CheckInForm,
    CheckInHowTo,
    CheckInNudge,
    CheckInPrompt,
    CheckInRecorded,
    FormContext,
    KRChoice,
    PromptItem,
    ReplyNotUnderstood,
    ReplyUnsure,
    TopLevelAnswered,
)
from bot.okr.messages.read_models import KRView
from bot.okr.types import Confidence, KRKind
from bot.slack import kit
from bot.slack.builders.lines import confidence_text, expected_text, pacing_text, percent, value_text
from bot.slack.ids import Action, Block, Callback, kr_button_value
from bot.slack.mrkdwn import clip, esc, mention, shorten
from bot.slack.render import Rendered, render, render_view

CONFIDENCE_OPTIONS = [kit.option(value=c.value, text=c.label) for c in Confidence]
BINARY_OPTIONS = [kit.option(value="done", text="done"), kit.option(value="not_done", text="not done")]


def _kr_text(number: int, v: KRView) -> str:
    return (
        f"*{number}. {esc(v.title)}*\n"
        f"{value_text(v)} ({percent(v.progress)})  ·  last confidence: {confidence_text(v.confidence)}\n"
        f"pace: {pacing_text(v.pacing)}  ·  {expected_text(v)}"
    )


CADENCE_WORDS = {"weekly": "weekly check-in", "biweekly": "check-in for these two weeks"}


def _example_hint(p: CheckInPrompt) -> str:
    """The reply format, with one line built from the person's own KR, shown as an example, not as text to copy."""
    if not p.example:
        return "Or reply in this thread."
    first = p.example.splitlines()[0]
    how = "a number, how it's going and a comment" if len(p.items) == 1 else "the KR's number first, then the rest"
    return f"Or reply in this thread with {how}. For example: `{esc(first)}`"


def _item_blocks(item: PromptItem, ledger_id: int) -> list:
    value = kr_button_value(item.kr.id, ledger_id)
    buttons = [
        kit.button("Update", action_id=Action.UPDATE_KR, value=value, style="primary"),
        kit.button("No change", action_id=Action.NO_CHANGE, value=value),
    ]
    return [
        kit.section(clip(_kr_text(item.number, item.kr)), block_id=f"kr.{item.number}"),
        kit.actions(buttons, block_id=f"act.{item.number}"),
    ]


@render.register
def build_checkin_prompt(p: CheckInPrompt) -> Rendered:
    cover = f" (covering for {esc(p.covering_for)})" if p.covering_for else ""
    what = CADENCE_WORDS.get(p.cadence, "check-in")
    head = f":wave: Time for your {what}{cover}: {len(p.items)} key result(s)."
    blocks = [kit.section(head)]
    for item in p.items:
        blocks += _item_blocks(item, p.ledger_id)
    if p.recent:
        done = "\n".join(f"• {esc(v.title)}: {value_text(v)}" for v in p.recent)
        blocks.append(kit.section(clip(f":white_check_mark: Already updated recently:\n{done}")))
    blocks.append(kit.context(_example_hint(p)))
    snooze = kit.button("Remind me tomorrow", action_id=Action.SNOOZE, value=str(p.ledger_id))
    blocks.append(kit.actions([snooze], block_id="snooze"))
    # The fallback text is mrkdwn too (notifications, screen readers): escape it like the blocks.
    lines = [f"{i.number}. {esc(i.kr.title)}: {value_text(i.kr)}" for i in p.items]
    text = f"{what[0].upper()}{what[1:]}{cover}: " + "; ".join(lines)
    return Rendered(text=shorten(text, 3000), blocks=blocks)


@render.register
def build_checkin_nudge(n: CheckInNudge) -> Rendered:
    cover = f" (for {esc(n.covering_for)})" if n.covering_for else ""
    blocks = [kit.section(f":bell: A reminder: these are still waiting for a check-in{cover}.")]
    for item in n.missing:
        blocks += _item_blocks(item, n.ledger_id)
    text = "Reminder: still waiting for " + ", ".join(f"{i.number}. {esc(i.kr.title)}" for i in n.missing)
    return Rendered(text=shorten(text, 3000), blocks=blocks)


@render.register
def build_checkin_recorded(r: CheckInRecorded) -> Rendered:
    blocks = []
    for n, line in enumerate(r.lines, start=1):
        body = f":white_check_mark: *{esc(line.kr_title)}*: {esc(line.text)}"
        if line.comment:
            body += f"\n> {esc(shorten(line.comment, 500))}"
        if line.blockers:
            body += f"\n:construction: Blockers: {esc(shorten(line.blockers, 500))}"
        buttons = [
            kit.button("Edit", action_id=Action.EDIT_CHECKIN, value=str(line.checkin_id)),
            kit.button("Undo", action_id=Action.UNDO_CHECKIN, value=str(line.checkin_id)),
        ]
        blocks += [kit.section(clip(body), block_id=f"ci.{n}"), kit.actions(buttons, block_id=f"ed.{n}")]
    text = f"{r.heading}: " + "; ".join(f"{esc(x.kr_title)}: {esc(x.text)}" for x in r.lines)
    return Rendered(text=shorten(text, 3000), blocks=[kit.section(f"*{esc(r.heading)}*"), *blocks[:48]])


@render.register
def build_reply_not_understood(r: ReplyNotUnderstood) -> Rendered:
    problems = "\n".join(f"• {esc(p)}" for p in r.problems)
    example = "\n".join(esc(x) for x in r.example.splitlines())
    body = f":thinking_face: I couldn't record that, so nothing was saved:\n{problems}"
    blocks = [kit.section(clip(body)), kit.section(clip(f"You can reply like this:\n```{example}```"))]
    text = "I couldn't record that: " + esc(" ".join(r.problems)) + f" Reply like: {esc(r.example)}"
    if r.pending_id is None:
        return Rendered(text=shorten(text, 3000), blocks=blocks)
    if len(r.choices) == 1:
        only = r.choices[0]
        element = kit.button("Use as comment", action_id=Action.USE_AS_COMMENT, value=f"{r.pending_id}:{only.kr_id}")
    else:
        element = kit.static_select(
            placeholder="Use as comment on…",
            action_id=Action.USE_AS_COMMENT,
            options=_choice_options(r.choices, r.pending_id),
        )
    blocks.append(kit.actions([element], block_id="use"))
    return Rendered(text=shorten(text, 3000), blocks=blocks)


@render.register
def build_reply_unsure(r: ReplyUnsure) -> Rendered:
    head = ":thinking_face: I'm not sure I read that right, so nothing is recorded yet. I understood:"
    blocks, edits = [kit.section(head)], []
    for line in r.lines:
        body = f"*{line.index}. {esc(line.kr_title)}*: {esc(line.text)}"
        if line.comment:
            body += f"\n> {esc(shorten(line.comment, 500))}"
        if line.blockers:
            body += f"\n:construction: Blockers: {esc(shorten(line.blockers, 500))}"
        if line.reason:
            body += f"\n_Not sure: {esc(line.reason)}_"
            label = "Edit" if len(r.lines) == 1 else f"Edit {line.index}"
            value = json.dumps({"p": r.pending_id, "i": line.index, "ts": r.reply_ts})
            edits.append(kit.button(label, action_id=f"{Action.EDIT_REPLY}.{line.index}", value=value))
        blocks.append(kit.section(clip(body), block_id=f"un.{line.index}"))
    confirm = json.dumps({"p": r.pending_id, "c": r.check, "ts": r.reply_ts})
    buttons = [kit.button("Confirm", action_id=Action.CONFIRM_REPLY, value=confirm, style="primary"), *edits]
    blocks.append(kit.actions(buttons[:25], block_id="unsure"))
    said = "; ".join(f"{line.kr_title}: {line.text}" for line in r.lines)
    return Rendered(text=shorten(f"Not recorded yet, please confirm: {esc(said)}", 3000), blocks=blocks)


_ANSWERED = {
    "recorded": ":white_check_mark: Recorded as your check-in. What I recorded, with Edit and Undo, is in the "
    "thread of your check-in prompt.",
    "updated": ":white_check_mark: Updated from your edited message: see the thread of your check-in prompt.",
    "asked": ":thinking_face: I'm not sure I read that right, so nothing is recorded yet: Confirm or Edit it in "
    "the thread of your check-in prompt.",
}


@render.register
def build_top_level_answered(a: TopLevelAnswered) -> Rendered:
    text = _ANSWERED[a.outcome]
    return Rendered(text=text, blocks=[kit.section(text)])


@render.register
def build_checkin_how_to(h: CheckInHowTo) -> Rendered:
    if h.waiting == 1:
        head = "I didn't record that as a check-in."
        where = "reply here or in the thread of your check-in prompt"
        if h.example:
            where += f", e.g. `{esc(h.example.splitlines()[0])}`"
    else:
        head = (
            "I didn't record that: no check-in prompt of yours is waiting for an answer."
            if h.waiting == 0
            else f"I didn't record that: {h.waiting} check-in prompts are waiting, so I can't tell which one it is for."
        )
        where = "reply in the thread of the prompt you are answering (`/okr next` says when the next one comes)"
    problems = "".join(f"\n• {esc(p)}" for p in h.problems)
    ways = f"{where}; use its *Update* or *No change* buttons; or type `/okr checkin` any time"
    body = f":information_source: {head}{problems}\nTo check in: {ways}."
    return Rendered(text=shorten(body, 3000), blocks=[kit.section(clip(body))])


def _choice_options(choices: tuple[KRChoice, ...], pending_id: int | None = None) -> list[dict]:
    def value(c: KRChoice) -> str:
        return f"{pending_id}:{c.kr_id}" if pending_id is not None else str(c.kr_id)

    return [kit.option(value=value(c), text=shorten(c.label, 75)) for c in choices[:100]]


@render_view.register
def build_checkin_modal(f: CheckInForm) -> dict:
    blocks = []
    if f.choices:
        options = _choice_options(f.choices)
        initial = next((o for o, c in zip(options, f.choices, strict=True) if c.kr_id == f.selected), None)
        select = kit.static_select(
            action_id=Block.KR, options=options, initial_option=initial, placeholder="Key result"
        )
        blocks.append(kit.input_block(block_id=Block.KR, label="Key result", element=select))
    elif f.kr_title:
        blocks.append(kit.section(f"*{esc(f.kr_title)}*"))
    blocks.append(_value_block(f))
    initial = next(
        (o for o in CONFIDENCE_OPTIONS if f.confidence and o["value"] == f.confidence.value), CONFIDENCE_OPTIONS[0]
    )
    conf = kit.static_select(action_id=Block.CONFIDENCE, options=CONFIDENCE_OPTIONS, initial_option=initial)
    blocks.append(kit.input_block(block_id=Block.CONFIDENCE, label="Confidence", element=conf))
    for block_id, label, value in ((Block.COMMENT, "Comment", f.comment), (Block.BLOCKERS, "Blockers", f.blockers)):
        element = kit.text_input(action_id=block_id, multiline=True, initial_value=value or None)
        blocks.append(kit.input_block(block_id=block_id, label=label, element=element, optional=True))
    title = "Edit check-in" if f.editing else "Check in"
    return kit.view(
        type="modal",
        callback_id=Callback.CHECKIN_MODAL,
        title=title,
        submit="Save",
        close="Cancel",
        private_metadata=encode_context(f.context),
        blocks=blocks,
    )


def _value_block(f: CheckInForm) -> dict:
    if not f.choices and f.kind is KRKind.BINARY:
        initial = next((o for o in BINARY_OPTIONS if o["value"] == f.value), None)
        element = kit.static_select(action_id=Block.VALUE, options=BINARY_OPTIONS, initial_option=initial)
        return kit.input_block(block_id=Block.VALUE, label="Status", element=element)
    unit = f" ({f.unit})" if f.unit and not f.choices else ""
    element = kit.text_input(action_id=Block.VALUE, initial_value=f.value or None, placeholder="e.g. 42")
    hint = "A number; for done / not done KRs type done or not done." if f.choices else None
    return kit.input_block(block_id=Block.VALUE, label=f"Current value{unit}"[:2000], element=element, hint=hint)


@render.register
def _away(n: AwayNotice) -> Rendered:
    who = (
        f" {mention(n.delegate_id)} gets your check-in prompts meanwhile."
        if n.delegate_id
        else " No check-in prompts or nudges meanwhile."
    )
    text = f":palm_tree: You're away through {n.until:%A %-d %B %Y}.{who} Use `/okr back` to return early."
    return Rendered(text=text, blocks=[kit.section(text)])


def encode_context(c: FormContext) -> str:
    """The check-in modal's private_metadata (short keys: it travels with every view)."""
    meta = {"kr": c.kr_id, "src": c.source, "ledger": c.ledger_id, "ci": c.checkin_id}
    if c.reply_ts:
        meta["rts"] = c.reply_ts
    return json.dumps(meta)


def decode_context(raw: str | None) -> FormContext | None:
    """Read private_metadata back; None for a stale or tampered modal (we wrote it, but never trust it)."""
    try:
        meta = json.loads(raw or "{}")
    except ValueError:
        return None
    if not isinstance(meta, dict):
        return None
    reply_ts = meta.get("rts")
    return FormContext(
        meta.get("src") or "",
        kr_id=meta.get("kr"),
        ledger_id=meta.get("ledger"),
        checkin_id=meta.get("ci"),
        reply_ts=reply_ts if isinstance(reply_ts, str) else None,
    )
