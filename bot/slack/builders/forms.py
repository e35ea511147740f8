"""Read a submitted modal's state into plain {block_id: value} data for the services."""

from typing import Any


def _value(element: dict) -> Any:
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons", "external_select"):
        return (element.get("selected_option") or {}).get("value")
    if kind in ("multi_static_select", "checkboxes"):
        values = [o["value"] for o in element.get("selected_options") or []]
        return bool(values) if kind == "checkboxes" else values
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    return element.get("value")


def read_values(view: dict) -> dict[str, Any]:
    """One value per input block; the block id is the field name (bot.okr.messages.forms.FormField)."""
    values = (view.get("state") or {}).get("values") or {}
    return {block_id: _value(el) for block_id, actions in values.items() for el in actions.values()}


def errors_for(view: dict, errors: dict[str, str]) -> dict[str, str]:
    """Slack only accepts errors keyed by an input block of the view; others go on the first input."""
    inputs = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"]
    out: dict[str, str] = {}
    for field, message in errors.items():
        key = field if field in inputs else (inputs[0] if inputs else field)
        out.setdefault(key, message)
    return out
