"""The outbound interfaces services talk through. bot.slack implements them for Slack.

Services hand over plain message objects from bot.okr.messages; the adapter renders them.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from bot.okr.messages import Delivery

# The stand-in ts of a message that may have been posted where no history can be read back (Teams): + its ledger
# id. It is recorded as sent and never resent (a resend could post it twice); replies to it still find it.
MAYBE_TS = "maybe-"


class DeliveryFailed(Exception):
    """Every way a send can fail, after the sender's own retries: an HTTP status, a body that is not the
    platform's answer (text, HTML, bad JSON, missing fields), a timeout, a connection error.

    `unknown`: the message may have been posted all the same (a timeout, an answer we could not read), so
    it must be reconciled against the recipient's history, never blindly resent. `later`: the platform asked
    us to wait longer than we block for (a capped Retry-After); the send stays due for a later tick.
    `gone`: the recipient cannot be reached this way any more (a Teams person who blocked the bot); the send
    is recorded as skipped and not retried.
    """

    def __init__(self, reason: str, *, unknown: bool = False, later: bool = False, gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown
        self.later = later
        self.gone = gone


class Notifier(Protocol):
    async def post(
        self, to: str, message: Any, *, thread_ts: str | None = None, ledger_id: int | None = None
    ) -> Delivery:
        """Post to a channel id, or to a user id (their DM with the bot); `ledger_id` travels with the
        message (as its metadata) so a send whose outcome was lost can be found again."""

    async def find_sent(self, to: str, ledger_ids: set[int]) -> dict[int, Delivery]:
        """Of the ledger ids, those whose message is among `to`'s recent messages, and where each landed."""

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
