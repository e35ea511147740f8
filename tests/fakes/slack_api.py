"""FakeSlack: an in-process aiohttp server speaking the Slack Web API, for tests that must never reach Slack.

Point the real client at it: ``AsyncWebClient(token="xoxb-test", base_url=fake.base_url)``. Modelled on
bolt-python's tests/mock_web_api_server, but stateful (messages, DMs, views) and validating Block Kit the way
Slack does, so payload bugs show up in tests. See workspace.py for method semantics, limits.py for faults.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .blocks_check import MESSAGE_BLOCK_LIMIT, check_blocks, decode_json_field
from .limits import Fault, Faults, RateLimits
from .state import Call, RawAnswer
from .workspace import ApiError, SlackWorkspace

# Fields Slack accepts as JSON strings in form-encoded/query calls; decoded so tests see Python objects.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "unfurls", "options")
RESPONSE_URL_MAX_POSTS = 5  # Slack: a response_url may be used up to 5 times (within 30 minutes)
HISTORY_MAX = 15  # Slack (2025): apps outside the Marketplace get at most 15 messages per conversations.history
HTML_503 = "<html><head><title>503 Service Unavailable</title></head><body>Service Unavailable</body></html>"


class FakeSlack(SlackWorkspace):
    def __init__(
        self, token: str = "xoxb-test", *, clock: Callable[[], float] = time.time, latency: float = 0.0
    ) -> None:
        super().__init__(clock=clock)
        self.token = token
        # Seconds every Web API call waits before its answer goes back (after it was carried out and recorded,
        # so Call.at is when the call arrived); benchmarks set it, e.g. 0.05 for Slack's usual round trip.
        self.latency = latency
        self.app_token = "xapp-test"  # the app-level token: apps.connections.open accepts only this one
        self.revoked: set[str] = set()  # tokens Slack answers token_revoked for
        self.calls: list[Call] = []
        self.rate_limited_count = 0
        self.held_calls: list[str] = []  # methods whose calls a lose_next fault is holding (or held)
        self._faults = Faults()
        self._limits: RateLimits | None = None
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._response_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.port: int | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api_with_latency)
        app.router.add_route("POST", "/response/{rid}", self._handle_response_url)
        # Short shutdown timeout: hung handlers (hang_next) must not keep stop() waiting for a minute.
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # port 0: the OS picks a free port, no races
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._stopping.set()  # wakes hung handlers
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeSlack not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"

    # ---- recording -----------------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    def assert_no_warnings(self) -> None:
        warned = [(c.method, c.warnings) for c in self.calls if c.warnings]
        assert not warned, f"Slack calls produced warnings: {warned}"

    # ---- faults and limits ---------------------------------------------------------------------------------
    def fail_next(self, method: str, times: int = 1, *, status: int = 429, retry_after: int | None = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (429 carries ``Retry-After``)."""
        self._faults.add(method, Fault("fail", status=status, retry_after=retry_after), times)

    def hang_next(self, method: str, times: int = 1, *, seconds: float = 30.0) -> None:
        """Delay the answer by ``seconds``, then process the call normally - like Slack, a client that timed
        out may still have caused the side effect (that's what makes retries produce duplicates)."""
        self._faults.add(method, Fault("hang", seconds=seconds), times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering (client sees ServerDisconnectedError); recorded status 0."""
        self._faults.add(method, Fault("drop"), times)

    def answer_next(
        self, method: str, times: int = 1, *, status: int, content_type: str, body: str, after: bool = False
    ) -> None:
        """Answer the next ``times`` calls with this raw body; ``after`` carries the call out first."""
        self._faults.add(method, RawAnswer(status, content_type, body, after), times)  # type: ignore[arg-type]

    def ok_without_fields_next(self, method: str, times: int = 1) -> None:
        """Carry the call out, then answer a bare ``{"ok": true}`` (no channel, ts, members...)."""
        self.answer_next(method, times, status=200, content_type="application/json", body='{"ok": true}', after=True)

    def lose_next(self, method: str, times: int = 1, *, seconds: float = 5.0) -> None:
        """Hold the call ``seconds``, then close the connection without carrying it out: a request that never
        reached Slack (the process died while it was in flight). Recorded with status 0."""
        self._faults.add(method, RawAnswer(0, "", "", kind="lose", seconds=seconds), times)  # type: ignore[arg-type]

    def clear_faults(self) -> None:
        self._faults.clear()

    def enforce_limits(
        self,
        per_channel_per_sec: float | None = 1.0,
        workspace_per_sec: float | None = None,
        conversations_open_per_min: float | None = None,
    ) -> None:
        """Turn on rate limiting (see limits.RateLimits for exact semantics). Call with all None to turn off."""
        self._limits = RateLimits(per_channel_per_sec, workspace_per_sec, conversations_open_per_min)

    # ---- methods the workspace model leaves to the server ----------------------------------------------------
    def api_chat_postMessage(self, args: dict) -> dict:
        answer = super().api_chat_postMessage(args)
        metadata = args.get("metadata")
        if isinstance(metadata, dict) and metadata.get("event_type"):
            self.message(answer["channel"], answer["ts"]).metadata = metadata
            answer["message"] = self.message(answer["channel"], answer["ts"]).to_slack()
        return answer

    def api_conversations_history(self, args: dict) -> dict:
        """Newest first, top-level messages (and thread parents) only, at most HISTORY_MAX however many are
        asked for; metadata only with include_all_metadata, as Slack does."""
        channel = self._channel(args.get("channel"))
        limit = min(int(args.get("limit") or 100), HISTORY_MAX)
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        top = [m for m in self.messages(channel) if m.thread_ts in (None, m.ts) and m.ephemeral_user is None]
        newest = sorted(top, key=lambda m: float(m.ts), reverse=True)[:limit]
        out = []
        for m in newest:
            item = m.to_slack()
            if not with_meta:
                item.pop("metadata", None)
            out.append(item)
        return {"messages": out, "has_more": len(top) > limit}

    # ---- response_url --------------------------------------------------------------------------------------
    def response_url(self, *, channel: str | None = None, ts: str | None = None, user: str | None = None) -> str:
        """A fresh response_url. Bound to a message (channel+ts) it supports replace_original/delete_original;
        bound to a channel, ``response_type: in_channel`` posts there and anything else is ephemeral to ``user``."""
        rid = f"{next(self._response_ids)}"
        self._response_urls[rid] = {"channel": channel, "ts": ts, "user": user, "posts": 0}
        return f"{self.url}/response/{rid}"

    # ---- HTTP handlers -------------------------------------------------------------------------------------
    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        # slack_sdk sends query params (GET, and POST with params=), form data (data=) or JSON (json=).
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                args.update(body if isinstance(body, dict) else {})
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return {k: decode_json_field(v) if k in _JSON_FIELDS else v for k, v in args.items()}

    def _record(self, method: str, args: dict, response: dict, status: int, **extra: Any) -> Call:
        call = Call(method, args, response, status, self._clock(), **extra)
        self.calls.append(call)
        return call

    async def _apply_fault(self, request: web.Request, method: str, args: dict, **extra: Any) -> web.Response | None:
        fault = self._faults.take(method)
        if fault is None:
            return None
        if isinstance(fault, RawAnswer) and fault.kind == "lose":
            self.held_calls.append(method)  # tests wait on this: the call is in flight, held here
            try:
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
            except TimeoutError:
                pass
            self._record(method, args, {}, 0, **extra)
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        if isinstance(fault, RawAnswer):
            if fault.after:
                try:
                    self.dispatch(method, dict(args))
                except ApiError:
                    pass
            self._record(method, args, {"_raw": fault.body}, fault.status, **extra)
            return web.Response(status=fault.status, body=fault.body.encode(), content_type=fault.content_type)
        if fault.kind == "hang":
            try:
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
            except TimeoutError:
                pass
            return None
        if fault.kind == "drop":
            self._record(method, args, {}, 0, **extra)
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError  # nothing may be written; aiohttp handles the cancelled handler quietly
        error = "ratelimited" if fault.status == 429 else "internal_error"
        return self._refuse(
            method, args, fault.status, error, fault.retry_after if fault.status == 429 else None, **extra
        )

    def _refuse(self, method: str, args: dict, status: int, error: str, retry_after: int | None, **extra: Any):
        body = {"ok": False, "error": error}
        self._record(method, args, body, status, **extra)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return web.json_response(body, status=status, headers=headers)

    def _auth_error(self, request: web.Request, method: str, args: dict) -> str | None:
        """None when the call's token is right for `method`, else Slack's error for it."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else args.pop("token", None)
        args.pop("token", None)  # never keep credentials in recorded args
        if token in self.revoked:
            return "token_revoked"
        if not token:
            return "not_authed"
        expected = self.app_token if method == "apps.connections.open" else self.token
        return None if token == expected else "invalid_auth"

    async def _handle_api_with_latency(self, request: web.Request) -> web.Response:
        response = await self._handle_api(request)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return response

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._read_args(request)
        auth_error = self._auth_error(request, method, args)
        refused = await self._apply_fault(request, method, args)
        if refused is not None:
            return refused
        if auth_error:
            return self._answer(method, args, {"ok": False, "error": auth_error}, [])
        if self._limits is not None:
            channel = args.get("channel")
            if method == "chat.postMessage" and isinstance(channel, str) and channel[:1] in ("U", "W"):
                channel = self.dm_channel(channel)
            retry_after = self._limits.check(method, channel if isinstance(channel, str) else None)
            if retry_after is not None:
                self.rate_limited_count += 1
                return self._refuse(method, args, 429, "ratelimited", retry_after)
        self._warnings = []
        try:
            body = self.dispatch(method, args)
        except ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        warnings = self._warnings
        if warnings and body.get("ok"):
            body["warning"] = ",".join(warnings)
            body.setdefault("response_metadata", {})["warnings"] = list(warnings)
        return self._answer(method, args, body, warnings if body.get("ok") else [])

    def _answer(self, method: str, args: dict, body: dict, warnings: list[str]) -> web.Response:
        self._record(method, args, body, 200, warnings=list(warnings))
        return web.json_response(body)  # Slack answers API errors with HTTP 200

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        url = str(request.url)
        try:
            body = await request.json()
        except ValueError:
            body = {"_raw": await request.text()}
        refused = await self._apply_fault(request, "response_url", body, url=url)
        if refused is not None:
            return refused
        target = self._response_urls.get(rid)
        if target is None:
            self._record("response_url", body, {"ok": False, "error": "no_service"}, 404, url=url)
            return web.Response(status=404, text="no_service")
        target["posts"] += 1
        if target["posts"] > RESPONSE_URL_MAX_POSTS:
            self._record("response_url", body, {"ok": False, "error": "used_url"}, 404, url=url)
            return web.Response(status=404, text="used_url")
        try:
            warnings = self._apply_response(target, body)
        except ApiError as exc:
            answer = {"ok": False, "error": exc.error, **exc.extra}
            self._record("response_url", body, answer, 400, url=url)
            return web.json_response(answer, status=400)  # webhooks signal bad payloads with HTTP 400
        self._record("response_url", body, {"ok": True}, 200, url=url, warnings=warnings)
        return web.json_response({"ok": True})

    def _apply_response(self, target: dict[str, Any], body: dict[str, Any]) -> list[str]:
        """Make response_url posts visible in fake.messages()/ephemeral_messages() like Slack renders them."""
        self._warnings = []
        if body.get("delete_original"):
            if target["channel"] and target["ts"]:
                self._existing({"channel": target["channel"], "ts": target["ts"]}).deleted = True
            return []
        if body.get("blocks") is not None:
            errors = check_blocks(body["blocks"], limit=MESSAGE_BLOCK_LIMIT)
            if errors:
                raise ApiError("invalid_blocks", errors=errors)
        self._message_content(body)
        if body.get("replace_original") and target["channel"] and target["ts"]:
            self._edit(self._existing({"channel": target["channel"], "ts": target["ts"]}), body)
        elif target["channel"]:
            ephemeral = None if body.get("response_type") == "in_channel" else (target["user"] or "unknown")
            self._new_message(self._post_channel(target["channel"]), body, ephemeral_user=ephemeral)
        return list(self._warnings)
