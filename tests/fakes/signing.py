"""SlackRequests: send inbound requests to the app exactly as Slack would - same encodings, same signature.

Slash commands and interactions are form-encoded (interactions as a single ``payload`` JSON field); events are
JSON. Every request is signed ``v0=HMAC-SHA256(secret, "v0:{timestamp}:{raw body}")`` so the app's real
signature verification runs in tests. Paired with a FakeSlack, trigger ids and response_urls are ones the
fake knows (single-use triggers, 5-post response_urls, replace_original on the right message).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .state import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Message


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's request signature for ``body`` sent at ``timestamp`` (header ``X-Slack-Signature``)."""
    raw = body.decode() if isinstance(body, bytes) else body
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{raw}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Response:
    status: int
    body: dict | str
    headers: Mapping[str, str]


class SlackRequests:
    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: Any = None,
        *,
        path: str = "/slack/events",
        verification_token: str = "legacy-verification-token",
        clock: Callable[[], float] = time.time,
        session: aiohttp.ClientSession | None = None,
        settle: Callable[[], Awaitable[None]] | None = None,
    ):
        """`session`: reuse one aiohttp session (keep-alive) for every request, e.g. in load generators;
        by default each request opens and closes its own."""
        self.url = app_url.rstrip("/") + path
        self.session = session
        self.signing_secret = signing_secret
        self.fake = fake  # a FakeSlack, or None (then trigger ids/response_urls are local and unreachable)
        self.verification_token = verification_token
        self._clock = clock
        self._seq = itertools.count(1)
        # Awaited after each answered request: the harness waits there for the app's deferred work.
        self.settle = settle

    # ---- ids -----------------------------------------------------------------------------------------------
    def trigger_id(self) -> str:
        return self.fake.issue_trigger_id() if self.fake else f"{next(self._seq)}.4242.{uuid.uuid4().hex[:16]}"

    def _response_url(self, **bind: Any) -> str:
        if self.fake:
            return self.fake.response_url(**bind)
        return f"https://hooks.slack.com/actions/{TEAM_ID}/{next(self._seq)}/{uuid.uuid4().hex}"

    def _ts(self) -> str:
        return self.fake.new_ts() if self.fake else f"{int(self._clock())}.{next(self._seq):06d}"

    def _user(self, user_id: str) -> dict[str, str]:
        user = self.fake.user(user_id) if self.fake else None
        name = user.name if user else user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}

    # ---- transport -----------------------------------------------------------------------------------------
    async def raw(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Response:
        """POST ``body`` signed for ``timestamp`` (default now). ``signature`` overrides the computed one;
        ``""`` omits the header, as does passing a header with value None in ``headers``."""
        data = body.encode() if isinstance(body, str) else body
        ts = str(int(self._clock())) if timestamp is None else str(timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(self.signing_secret, ts, data) if signature is None else signature,
        }
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v}  # drop removed/empty headers
        if self.session is not None:
            return await self._post(self.session, data, sent)
        async with aiohttp.ClientSession() as http:
            return await self._post(http, data, sent)

    async def _post(self, http: aiohttp.ClientSession, data: bytes, headers: dict) -> Response:
        async with http.post(self.url, data=data, headers=headers) as resp:
            text = await resp.text()
            parsed: dict | str = json.loads(text) if resp.content_type == "application/json" and text else text
            answer = Response(resp.status, parsed, dict(resp.headers))
        if self.settle is not None:
            await self.settle()
        return answer

    async def _form(self, fields: dict[str, str]) -> Response:
        return await self.raw(urlencode(fields), "application/x-www-form-urlencoded")

    async def _interaction(self, payload: dict) -> Response:
        return await self._form({"payload": json.dumps(payload)})

    def _base(self, user_id: str) -> dict[str, Any]:
        return {
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # ---- slash commands ------------------------------------------------------------------------------------
    async def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        channel_name: str | None = None,
        user_name: str | None = None,
        trigger_id: str | None = None,
    ) -> Response:
        fields = {
            "token": self.verification_token,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower()),
            "user_id": user_id,
            "user_name": user_name or self._user(user_id)["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(channel=channel_id, user=user_id),
            "trigger_id": trigger_id or self.trigger_id(),
        }
        return await self._form(fields)

    # ---- interactivity -------------------------------------------------------------------------------------
    async def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str = "b",
        container: dict | None = None,
        message: Message | dict | None = None,
        view: dict | None = None,
        channel_id: str | None = None,
        selected_option: dict | None = None,
        action_type: str | None = None,
        trigger_id: str | None = None,
    ) -> Response:
        """A ``block_actions`` payload. Pass ``message`` (a FakeSlack Message or a message dict + channel_id) for a
        click in a message, or ``view`` (e.g. ``fake.open_views[-1]`` / ``fake.home_view(u)``) for one in a view."""
        if isinstance(message, Message):
            channel_id = channel_id or message.channel
            message = message.to_slack()
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": f"{self._clock():.6f}"}
        if selected_option is not None:
            action.update(type=action_type or "static_select", selected_option=selected_option)
        else:
            action.update(type=action_type or "button", text={"type": "plain_text", "text": action_id})
        if value is not None:
            action["value"] = value
        payload = {"type": "block_actions", **self._base(user_id), "trigger_id": trigger_id or self.trigger_id()}
        if view is not None:
            payload["container"] = container or {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        elif message is not None or channel_id is not None:
            ts = message.get("ts") if message else None
            in_dm = bool(channel_id and channel_id.startswith("D"))
            payload["container"] = container or {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "directmessage" if in_dm else str(channel_id).lower()}
            if message is not None:
                payload["message"] = message
            payload["state"] = {"values": {}}
            payload["response_url"] = self._response_url(channel=channel_id, ts=ts, user=user_id)
        else:
            payload["container"] = container or {}
        payload["actions"] = [action]
        return await self._interaction(payload)

    async def view_submission(
        self,
        user_id: str,
        callback_id: str,
        values: dict,
        *,
        private_metadata: str | None = None,
        view_id: str | None = None,
        trigger_id: str | None = None,
    ) -> Response:
        """``values``: ``{block_id: {action_id: "text"}}`` shorthand (plain_text_input) or Slack's raw state
        values (``{block_id: {action_id: {"type": ..., ...}}}``); both may be mixed. When paired with a FakeSlack,
        the submitted view is the modal opened with this callback_id (id, hash, blocks, private_metadata)."""
        state = {
            block_id: {
                action_id: v if isinstance(v, dict) else {"type": "plain_text_input", "value": v}
                for action_id, v in actions.items()
            }
            for block_id, actions in values.items()
        }
        opened = None
        if self.fake:
            candidates = [v for v in self.fake.open_views if v["callback_id"] == callback_id]
            opened = next((v for v in candidates if v["id"] == view_id), None) if view_id else None
            opened = opened or (candidates[-1] if candidates and not view_id else None)
        view = dict(
            opened
            or {
                "id": view_id or "V0SUBMITTED",
                "type": "modal",
                "blocks": [],
                "hash": "h",
                "title": {"type": "plain_text", "text": "Modal"},
                "root_view_id": view_id,
            }
        )
        view.update(
            callback_id=callback_id,
            team_id=TEAM_ID,
            app_id=APP_ID,
            bot_id="B0BOT",
            state={"values": state},
            private_metadata=private_metadata
            if private_metadata is not None
            else (opened or {}).get("private_metadata", ""),
        )
        payload = {
            "type": "view_submission",
            **self._base(user_id),
            "trigger_id": trigger_id or self.trigger_id(),
            "view": view,
            "response_urls": [],
        }
        return await self._interaction(payload)

    # ---- events --------------------------------------------------------------------------------------------
    async def event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        envelope = {
            "token": self.verification_token,
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev0FAKE{next(self._seq):06d}",
            "event_time": int(self._clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:  # Slack redelivers with these when the app did not ack within 3 s
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.raw(json.dumps(envelope), "application/json", headers=headers)

    async def message_im(
        self,
        user_id: str,
        text: str,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        ts: str | None = None,
        event_id: str | None = None,
    ) -> Response:
        """A user's direct message to the bot (``message`` event, ``channel_type: im``)."""
        if channel is None:
            channel = self.fake.dm_channel(user_id) if self.fake else "D" + user_id[1:]
        ts = ts or self._ts()
        event = {
            "type": "message",
            "channel": channel,
            "user": user_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "team": TEAM_ID,
            "client_msg_id": str(uuid.uuid4()),
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return await self.event(event, event_id=event_id)
