"""The admin's Open a cycle modal (from the Home tab) and the end-of-cycle score prompt."""

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.okr.messages.cycles import ScorePrompt
from bot.slack.builders.lines import percent
from bot.slack.ids import CycleForm, DigestId
from bot.slack.mrkdwn import esc, shorten
from bot.slack.render import Rendered, render

CARRY = "carry"


def build_open_cycle_modal() -> View:
    return View(
        type="modal",
        callback_id=CycleForm.OPEN_MODAL,
        title="Open a cycle",
        submit="Open",
        close="Cancel",
        blocks=[
            SectionBlock(text="Opening a cycle activates it and closes the current one."),
            InputBlock(
                block_id=CycleForm.NAME,
                label="Name",
                element=PlainTextInputElement(action_id="v", placeholder="2027-Q2", max_length=80),
            ),
            InputBlock(block_id=CycleForm.START, label="Start", element=DatePickerElement(action_id="v")),
            InputBlock(block_id=CycleForm.END, label="End", element=DatePickerElement(action_id="v")),
            InputBlock(
                block_id=CycleForm.CARRY,
                label="Carry over",
                optional=True,
                element=CheckboxesElement(
                    action_id="v", options=[Option(value=CARRY, text="Carry over unfinished objectives")]
                ),
            ),
        ],
    )


def _ctx(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _score_block(item) -> SectionBlock:
    options = [Option(text=f"{i / 10:.1f}", value=f"{item.kr_id}:{i / 10:.1f}") for i in range(11)]
    chosen = item.score if item.score is not None else item.suggested
    initial = next((o for o in options if o.value == f"{item.kr_id}:{chosen:.1f}"), None)
    text = (
        f"*{esc(shorten(item.title, 200))}*\n_{esc(shorten(item.objective_title, 200))}_\n"
        f"progress {percent(item.progress)} · suggested score *{item.suggested:.1f}*"
    )
    select = StaticSelectElement(
        action_id=DigestId.SCORE_PICK, placeholder="Score", options=options, initial_option=initial
    )
    return SectionBlock(block_id=f"score.{item.kr_id}", text=text, accessory=select)


@render.register
def _score_prompt(p: ScorePrompt) -> Rendered:
    blocks = [
        HeaderBlock(text=f"Time to score your KRs for {p.cycle_name}"[:150]),
        _ctx(f"Pick a score from 0.0 to 1.0 for each key result. {p.guidance}"),
        *[_score_block(i) for i in p.items[:45]],
    ]
    return Rendered(text=f"Time to score your {len(p.items)} KRs for {esc(p.cycle_name)}. {p.guidance}", blocks=blocks)
