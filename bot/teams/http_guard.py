"""The front door of POST /api/messages, in front of the Teams SDK (bot/http_guard.py is Slack's).

The SDK checks the Bot Framework JWT, but only after okrbot's adapter has read and parsed the body, and the SDK
also takes Entra-issued tokens (its Agent 365 path, which okrbot does not use): for those it fetches the keys of
whatever tenant the unverified token's `tid` names, with a new key client per tenant and a blocking urllib call
on the event loop. An outsider choosing a fresh `tid` per request would make okrbot stall on an outbound fetch
every time. So, in this order, before the SDK sees anything:

1. at most MAX_IN_FLIGHT Teams requests are read or handled at once (the next gets 503);
2. the body must arrive within BODY_READ_TIMEOUT (else 408); aiohttp's client_max_size caps its size (413);
3. with the JWT check on, the Authorization header must be a Bearer RS256 token, with a short base64url key id,
   whose (unverified) issuer is the Bot Framework's: anything else is 401 without any key fetch; then that key
   id is looked up in the SDK's own key client in a thread (the SDK would fetch the keys with a blocking urllib
   call on the event loop, on a cold cache and every 5 minutes: all of okrbot would wait, up to 30 s), so the
   SDK finds them cached; an unknown key id is 401 here;
4. the body must be a JSON object (not JSON, or nested deeper than the parser goes: 400).

A refusal logs one line with a fixed reason, never the body or the token.
"""

import asyncio
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import jwt
from aiohttp import web

from bot.http_guard import BODY_READ_TIMEOUT, MAX_IN_FLIGHT

log = logging.getLogger(__name__)
KeyClient = Callable[[], "jwt.PyJWKClient | None"]
# Bot Framework key ids are short base64url strings. The SDK logs an unknown one in full ("Unable to find a signing
# key that matches: ..."), so anything else would put an outsider's text in okrbot's log.
_KID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# One thread of its own: PyJWKClient serialises its fetches behind a lock anyway, and while the key endpoint hangs
# the waiting requests must not fill asyncio's default executor (aiohttp resolves host names there).
_KEYS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teams-keys")


def _token_problem(authorization: str, issuer: str) -> tuple[str | None, str]:
    """Why the Authorization header is not a Bot Framework token worth verifying (or None), and its key id."""
    if not authorization.startswith("Bearer "):
        return "no Bearer token", ""
    raw = authorization.removeprefix("Bearer ")
    try:
        header = jwt.get_unverified_header(raw)
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "not a JWT", ""
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or not _KID.fullmatch(kid):
        return "not an RS256 token with a key id", ""
    if claims.get("iss") != issuer:
        return "not issued by the Bot Framework", kid
    return None, kid


async def _key_known(key_client: KeyClient | None, kid: str) -> bool:
    """Look the key id up in a thread: PyJWKClient fetches with a blocking urllib call (up to 30 s), and the SDK
    would make it on the event loop, stalling all of okrbot. Done here, the SDK then finds its cache warm."""
    client = key_client() if key_client else None
    if client is None:
        return True  # nothing to warm: the SDK checks the token anyway
    try:
        await asyncio.get_running_loop().run_in_executor(_KEYS, client.get_signing_key, kid)
    except jwt.PyJWKClientError:  # no such key, or the key endpoint failed: the SDK would refuse it too
        return False
    return True


def _body_problem(raw: bytes) -> str | None:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: '[' * 100000 nests deeper than the parser goes
        return "body is not JSON"
    return None if isinstance(body, dict) else "body is not an activity"


def teams_guard(
    path: str,
    *,
    issuer: str | None,
    key_client: "KeyClient | None" = None,
    max_in_flight: int = MAX_IN_FLIGHT,
    read_timeout: float = BODY_READ_TIMEOUT,
):
    """aiohttp middleware for POST `path`; `issuer` None when the JWT is not checked (TEAMS_ALLOW_UNAUTHENTICATED);
    `key_client` returns the SDK's key client (PyJWKClient), whose cache the guard warms off the event loop."""
    in_flight = 0

    @web.middleware
    async def middleware(request: web.Request, handler):
        nonlocal in_flight
        if request.method != "POST" or request.path != path:
            return await handler(request)
        if in_flight >= max_in_flight:
            log.warning("refused a Teams request: %d already in flight", in_flight)
            return web.Response(status=503, text="busy", headers={"Retry-After": "1"})
        in_flight += 1
        try:
            return await _checked(request, handler, issuer, key_client, read_timeout)
        finally:
            in_flight -= 1

    return middleware


async def _checked(request: web.Request, handler, issuer, key_client, read_timeout: float) -> web.StreamResponse:
    try:
        async with asyncio.timeout(read_timeout):
            raw = await request.read()  # cached: the SDK adapter parses the same bytes
    except TimeoutError:
        log.warning("rejected a Teams request: body not received within %g s", read_timeout)
        response = web.Response(status=408, text="request timeout")
        response.force_close()
        return response
    reason, kid = _token_problem(request.headers.get("Authorization", ""), issuer) if issuer else (None, "")
    if reason is None and issuer and not await _key_known(key_client, kid):
        reason = "no Bot Framework signing key has its key id"
    if reason:
        log.warning("rejected an unauthenticated Teams request: %s", reason)  # the reason only
        return web.json_response({"error": "Unauthorized"}, status=401)
    reason = _body_problem(raw)
    if reason:
        log.warning("rejected a malformed Teams request: %s", reason)  # never the body
        return web.json_response({"error": reason}, status=400)
    return await handler(request)


def sdk_key_client(app) -> KeyClient:
    """The Bot Framework key client of the SDK app's JWT check (built at `app.initialize()`), looked up per request.

    The SDK exposes no public way to it: this reads `server._token_validator._service_validator._jwks_client`
    (microsoft-teams-apps 2.1), and returns None if a later SDK moved it, so the guard then only stops warming.
    """

    def find() -> "jwt.PyJWKClient | None":
        validator = getattr(getattr(app.server, "_token_validator", None), "_service_validator", None)
        client = getattr(validator, "_jwks_client", None)
        return client if isinstance(client, jwt.PyJWKClient) else None

    return find
