"""Reject malformed Slack request bodies with 400 before Bolt parses them.

Bolt parses the body before it verifies the signature and before any listener runs: `payload=not-json`
raised JSONDecodeError inside the aiohttp handler (HTTP 500 and a logged traceback), and a block_actions
payload with an empty `actions` list raised IndexError while Bolt built listener arguments. Slack never
sends either, so such a request is refused as a bad request, with nothing run and nothing stored.
"""

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web

log = logging.getLogger(__name__)
PATH = "/slack/events"


def problem(body: str, content_type: str) -> str | None:
    """Why `body` is not something Slack sends, or None when it looks well-formed."""
    if content_type == "application/json":
        return None if isinstance(_json(body), dict) else "JSON body is not an object"
    raw = parse_qs(body).get("payload")
    if raw is None:
        return None  # a slash command or ssl_check: plain form fields
    payload = _json(raw[0])
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), dict) or not payload["user"].get("id"):
        return "interaction payload is not a JSON object with a user"
    actions = payload.get("actions")
    if payload.get("type") == "block_actions" and not (actions and all(isinstance(a, dict) for a in actions)):
        return "block_actions payload without actions"
    return None


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


@web.middleware
async def reject_malformed(request: web.Request, handler):
    """aiohttp middleware: 400 for a malformed body on the Slack endpoint (the body is read once, cached)."""
    if request.method == "POST" and request.path == PATH:
        reason = problem(await request.text(), request.content_type)
        if reason:
            log.warning("rejected a malformed Slack request: %s", reason)  # never the body: it may hold notes
            return web.Response(status=400, text="malformed request")
    return await handler(request)
