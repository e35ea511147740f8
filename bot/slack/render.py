"""Turn plain message objects (bot.okr.messages) into Slack text + Block Kit.

Builders register per message type with `@render.register`; the modules that hold them
are imported by bot.slack.builders so registration happens once, at import.
"""

from dataclasses import dataclass, field
from functools import singledispatch

from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.models.views import View

from bot.okr.messages import Notice
from bot.slack.mrkdwn import esc


@dataclass
class Rendered:
    text: str  # the plain fallback Slack shows in notifications
    blocks: list[Block] = field(default_factory=list)

    def blocks_json(self) -> list[dict]:
        return [b.to_dict() for b in self.blocks]


@singledispatch
def render(message) -> Rendered:
    raise TypeError(f"no Slack renderer for {type(message).__name__}")


@singledispatch
def render_view(message) -> View:
    raise TypeError(f"no Slack view renderer for {type(message).__name__}")


@render.register
def _notice(message: Notice) -> Rendered:
    text = esc(f"{message.emoji} {message.text}".strip())  # the fallback is mrkdwn too: escape it like the block
    return Rendered(text=text, blocks=[SectionBlock(text=text)])
