"""A fake Bot Connector on loopback: records every call okrbot makes to Teams, and can fail on demand.

Activities sent to okrbot carry `serviceUrl: connector.base_url`, so replies and proactive messages come here.
Every Adaptive Card okrbot sends is checked against schema 1.5 (tests/fakes/adaptive_cards.py): a bad one gets
400 BadArgument, as Teams answers, and is kept in `rejected` (the test fixture fails a test that leaves any).
"""

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from tests.fakes.adaptive_cards import card_problems

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@dataclass
class Call:
    method: str
    path: str
    query: dict
    auth: str | None
    body: dict | None


class FakeConnector:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.fail_next: list[tuple[int, dict, dict]] = []  # (status, headers, body) for the next calls
        self.rejected: list[tuple[Call, list[str]]] = []  # cards that failed the schema check, and why
        self.members: dict[str, list[dict]] = {}  # conversation id -> roster
        self.page_size: int | None = None  # serve pagedMembers in pages this small (Teams may return fewer)
        self.delay = 0.0  # seconds before each answer: a slow connector
        # For the next message posts: deliver the activity, then answer this failure anyway (an ambiguous 5xx).
        self.fail_after_delivery: list[tuple[int, dict, dict]] = []
        self.delivered: dict[str, list[dict]] = {}  # conversation id -> the activities that landed there
        self.drop_after_delivery = 0  # the next n message posts: deliver, then close the connection unanswered
        # Teams' limits, when set: at most n sends per `seconds` per conversation / for the whole app (one tenant);
        # past them 429 with Retry-After, as the connector answers. `throttled` counts those 429s.
        self.limits: dict[str, tuple[int, float]] = {}  # "conversation" / "tenant" -> (n, seconds)
        self.throttled = 0
        self.bot_not_in: set[str] = set()  # conversations of teams the app is not in: 403 BotNotInConversationRoster
        self._stamps: dict[str, deque] = {}
        self._ids = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def sent(self, conversation_id: str | None = None) -> list[Call]:
        """Messages posted (POST …/activities), optionally in one conversation."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and c.path.endswith("/activities")
            and (conversation_id is None or c.path == f"/v3/conversations/{conversation_id}/activities")
        ]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        call = Call(request.method, request.path, dict(request.query), request.headers.get("Authorization"), body)
        self.calls.append(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        is_send = request.method in ("POST", "PUT") and "/activities" in request.path
        if is_send and request.path.split("/")[3] in self.bot_not_in:  # what the connector answers, documented
            error = {"code": "BotNotInConversationRoster", "message": "The bot is not part of the conversation roster."}
            return web.json_response({"error": error}, status=403)
        if is_send and self._over_limit(request.path.split("/")[3]):
            self.throttled += 1
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "1"})
        if self.fail_next:
            status, headers, payload = self.fail_next.pop(0)
            return web.json_response(payload, status=status, headers=headers)
        problems = self._card_problems(body)
        if problems:
            self.rejected.append((call, problems))
            error = {"code": "BadArgument", "message": "; ".join(problems)}
            return web.json_response({"error": error}, status=400)
        answer = self._answer(request, body)
        if self.drop_after_delivery and request.method == "POST" and request.path.endswith("/activities"):
            self.drop_after_delivery -= 1
            request.transport.close()  # delivered, but the answer never reaches okrbot
            return answer
        if self.fail_after_delivery and request.method == "POST" and request.path.endswith("/activities"):
            status, headers, payload = self.fail_after_delivery.pop(0)
            return web.json_response(payload, status=status, headers=headers)
        return answer

    def _over_limit(self, conversation: str) -> bool:
        now = time.monotonic()
        over = False
        for key, scope in ((conversation, "conversation"), ("*", "tenant")):
            if scope not in self.limits:
                continue
            n, seconds = self.limits[scope]
            stamps = self._stamps.setdefault(key, deque())
            while stamps and stamps[0] <= now - seconds:
                stamps.popleft()
            over = over or len(stamps) >= n
        if not over:
            for key in (conversation, "*"):
                self._stamps.setdefault(key, deque()).append(now)
        return over

    def updated(self, conversation_id: str) -> list[Call]:
        """Messages replaced in place (PUT …/activities/{id}) in one conversation."""
        prefix = f"/v3/conversations/{conversation_id}/activities/"
        return [c for c in self.calls if c.method == "PUT" and c.path.startswith(prefix)]

    @staticmethod
    def _card_problems(body) -> list[str]:
        attachments = (body or {}).get("attachments") or [] if isinstance(body, dict) else []
        return [
            p for a in attachments if a.get("contentType") == ADAPTIVE for p in card_problems(a.get("content") or {})
        ]

    def _answer(self, request: web.Request, body) -> web.Response:
        path, method = request.path, request.method
        parts = path.split("/")
        if method == "POST" and path == "/v3/conversations":
            member = (body.get("members") or [{}])[0].get("id", "")
            return web.json_response({"id": f"a:1on1-{member}", "serviceUrl": self.base_url}, status=201)
        if method == "POST" and path.endswith("/activities") and len(parts) == 5:
            activity_id = f"act-{next(self._ids)}"
            self.delivered.setdefault(parts[3], []).append({**(body or {}), "id": activity_id})
            return web.json_response({"id": activity_id}, status=201)
        if method == "PUT" and len(parts) == 6 and parts[4] == "activities":
            return web.json_response({"id": parts[5]})
        if method == "GET" and path.lower().endswith("/pagedmembers"):  # the SDK asks for /pagedMembers
            return web.json_response(self._page(self.members.get(parts[3], []), request.query))
        return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)

    def _page(self, roster: list[dict], query) -> dict:
        """One page of a roster; `continuationToken` (opaque to okrbot) says where the next starts."""
        start = int(query.get("continuationToken", "p0").removeprefix("p"))
        size = min(int(query.get("pageSize", 200)), self.page_size or 500)
        page = {"members": roster[start : start + size]}
        if start + size < len(roster):
            page["continuationToken"] = f"p{start + size}"
        return page
