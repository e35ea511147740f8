"""The admin's Open a cycle modal (from the Home tab)."""

from slack_sdk.models.blocks import (
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.ids import CycleForm

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
