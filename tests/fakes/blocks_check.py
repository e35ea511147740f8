"""Block Kit validation the way Slack's servers apply it, so bad payloads fail in tests, not in production.

We lean on slack_sdk's own model classes (``Block.parse`` + ``validate_json``/``to_dict``) because they encode
Slack's documented limits, and add the few checks the SDK does not enforce server-side style:
unknown block types and unknown top-level keys (the SDK only logs them), duplicate ``block_id`` values and the
per-surface block counts. Every function returns a list of human readable error strings; empty means valid.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
MODAL_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
CALLBACK_ID_LIMIT = 255


def decode_json_field(value: Any) -> Any:
    """Form-encoded calls carry ``blocks``/``view`` as JSON strings; decode them, leave anything else alone."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as a string: validation below reports it as malformed
    return value


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return str(obj or "")


def check_block(raw: Any) -> list[str]:
    """Validate one block dict; returns errors (empty list when Slack would accept it)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return ["block must be an object with a string 'type'"]
    errors: list[str] = []
    try:
        block = Block.parse(raw)
        if block is None:
            return [f"unsupported block type '{raw['type']}'"]
        block.validate_json()
        block.to_dict()  # to_dict() also validates nested elements and text objects
        # The SDK silently ignores unknown keys; Slack rejects them. Checked at block level only.
        unknown = sorted(set(raw) - set(block.attributes))
        if unknown:
            errors.append(f"unknown keys {unknown} in {raw['type']} block")
    except SlackObjectFormationError as exc:
        errors.append(str(exc))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        errors.append(f"malformed {raw['type']} block: {exc}")
    # Explicit limits, independent of the SDK version installed.
    if raw["type"] == "section" and len(_text_of(raw.get("text"))) > SECTION_TEXT_LIMIT:
        errors.append(f"section text must be at most {SECTION_TEXT_LIMIT} characters")
    if raw["type"] == "header" and len(_text_of(raw.get("text"))) > HEADER_TEXT_LIMIT:
        errors.append(f"header text must be at most {HEADER_TEXT_LIMIT} characters")
    return sorted(set(errors))


def check_blocks(blocks: Any, *, limit: int) -> list[str]:
    """Validate a ``blocks`` array for a surface that allows at most ``limit`` blocks."""
    if not isinstance(blocks, list):
        return ["blocks must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    seen: set[str] = set()
    for i, raw in enumerate(blocks):
        errors.extend(f"{e} [json-pointer:/blocks/{i}]" for e in check_block(raw))
        block_id = raw.get("block_id") if isinstance(raw, dict) else None
        if block_id is not None:
            if block_id in seen:
                errors.append(f"duplicate block_id '{block_id}' [json-pointer:/blocks/{i}/block_id]")
            seen.add(block_id)
    return errors


def check_view(raw: Any, *, allowed_types: tuple[str, ...]) -> list[str]:
    """Validate a modal or home view (``views.open/push/update/publish``)."""
    if not isinstance(raw, dict):
        return ["view must be an object [json-pointer:/view]"]
    errors: list[str] = []
    view_type = raw.get("type")
    if view_type not in allowed_types:
        errors.append(f"view type must be one of {list(allowed_types)} [json-pointer:/view/type]")
    errors.extend(
        e.replace("/blocks", "/view/blocks") for e in check_blocks(raw.get("blocks", []), limit=VIEW_BLOCK_LIMIT)
    )
    if view_type == "modal":
        title = _text_of(raw.get("title"))
        if not 1 <= len(title) <= MODAL_TITLE_LIMIT:
            errors.append(f"modal title must be 1-{MODAL_TITLE_LIMIT} characters [json-pointer:/view/title]")
    if len(raw.get("private_metadata") or "") > PRIVATE_METADATA_LIMIT:
        errors.append(f"private_metadata must be at most {PRIVATE_METADATA_LIMIT} characters")
    if len(raw.get("callback_id") or "") > CALLBACK_ID_LIMIT:
        errors.append(f"callback_id must be at most {CALLBACK_ID_LIMIT} characters")
    # Let the SDK's View validators run too (submit/close lengths, home without submit/close, ...).
    # Blocks were checked above; pass a stand-in so unknown blocks (parsed to None) cannot crash the SDK.
    try:
        View(**{**raw, "blocks": [{"type": "divider"}]}).validate_json()
    except SlackObjectFormationError as exc:
        errors.append(str(exc))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        errors.append(f"malformed view: {exc}")
    return sorted(set(errors), key=errors.index)
