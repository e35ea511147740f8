"""Plain data describing what okrbot tells a person: built by services, rendered by bot.slack.

Keeping these free of Slack types is what lets a second chat platform (say Teams) plug
in a renderer and a sender without touching services.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    """Where a sent message landed, so it can be threaded under or edited later."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Notice:
    """A short plain message: a confirmation, a refusal, a hint."""

    text: str
    emoji: str = ""
