"""Send rendered messages to a person's Teams chat through the SDK's ApiClient, with okrbot's own retries.

The SDK does not retry and raises httpx.HTTPStatusError for every non-2xx. Here: 429 waits Retry-After
(capped) and tries again, 412/5xx and network errors back off and try again, a bounded number of times;
whatever is left becomes kernel.ports.DeliveryFailed, which the tick records in the send ledger.
A retried 5xx on a send may deliver twice if the first attempt did land (Teams gives no idempotency key);
reconciling that is left to a later slice (docs/teams.md).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from microsoft_teams.api import ApiClient

from bot.okr.messages import Delivery
from bot.services.addresses import TEAMS_CHANNEL, TEAMS_CONVERSATION, TeamsAddress
from bot.services.kernel.ports import DeliveryFailed, UserInfo
from bot.teams import digests  # noqa: F401 - registers the digest cards with render
from bot.teams.cards import render

log = logging.getLogger(__name__)
RETRIES = 3  # attempts after the first
RETRY_STATUSES = frozenset({412, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0  # seconds; a longer Retry-After fails the send and a later tick retries it
BACKOFF = 0.5  # seconds, doubled per attempt

Find = Callable[[str], Awaitable[TeamsAddress | None]]
Blocked = Callable[[TeamsAddress], Awaitable[None]]
BLOCKED_CODE = "MessageWritesBlocked"  # 403: the person blocked the bot (or the chat no longer takes its messages)
BLOCKED = (
    "they blocked okrbot in Teams (403 MessageWritesBlocked): their Teams address is now inactive, "
    "and nothing is sent to them until they write to okrbot again"
)
NO_CHANNEL_URL = (
    "no Teams connector address for this team's channel yet: nobody in the team has installed the app, "
    "or the team is not on platform: teams"
)
INACTIVE = (
    "their Teams address is inactive since Teams refused okrbot's messages (403 MessageWritesBlocked); "
    "nothing is sent until they write to okrbot again"
)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _code(exc: httpx.HTTPStatusError) -> str:
    try:
        return str((exc.response.json().get("error") or {}).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _reason(exc: httpx.HTTPStatusError) -> str:
    code = _code(exc)
    return f"teams_{exc.response.status_code}" + (f" {code}" if code else "")


class TeamsNotifier:
    """kernel.ports.Notifier for Teams recipients ("teams:<aad>" people, "teams-chat:<id>" chats)."""

    def __init__(
        self, api: ApiClient, find: Find, *, blocked: Blocked | None = None, sleep=asyncio.sleep, backoff=BACKOFF
    ) -> None:
        self.api = api
        self._find = find
        self._blocked = blocked  # marks the address inactive (bot.services.addresses.mark_blocked)
        self._sleep = sleep
        self.backoff = backoff  # seconds before the first retry, doubled each time

    async def _address(self, key: str) -> TeamsAddress:
        address = await self._find(key)
        if address is None and key.startswith((TEAMS_CHANNEL, TEAMS_CONVERSATION)):
            raise DeliveryFailed(NO_CHANNEL_URL)
        if address is None:
            raise DeliveryFailed("no Teams chat with this person yet (they have not installed the app)")
        if address.blocked:
            raise DeliveryFailed(INACTIVE, gone=True)
        return address

    async def post(
        self, to: str, message: Any, *, thread_ts: str | None = None, ledger_id: int | None = None
    ) -> Delivery:
        # thread_ts is ignored: a Teams 1:1 chat has no threads; the answer follows in the chat. ledger_id is not
        # sent yet: reconciling an ambiguous Teams send from the conversation is not built (docs/teams.md).
        address = await self._address(to)
        activity = render(message)
        sent = await self._call(
            lambda: self.api.conversations.create_activity(
                address.conversation_id, activity, service_url=address.service_url
            ),
            address,
        )
        return Delivery(address.channel, sent.id)

    async def update(self, where: Delivery, message: Any) -> None:
        address = await self._address(where.channel)
        activity = render(message)
        await self._call(
            lambda: self.api.conversations.update_activity(
                address.conversation_id, where.ts, activity, service_url=address.service_url
            ),
            address,
        )

    async def publish_home(self, user: str, message: Any) -> None:
        return None  # Teams has no App Home tab; its personal dashboard is a later slice of issue 14

    async def _call(self, send: Callable[[], Awaitable[Any]], address: TeamsAddress) -> Any:
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                return await send()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status == 403 and _code(exc) == BLOCKED_CODE:
                    await self._mark_blocked(address)
                    raise DeliveryFailed(BLOCKED, gone=True) from None
                wait = _retry_after(exc.response) if status == 429 else self.backoff * 2**attempt
                if last or (status != 429 and status not in RETRY_STATUSES) or wait > MAX_RETRY_AFTER:
                    raise DeliveryFailed(_reason(exc)) from None
                log.warning("teams connector said %d; retrying in %.1fs", status, wait)
            except httpx.TransportError as exc:
                if last:
                    raise DeliveryFailed(f"teams_unreachable {type(exc).__name__}") from None
                wait = self.backoff * 2**attempt
            await self._sleep(wait)
        raise AssertionError("unreachable")

    async def _mark_blocked(self, address: TeamsAddress) -> None:
        if not address.person_id:  # a team's channel, not a person's chat: nothing to mark
            return
        log.warning("teams connector said 403 %s; marking the address inactive", BLOCKED_CODE)
        if self._blocked is not None:
            await self._blocked(address)


class TeamsDirectory:
    """kernel.ports.Directory: Teams people's zones come with their activities (localTimezone), not a listing."""

    async def list_users(self) -> list[UserInfo]:
        return []
