"""Outbound Slack: implements the Notifier and Directory ports with the real slack_sdk client."""

import asyncio
import logging

from aiohttp import ClientConnectorError, ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.okr.messages import Delivery
from bot.services.kernel.ports import DeliveryFailed, UserInfo
from bot.slack.client import close_session, on_rate_limited, share_session
from bot.slack.pacer import Pacer
from bot.slack.render import render, render_view, view_json

log = logging.getLogger(__name__)

# Bounded fan-out: Slack allows "several hundred" posts a minute per workspace; more
# parallel requests than this only buy 429s.
MAX_CONCURRENCY = 16
DEFAULT_MESSAGES_PER_SECOND = 5.0  # 300 a minute: inside Slack's "several hundred per minute per workspace"
PER_CHANNEL_PER_SECOND = 1.0
LEDGER_EVENT = "okrbot_ledger"  # the metadata event_type that carries a message's send-ledger id
HISTORY_LIMIT = 15  # Slack: at most 15 messages per conversations.history call for apps outside the Marketplace


class SlackNotifier:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        concurrency: int = MAX_CONCURRENCY,
        messages_per_second: float | None = DEFAULT_MESSAGES_PER_SECOND,
    ) -> None:
        """`messages_per_second`: the chat.postMessage pacer's ceiling; None or 0 sends unpaced."""
        self.client = client
        self._gate = asyncio.Semaphore(concurrency)
        self.pacer = Pacer(messages_per_second, per_channel=PER_CHANNEL_PER_SECOND) if messages_per_second else None
        if self.pacer is not None:
            on_rate_limited(client, self._rate_limited)

    def _rate_limited(self, method: str) -> None:
        if method == "chat.postMessage" and self.pacer is not None:
            self.pacer.rate_limited_by_slack()

    async def aclose(self) -> None:
        """Close the client's shared HTTP session (at shutdown)."""
        await close_session(self.client)

    async def _call(self, method: str, **kwargs) -> dict:
        share_session(self.client)
        paced = self.pacer is not None and method == "chat.postMessage"
        if paced:
            await self.pacer.acquire(kwargs.get("channel"))
        async with self._gate:
            resp = await _api_call(self.client, method, kwargs)
        if paced:
            self.pacer.sent()
        return resp

    async def post(self, to: str, message, *, thread_ts: str | None = None, ledger_id: int | None = None) -> Delivery:
        r = render(message)
        args = {"channel": to, "text": r.text, "blocks": r.blocks_json(), "unfurl_links": False}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if ledger_id is not None:
            args["metadata"] = {"event_type": LEDGER_EVENT, "event_payload": {"ledger_id": ledger_id}}
        data = await self._call("chat.postMessage", **args)
        if not isinstance(data.get("channel"), str) or not isinstance(data.get("ts"), str):
            # Slack said ok, so the message may well be there: reconcile, never resend blindly.
            raise DeliveryFailed("chat.postMessage: ok without channel/ts", unknown=True)
        return Delivery(channel=data["channel"], ts=data["ts"])

    async def find_sent(self, to: str, ledger_ids: set[int]) -> dict[int, Delivery]:
        """Read `to`'s latest messages (one conversations.history call, the only place okrbot reads history)
        and return the ledger ids among them. A user id is first turned into its DM channel."""
        channel = to
        if to[:1] in ("U", "W"):
            opened = await self._call("conversations.open", users=to)
            channel = (opened.get("channel") or {}).get("id") or ""
        data = await self._call(
            "conversations.history", channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
        )
        found: dict[int, Delivery] = {}
        for m in data.get("messages") or []:
            meta = m.get("metadata") or {}
            ledger_id = (
                (meta.get("event_payload") or {}).get("ledger_id") if meta.get("event_type") == LEDGER_EVENT else None
            )
            if ledger_id in ledger_ids and isinstance(m.get("ts"), str):
                found[ledger_id] = Delivery(channel=channel, ts=m["ts"])
        return found

    async def update(self, where: Delivery, message) -> None:
        r = render(message)
        await self._call("chat.update", channel=where.channel, ts=where.ts, text=r.text, blocks=r.blocks_json())

    async def publish_home(self, user: str, message) -> None:
        await self._call("views.publish", user_id=user, view=view_json(render_view(message)))


class SlackDirectory:
    """People and their timezones, read in bulk with users.list (Tier 2, up to 1,000 a page)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def list_users(self) -> list[UserInfo]:
        people: list[UserInfo] = []
        cursor = None
        while True:
            resp = await _api_call(self.client, "users.list", {"limit": 1000, "cursor": cursor}, verb="GET")
            members = resp.get("members")
            if not isinstance(members, list):
                raise DeliveryFailed("users.list: ok without members")
            people += [_user(m) for m in members if isinstance(m, dict) and m.get("id")]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return people


async def _api_call(client: AsyncWebClient, method: str, args: dict, *, verb: str = "POST") -> dict:
    """One Web API call; every way it can fail becomes a DeliveryFailed (the one error type of ports)."""
    share_session(client)
    try:
        if verb == "GET":
            resp = await client.api_call(method, http_verb="GET", params={k: v for k, v in args.items() if v})
        else:
            resp = await client.api_call(method, json=args)
    except SlackApiError as exc:
        raise _refused(method, exc.response) from None
    except TimeoutError:  # aiohttp's timeouts are TimeoutErrors: Slack may have acted on the call
        raise DeliveryFailed(f"{method}: timed out", unknown=True) from None
    except ClientConnectorError as exc:  # never reached Slack
        raise DeliveryFailed(f"{method}: {type(exc).__name__}") from None
    except (ClientError, OSError, ValueError) as exc:  # the connection broke after the request went out
        raise DeliveryFailed(f"{method}: {type(exc).__name__}", unknown=True) from None
    except Exception as exc:  # e.g. validate() on a text/plain 200 (AttributeError): an answer we cannot read
        log.warning("%s: unreadable answer (%s)", method, type(exc).__name__)
        raise DeliveryFailed(f"{method}: unreadable answer ({type(exc).__name__})", unknown=True) from None
    data = getattr(resp, "data", resp)
    if not isinstance(data, dict) or data.get("ok") is not True:
        raise DeliveryFailed(f"{method}: unreadable answer", unknown=True)
    return data


def _refused(method: str, response) -> DeliveryFailed:
    """A SlackApiError's response may be a SlackResponse (JSON dict, or a str for text/plain) or, for a body
    that is not JSON, aiohttp's ClientResponse: read it without assuming any of them."""
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    if status == 429:
        return DeliveryFailed(f"{method}: rate limited for longer than we wait (HTTP 429)", later=True)
    if isinstance(error, str) and error:
        return DeliveryFailed(f"{method}: {error}")
    if status == 200:  # a 200 whose body is not Slack's answer: the call may have worked
        return DeliveryFailed(f"{method}: unreadable answer", unknown=True)
    return DeliveryFailed(f"{method}: HTTP {status}")


def _user(m: dict) -> UserInfo:
    profile = m.get("profile") or {}
    name = profile.get("display_name") or m.get("real_name") or profile.get("real_name") or m.get("name") or m["id"]
    return UserInfo(id=m["id"], name=name, tz=m.get("tz"))
