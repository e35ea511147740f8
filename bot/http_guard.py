"""The HTTP front door of /slack/events: limits, then Slack's signature, then shape; only then Bolt.

Order matters. Nothing may act on, parse or log a body before its signature is verified: a timestamp
header like `not-a-number` once made slack_sdk's verifier raise ValueError inside Bolt, and Bolt's error
handler then ran on the unverified body (replying to the attacker's response_url, DMing any user id).
So the middlewares here run in front of everything, in this order (after `count_in_flight`, which only counts
the requests being answered, every path but /healthz, so that the inbox workers give way to them):

1. `limit_in_flight`: at most MAX_IN_FLIGHT Slack requests are being read or handled at once; the next
   gets 503 at once and its connection is closed, so slow or stuck clients cannot pile up sockets.
2. `verify_signature`: read the body within BODY_READ_TIMEOUT (else 408), check the timestamp ourselves
   (present, plain digits, within 5 minutes), then slack_sdk's SignatureVerifier. Anything else: 401, with
   one log line naming the reason and nothing from the body.
3. `reject_malformed`: Slack never sends a body Bolt would choke on (`payload=not-json`, an empty
   `actions` list, JSON nested 100,000 deep that raises RecursionError); such a body is a 400.

Bolt verifies the signature again (defence in depth); its logger never prints bodies (bot.logs).
"""

import asyncio
import json
import logging
import re
import time
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.services.kernel.front_door import FrontDoor

log = logging.getLogger(__name__)
PATH = "/slack/events"
MAX_BODY_BYTES = 1024**2  # aiohttp's default, stated: Slack's largest payloads (modal submits) are far smaller
BODY_READ_TIMEOUT = 10.0  # seconds for the whole body once the headers are in; Slack sends it at once
MAX_IN_FLIGHT = 256  # Slack requests read or handled at once (a burst waits on SQLite, one writer); sockets are cheap
SIGNATURE_WINDOW = 300  # seconds either side of now, as Slack documents
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # int() would also take " 12", "1_2", "+12" and non-ASCII digits


def count_in_flight(door: FrontDoor):
    """aiohttp middleware: every request but /healthz is counted in `door` while it is being answered."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path == "/healthz":
            return await handler(request)
        with door.answering():
            return await handler(request)

    return middleware


def _is_slack(request: web.Request) -> bool:
    return request.method == "POST" and request.path == PATH


def limit_in_flight(limit: int = MAX_IN_FLIGHT):
    """aiohttp middleware: refuse (503, connection closed) the Slack request over `limit` in flight."""
    in_flight = 0

    @web.middleware
    async def middleware(request: web.Request, handler):
        nonlocal in_flight
        if not _is_slack(request):
            return await handler(request)  # /healthz must answer whatever Slack traffic does
        if in_flight >= limit:
            log.warning("refused a Slack request: %d already in flight", in_flight)
            return _closing(web.Response(status=503, text="busy", headers={"Retry-After": "1"}))
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return middleware


def verify_signature(signing_secret: str, *, read_timeout: float = BODY_READ_TIMEOUT):
    """aiohttp middleware: only requests signed by Slack, with a sane timestamp, get past this point."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if not _is_slack(request):
            return await handler(request)
        try:
            async with asyncio.timeout(read_timeout):
                raw = await request.read()  # aiohttp caches it: Bolt's adapter reads the same bytes
        except TimeoutError:
            log.warning("rejected a Slack request: body not received within %.0f s", read_timeout)
            return _closing(web.Response(status=408, text="request timeout"))
        reason = _unsigned(verifier, request, raw)
        if reason:
            log.warning("rejected an unsigned Slack request: %s", reason)  # the reason only, never the body
            return web.Response(status=401, text="invalid request")
        return await handler(request)

    return middleware


def _unsigned(verifier: SignatureVerifier, request: web.Request, raw: bytes) -> str | None:
    """Why the request is not Slack's, or None when its signature checks out."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    if not timestamp or not signature:
        return "missing timestamp or signature header"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "timestamp is not an integer"
    if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
        return "timestamp outside the 5-minute window"
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if not verifier.is_valid(body, timestamp, signature):
        return "bad signature"
    return None


def _closing(response: web.Response) -> web.Response:
    response.force_close()  # don't keep the socket of a client that misbehaves
    return response


def problem(body: str, content_type: str) -> str | None:
    """Why `body` is not something Slack sends, or None when it looks well-formed."""
    if content_type == "application/json" or body.startswith("{"):  # Bolt's own rule for JSON bodies
        return None if isinstance(_json(body), dict) else "JSON body is not an object"
    raw = parse_qs(body, keep_blank_values=True).get("payload")
    if raw is None:
        return None  # a slash command or ssl_check: plain form fields
    payload = _json(raw[-1])
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), dict) or not payload["user"].get("id"):
        return "interaction payload is not a JSON object with a user"
    actions = payload.get("actions")
    if payload.get("type") == "block_actions" and not (actions and all(isinstance(a, dict) for a in actions)):
        return "block_actions payload without actions"
    return None


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: '[' * 100000 nests deeper than the parser goes
        return None


@web.middleware
async def reject_malformed(request: web.Request, handler):
    """aiohttp middleware: 400 for a malformed body on the Slack endpoint (the body is read once, cached)."""
    if _is_slack(request):
        reason = problem(await request.text(), request.content_type)
        if reason:
            log.warning("rejected a malformed Slack request: %s", reason)  # never the body: it may hold notes
            return web.Response(status=400, text="malformed request")
    return await handler(request)
