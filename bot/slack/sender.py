"""Outbound Slack: implements the Notifier and Directory ports with the real slack_sdk client."""

import asyncio
import logging

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.okr.messages import Delivery
from bot.services.kernel.ports import DeliveryFailed, UserInfo
from bot.slack.client import close_session, on_rate_limited, share_session
from bot.slack.pacer import Pacer
from bot.slack.render import render, render_view

log = logging.getLogger(__name__)

# Bounded fan-out: Slack allows "several hundred" posts a minute per workspace; more
# parallel requests than this only buy 429s.
MAX_CONCURRENCY = 16
DEFAULT_MESSAGES_PER_SECOND = 5.0  # 300 a minute: inside Slack's "several hundred per minute per workspace"
PER_CHANNEL_PER_SECOND = 1.0


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
            try:
                resp = await self.client.api_call(method, json=kwargs)
            except SlackApiError as exc:
                raise DeliveryFailed(f"{method}: {exc.response.get('error', exc.response.status_code)}") from None
            except (ClientError, TimeoutError, OSError) as exc:
                raise DeliveryFailed(f"{method}: {type(exc).__name__}") from None
        if paced:
            self.pacer.sent()
        return resp.data if hasattr(resp, "data") else resp

    async def post(self, to: str, message, *, thread_ts: str | None = None) -> Delivery:
        r = render(message)
        args = {"channel": to, "text": r.text, "blocks": r.blocks_json(), "unfurl_links": False}
        if thread_ts:
            args["thread_ts"] = thread_ts
        data = await self._call("chat.postMessage", **args)
        return Delivery(channel=data["channel"], ts=data["ts"])

    async def update(self, where: Delivery, message) -> None:
        r = render(message)
        await self._call("chat.update", channel=where.channel, ts=where.ts, text=r.text, blocks=r.blocks_json())

    async def publish_home(self, user: str, message) -> None:
        await self._call("views.publish", user_id=user, view=render_view(message).to_dict())


class SlackDirectory:
    """People and their timezones, read in bulk with users.list (Tier 2, up to 1,000 a page)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def list_users(self) -> list[UserInfo]:
        people: list[UserInfo] = []
        cursor = None
        while True:
            try:
                resp = await self.client.users_list(limit=1000, cursor=cursor)
            except SlackApiError as exc:
                raise DeliveryFailed(f"users.list: {exc.response.get('error')}") from None
            people += [_user(m) for m in resp["members"]]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return people


def _user(m: dict) -> UserInfo:
    profile = m.get("profile") or {}
    name = profile.get("display_name") or m.get("real_name") or profile.get("real_name") or m.get("name") or m["id"]
    return UserInfo(id=m["id"], name=name, tz=m.get("tz"))
