"""Every Block Kit builder's output, checked the way Slack checks it.

The hot-path builders return plain dicts (bot/slack/kit.py: no slack_sdk model is built or validated per
message in production), so slack_sdk's validation runs here instead, through the same checker the fake Slack
applies to every call it receives (tests/fakes/blocks_check.py: slack_sdk's models, plus block counts, text
lengths, duplicate block ids). The samples push the limits: hostile and very long user text, 2,000 people
missing, 60 objectives of 20 KRs, 130 KR choices.
"""

import json

import pytest
from slack_sdk.models.basic_objects import JsonObject

import bot.slack.builders  # noqa: F401 - registers the renderers
from bot.slack.render import render, render_view
from tests.fakes.blocks_check import MESSAGE_BLOCK_LIMIT, check_blocks, check_view
from tests.unit.block_kit_samples import MESSAGES, VIEWS


def _no_models(value) -> bool:
    """True when `value` is JSON data all the way down (no slack_sdk object left to serialise)."""
    if isinstance(value, JsonObject):
        return False
    if isinstance(value, dict):
        return all(_no_models(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_no_models(v) for v in value)
    return isinstance(value, str | int | float | bool) or value is None


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_is_valid_block_kit_as_plain_data(message):
    rendered = render(message)
    assert rendered.text.strip(), "a message always carries a plain-text fallback"
    assert _no_models(rendered.blocks), "hot-path builders return plain dicts"
    assert check_blocks(rendered.blocks, limit=MESSAGE_BLOCK_LIMIT) == []
    assert json.loads(json.dumps(rendered.blocks_json())) == rendered.blocks


@pytest.mark.parametrize("message", VIEWS, ids=lambda m: type(m).__name__)
def test_every_view_is_valid_block_kit_as_plain_data(message):
    view = render_view(message)
    assert _no_models(view)
    assert check_view(view, allowed_types=("home", "modal")) == []


def test_the_checker_still_catches_what_a_model_used_to_raise():
    """The guarantee moved from the models to the checker: prove the checker refuses what Slack refuses."""
    rendered = render(MESSAGES[0])
    button = next(b for b in rendered.blocks if b["type"] == "actions")["elements"][0]
    too_long = [{**b} for b in rendered.blocks]
    too_long[0] = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert check_blocks(too_long, limit=MESSAGE_BLOCK_LIMIT)
    bad_button = [{"type": "actions", "elements": [{**button, "text": {"type": "plain_text", "text": "y" * 76}}]}]
    assert check_blocks(bad_button, limit=MESSAGE_BLOCK_LIMIT)
    assert check_blocks(rendered.blocks * 20, limit=MESSAGE_BLOCK_LIMIT)  # over 50 blocks (and duplicate ids)
