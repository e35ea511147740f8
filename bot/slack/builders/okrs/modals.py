"""Modals to create and edit objectives and KRs. Block ids are the FormField names the services validate."""

import json

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.okr.messages.forms import KIND_FROM_NUMBERS, TITLE_MAX, Choice, KRForm, ObjectiveForm
from bot.okr.messages.forms import FormField as F
from bot.slack.ids import ViewCallback
from bot.slack.mrkdwn import shorten

KIND_LABELS = [
    (KIND_FROM_NUMBERS, "Up or down (from start and target)"),
    ("increase", "Increase a number"),
    ("decrease", "Decrease a number"),
    ("binary", "Done / not done"),
    ("milestone", "Milestones reached"),
]


def options(choices) -> list[Option]:
    return [Option(text=shorten(label, 75) or value, value=value) for value, label in choices][:100]


def _initial(choices, value) -> Option | None:
    return next((o for o in options(choices) if o.value == value), None) if value else None


def text_input(field: F, label: str, initial=None, *, optional=False, multiline=False, hint=None, limit=None):
    element = PlainTextInputElement(
        action_id=field, initial_value=initial or None, multiline=multiline, max_length=limit
    )
    return InputBlock(block_id=field, label=label, element=element, optional=optional, hint=hint)


def select(field: F, label: str, choices: tuple[Choice, ...], initial=None, *, optional=False) -> InputBlock:
    element = StaticSelectElement(
        action_id=field, placeholder="Choose…", options=options(choices), initial_option=_initial(choices, initial)
    )
    return InputBlock(block_id=field, label=label, element=element, optional=optional)


def user_input(field: F, label: str, initial=None, *, optional=False) -> InputBlock:
    element = UserSelectElement(action_id=field, placeholder="Choose someone", initial_user=initial or None)
    return InputBlock(block_id=field, label=label, element=element, optional=optional)


def archive_box(what: str) -> InputBlock:
    element = CheckboxesElement(action_id=F.ARCHIVE, options=[Option(text=f"Archive this {what}", value="archive")])
    return InputBlock(block_id=F.ARCHIVE, label="Archive", element=element, optional=True)


def _modal(callback: str, title: str, blocks: list[Block], meta: dict | None = None, submit: str = "Save") -> View:
    return View(
        type="modal",
        callback_id=callback,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(meta or {}),
    )


def build_objective_modal(form: ObjectiveForm) -> View:
    i = form.initial
    blocks: list[Block] = []
    if form.objective_id is None:
        blocks.append(select(F.TEAM, "Team", form.teams, i.get(F.TEAM)))
    blocks += [
        text_input(F.TITLE, "Title", i.get(F.TITLE), limit=TITLE_MAX),
        text_input(F.DESCRIPTION, "Description", i.get(F.DESCRIPTION), optional=True, multiline=True),
        user_input(F.OWNER, "Owner", i.get(F.OWNER), optional=True),
    ]
    if form.parents:
        blocks.append(select(F.PARENT, "Aligns with (parent objective)", form.parents, i.get(F.PARENT), optional=True))
    if form.objective_id is None:
        return _modal(ViewCallback.NEW_OBJECTIVE, "New objective", blocks, submit="Create")
    blocks.append(archive_box("objective"))
    return _modal(ViewCallback.EDIT_OBJECTIVE, "Edit objective", blocks, {"objective_id": form.objective_id})


def build_kr_modal(form: KRForm) -> View:
    i = form.initial
    if form.kr_id is not None:
        return _edit_kr_modal(form)
    blocks: list[Block] = [
        select(F.OBJECTIVE, "Objective", form.objectives, i.get(F.OBJECTIVE)),
        text_input(F.TITLE, "Title", limit=TITLE_MAX),
        select(F.KIND, "Kind", tuple(KIND_LABELS), KIND_FROM_NUMBERS),
        text_input(F.START, "Start value", "0"),
        text_input(F.TARGET, "Target value", hint="For done / not done KRs, leave 1."),
        text_input(F.UNIT, "Unit", optional=True, hint="e.g. %, $, deals", limit=20),
        user_input(F.OWNER, "Owner"),
        InputBlock(
            block_id=F.CO_OWNERS,
            label="Co-owners",
            optional=True,
            element=UserMultiSelectElement(action_id=F.CO_OWNERS, placeholder="Anyone sharing it"),
        ),
    ]
    if form.teams:
        element = StaticMultiSelectElement(action_id=F.TEAMS, placeholder="Other teams", options=options(form.teams))
        blocks.append(InputBlock(block_id=F.TEAMS, label="Contributing teams", element=element, optional=True))
    blocks += [
        text_input(F.WEIGHT, "Weight", "1"),
        InputBlock(block_id=F.DUE, label="Due date", optional=True, element=DatePickerElement(action_id=F.DUE)),
    ]
    return _modal(ViewCallback.NEW_KR, "New key result", blocks, submit="Create")


def _edit_kr_modal(form: KRForm) -> View:
    i = form.initial
    blocks: list[Block] = [text_input(F.TITLE, "Title", i.get(F.TITLE), limit=TITLE_MAX)]
    if form.owner_only:
        note = "As its owner you can rename this KR. Its team's managers can change the target, owner or archive it."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    else:
        blocks += [
            text_input(F.TARGET, "Target value", i.get(F.TARGET)),
            user_input(F.OWNER, "Owner", i.get(F.OWNER)),
            text_input(F.WEIGHT, "Weight", i.get(F.WEIGHT)),
            InputBlock(
                block_id=F.DUE,
                label="Due date",
                optional=True,
                element=DatePickerElement(action_id=F.DUE, initial_date=i.get(F.DUE)),
            ),
            archive_box("key result"),
        ]
    return _modal(ViewCallback.EDIT_KR, "Edit key result", blocks, {"kr_id": form.kr_id})
