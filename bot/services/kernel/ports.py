"""The outbound interfaces services talk through. bot.slack implements them for Slack.

Services hand over plain message objects from bot.okr.messages; the adapter renders them.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from bot.okr.messages import Delivery


class DeliveryFailed(Exception):
    """The chat platform refused or could not be reached, after the sender's own retries."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Notifier(Protocol):
    async def post(self, to: str, message: Any, *, thread_ts: str | None = None) -> Delivery:
        """Post to a channel id, or to a user id (their DM with the bot)."""

    async def update(self, where: Delivery, message: Any) -> None:
        """Replace a posted message in place."""

    async def publish_home(self, user: str, message: Any) -> None:
        """Replace the person's App Home tab."""


@dataclass(frozen=True)
class UserInfo:
    id: str
    name: str
    tz: str | None


class Directory(Protocol):
    async def list_users(self) -> list[UserInfo]:
        """Every person in the workspace, with their timezone (paged by the adapter)."""
