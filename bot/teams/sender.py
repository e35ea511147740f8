"""Send rendered messages to a person's Teams chat through the SDK's ApiClient, paced, with okrbot's own retries.

Pacing: the connector allows about 50 messages/s per app per tenant and, per conversation, 7 in a second, 8 in
two, 60 in 30 s. Each tenant gets a pacer (bot.slack.pacer.Pacer: pure asyncio, the same slot-and-bucket design
as Slack's), aiming at TENANT_PER_SECOND per tenant and CONVERSATION_PER_SECOND per conversation (inside all
three per-conversation windows). A 429 holds the bucket it came from (the conversation's, or the tenant's when
several conversations are limited at once) for its Retry-After, and the retry takes the next slot after it.

The SDK does not retry and raises httpx.HTTPStatusError for every non-2xx. Here: 429 waits Retry-After (capped),
412/502/503/504 (Microsoft's "retry these") and connection failures back off and try again, a bounded number of
times; whatever is left becomes kernel.ports.DeliveryFailed, which the tick records in the send ledger.

Maybe delivered: creating an activity is not idempotent, and the connector keeps no history a bot can read, so a
POST answered 500, or whose answer was lost after the request went out (a read timeout, a dropped connection),
may have posted the message. It is never resent: the send is recorded as delivered under the stand-in id
`maybe-<ledger id>` (a reply in the chat still answers that prompt; a maybe-delivered digest cannot be edited
in place), with a warning. A resend could post it twice; a lost prompt is followed by the nudge (docs/teams.md).
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from microsoft_teams.api import ApiClient

from bot.okr.messages import Delivery
from bot.services.addresses import TEAMS_CHANNEL, TEAMS_CONVERSATION, TeamsAddress
from bot.services.kernel.ports import MAYBE_TS, DeliveryFailed, UserInfo
from bot.slack.pacer import Pacer  # platform-neutral: no Slack import in it
from bot.teams import digests, nudges  # noqa: F401 - registers the digest and reminder cards with render
from bot.teams.cards import render

log = logging.getLogger(__name__)
RETRIES = 3  # attempts after the first
RETRY_STATUSES = frozenset({412, 500, 502, 503, 504})  # 500 only for an update: a create answered 500 is "maybe"
MAYBE_STATUSES = frozenset({500})  # a create answered this may have posted the activity
TENANT_PER_SECOND = 50.0  # the connector's per-app, per-tenant limit (TEAMS_MAX_MESSAGES_PER_SECOND)
CONVERSATION_PER_SECOND = 2.0  # inside 7/1 s, 8/2 s and 60/30 s per conversation
MAYBE = MAYBE_TS  # the stand-in activity id of a send that may have been delivered
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left: safe to retry
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


class _MaybeDelivered(Exception):
    """A create whose outcome is unknown: the connector may have posted it."""


class TeamsNotifier:
    """kernel.ports.Notifier for Teams recipients ("teams:<aad>" people, "teams-chat:<id>" chats)."""

    def __init__(
        self,
        api: ApiClient,
        find: Find,
        *,
        blocked: Blocked | None = None,
        sleep=asyncio.sleep,
        backoff=BACKOFF,
        messages_per_second: float | None = TENANT_PER_SECOND,
    ) -> None:
        self.api = api
        self._find = find
        self._blocked = blocked  # marks the address inactive (bot.services.addresses.mark_blocked)
        self._sleep = sleep
        self.backoff = backoff  # seconds before the first retry, doubled each time
        self.rate = messages_per_second  # per tenant; None or 0: unpaced
        self.pacers: dict[str, Pacer] = {}  # tenant id -> its pacer
        self.maybe_delivered = 0  # sends recorded as maybe delivered (not resent)

    def pacer(self, tenant_id: str) -> Pacer | None:
        if not self.rate:
            return None
        if tenant_id not in self.pacers:
            self.pacers[tenant_id] = Pacer(self.rate, per_channel=CONVERSATION_PER_SECOND, sleep=self._sleep)
        return self.pacers[tenant_id]

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
        # thread_ts is ignored: a Teams 1:1 chat has no threads; the answer follows in the chat. ledger_id names
        # a maybe-delivered send (the connector keeps no history to find it by, see the module's docstring).
        address = await self._address(to)
        activity = render(message)
        try:
            sent = await self._call(
                lambda: self.api.conversations.create_activity(
                    address.conversation_id, activity, service_url=address.service_url
                ),
                address,
                create=True,
            )
        except _MaybeDelivered as exc:
            self.maybe_delivered += 1
            log.warning("teams connector: %s on a send; recorded as maybe delivered, not resent", exc)
            stand_in = str(ledger_id) if ledger_id is not None else uuid.uuid4().hex[:20]  # ts columns hold 32
            return Delivery(address.channel, MAYBE + stand_in)
        return Delivery(address.channel, sent.id)

    async def find_sent(self, to: str, ledger_ids: set[int]) -> dict[int, Delivery]:
        """A send left unconfirmed by a crash (or a failed ledger write) after the request went out: the connector
        keeps no history a bot can read, so each is taken as maybe delivered, as in `post`, and not resent."""
        address = await self._address(to)
        return {i: Delivery(address.channel, f"{MAYBE}{i}") for i in ledger_ids}

    async def update(self, where: Delivery, message: Any) -> None:
        if where.ts.startswith(MAYBE):  # its activity id never came back: there is nothing to address
            raise DeliveryFailed("a maybe-delivered Teams message cannot be edited in place")
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

    async def _call(self, send: Callable[[], Awaitable[Any]], address: TeamsAddress, *, create: bool = False) -> Any:
        """One connector call, paced per tenant and conversation; `create`: not idempotent (see the docstring)."""
        pacer, conversation = self.pacer(address.tenant_id), address.conversation_id
        if pacer is not None:
            await pacer.acquire(conversation)
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                result = await send()
                if pacer is not None:
                    pacer.sent()
                return result
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status == 403 and _code(exc) == BLOCKED_CODE:
                    await self._mark_blocked(address)
                    raise DeliveryFailed(BLOCKED, gone=True) from None
                if create and status in MAYBE_STATUSES:
                    raise _MaybeDelivered(_reason(exc)) from None
                if status == 429:
                    wait = _retry_after(exc.response)
                    if last or wait > MAX_RETRY_AFTER:
                        raise DeliveryFailed(_reason(exc), later=True) from None
                    log.warning("teams connector said 429; retrying after %.1fs", wait)
                    await (pacer.retry(conversation, wait) if pacer is not None else self._sleep(wait))
                    continue
                if last or status not in RETRY_STATUSES:
                    raise DeliveryFailed(_reason(exc)) from None
                log.warning("teams connector said %d; retrying", status)
            except httpx.TransportError as exc:
                if create and not isinstance(exc, NOT_SENT):  # the request went out; its answer was lost
                    raise _MaybeDelivered(f"teams_no_answer {type(exc).__name__}") from None
                if last:
                    raise DeliveryFailed(f"teams_unreachable {type(exc).__name__}") from None
            await self._sleep(self.backoff * 2**attempt)
            if pacer is not None:
                await pacer.acquire(conversation)
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
