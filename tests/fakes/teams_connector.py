"""A fake Bot Connector on loopback: records every call okrbot makes to Teams, and can fail on demand.

Activities sent to okrbot carry `serviceUrl: connector.base_url`, so replies and proactive messages come here.
Every Adaptive Card okrbot sends is checked against schema 1.5 (tests/fakes/adaptive_cards.py): a bad one gets
400 BadArgument, as Teams answers, and is kept in `rejected` (the test fixture fails a test that leaves any).
"""

import asyncio
import itertools
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
        self.delay = 0.0  # seconds before each answer: a slow connector
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
        if self.fail_next:
            status, headers, payload = self.fail_next.pop(0)
            return web.json_response(payload, status=status, headers=headers)
        problems = self._card_problems(body)
        if problems:
            self.rejected.append((call, problems))
            error = {"code": "BadArgument", "message": "; ".join(problems)}
            return web.json_response({"error": error}, status=400)
        return self._answer(request, body)

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
            return web.json_response({"id": f"act-{next(self._ids)}"}, status=201)
        if method == "PUT" and len(parts) == 6 and parts[4] == "activities":
            return web.json_response({"id": parts[5]})
        if method == "GET" and path.lower().endswith("/pagedmembers"):  # the SDK asks for /pagedMembers
            return web.json_response({"members": self.members.get(parts[3], [])})
        return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)
