"""Block Kit as plain data: each function returns the dict Slack's API takes (the same JSON slack_sdk's models
would produce with `to_dict()`).

Why not slack_sdk.models on these paths: building a model and running its `validate_json` for every block of
every prompt, digest and Home tab was about a quarter of a fan-out's CPU and most of a digest's rendering
(issue 15). The limits those models check are checked instead where they catch mistakes: in tests, on every
builder's output (tests/unit/test_block_kit_limits.py) and on every call the fake Slack receives
(tests/fakes/blocks_check.py, which parses each block with slack_sdk's models). The builders keep to the
limits themselves (clip, shorten, capped_sections, block budgets), as they always had to: a model only raised.

Keys whose value is None are left out, as slack_sdk's `to_dict()` leaves them out.
"""

from typing import Any

Json = dict[str, Any]


def _drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None}


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def section(text: str, *, block_id: str | None = None, accessory: Json | None = None) -> Json:
    return _drop_none({"type": "section", "block_id": block_id, "text": mrkdwn(text), "accessory": accessory})


def context(text: str) -> Json:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Json:
    return {"type": "header", "text": plain(text)}


def divider() -> Json:
    return {"type": "divider"}


def actions(elements: list[Json], *, block_id: str | None = None) -> Json:
    return _drop_none({"type": "actions", "block_id": block_id, "elements": elements})


def button(text: str, *, action_id: str, value: str, style: str | None = None, confirm: Json | None = None) -> Json:
    return _drop_none(
        {
            "type": "button",
            "text": plain(text),
            "action_id": str(action_id),
            "value": value,
            "style": style,
            "confirm": confirm,
        }
    )


def confirm_dialog(*, title: str, text: str, confirm: str, deny: str) -> Json:
    return {"title": plain(title), "text": mrkdwn(text), "confirm": plain(confirm), "deny": plain(deny)}


def option(*, value: str, text: str) -> Json:
    return {"text": plain(text), "value": value}


def static_select(
    *, action_id: str, options: list[Json], placeholder: str | None = None, initial_option: Json | None = None
) -> Json:
    return _drop_none(
        {
            "type": "static_select",
            "action_id": str(action_id),
            "placeholder": plain(placeholder) if placeholder is not None else None,
            "options": options,
            "initial_option": initial_option,
        }
    )


def text_input(
    *, action_id: str, multiline: bool | None = None, initial_value: str | None = None, placeholder: str | None = None
) -> Json:
    return _drop_none(
        {
            "type": "plain_text_input",
            "action_id": str(action_id),
            "multiline": multiline,
            "initial_value": initial_value,
            "placeholder": plain(placeholder) if placeholder is not None else None,
        }
    )


def input_block(
    *, block_id: str, label: str, element: Json, optional: bool | None = None, hint: str | None = None
) -> Json:
    return _drop_none(
        {
            "type": "input",
            "block_id": str(block_id),
            "label": plain(label),
            "element": element,
            "optional": optional or None,
            "hint": plain(hint) if hint is not None else None,
        }
    )


def view(
    *,
    type: str,
    blocks: list[Json],
    callback_id: str | None = None,
    title: str | None = None,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str | None = None,
) -> Json:
    return _drop_none(
        {
            "type": type,
            "callback_id": str(callback_id) if callback_id is not None else None,
            "title": plain(title) if title is not None else None,
            "submit": plain(submit) if submit is not None else None,
            "close": plain(close) if close is not None else None,
            "private_metadata": private_metadata,
            "blocks": blocks,
        }
    )
