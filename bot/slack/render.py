"""Turn plain message objects (bot.okr.messages) into Slack text + Block Kit.

Builders register per message type with `@render.register`; the modules that hold them
are imported by bot.slack.builders so registration happens once, at import.

Builders on hot paths (prompts, confirmations, digests, the Home tab, /okr lists) return Block Kit as plain
dicts (bot.slack.kit); the rarer modals and notices still build slack_sdk models. Both are accepted here.
"""

from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.okr.messages import Notice
from bot.slack import kit
from bot.slack.mrkdwn import esc


@dataclass
class Rendered:
    text: str  # the plain fallback Slack shows in notifications
    blocks: list[dict[str, Any] | Block] = field(default_factory=list)

    def blocks_json(self) -> list[dict]:
        return [b if isinstance(b, dict) else b.to_dict() for b in self.blocks]


@singledispatch
def render(message) -> Rendered:
    raise TypeError(f"no Slack renderer for {type(message).__name__}")


@singledispatch
def render_view(message) -> dict[str, Any] | View:
    raise TypeError(f"no Slack view renderer for {type(message).__name__}")


def view_json(view: dict[str, Any] | View) -> dict[str, Any]:
    """A view as the API's JSON, whichever form its builder returned."""
    return view if isinstance(view, dict) else view.to_dict()


@render.register
def _notice(message: Notice) -> Rendered:
    text = esc(f"{message.emoji} {message.text}".strip())  # the fallback is mrkdwn too: escape it like the block
    return Rendered(text=text, blocks=[kit.section(text)])
