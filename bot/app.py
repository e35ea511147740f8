"""The composition root: the one place that wires settings, storage, Slack and handlers."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

import bot.slack.builders  # noqa: F401  (registers every message renderer)
import handlers
from bot.config import Settings
from bot.http_guard import (
    BODY_READ_TIMEOUT,
    MAX_BODY_BYTES,
    MAX_IN_FLIGHT,
    PATH,
    count_in_flight,
    limit_in_flight,
    reject_malformed,
    verify_signature,
)
from bot.logs import bolt_logger, new_correlation_id
from bot.platforms import PlatformNotifier
from bot.services.kernel.context import Services
from bot.services.kernel.front_door import FrontDoor
from bot.services.kernel.health import WriteHealth
from bot.slack.response_url import verified_middleware
from bot.slack.sender import SlackNotifier
from bot.wiring import AFTER_CHECKIN, DM_ROUTES, TICK_STEPS, build_services, slack_client  # noqa: F401
from handlers.inbox import AFTER_RESPONSE, INBOX, REPLAY, InboxWorker
from storage.db import Database

log = logging.getLogger(__name__)
# A connection that never sends a whole request is closed after this many seconds (aiohttp's idle timer);
# a body has its own, shorter limit (bot.http_guard.BODY_READ_TIMEOUT).
IDLE_CONNECTION_TIMEOUT = 75.0
# After refusing a request whose body was not read (408, 503), read and drop the rest for at most this long
# before closing (lingering close, so the client sees the status rather than a reset); aiohttp's default is 10 s.
LINGER_SECONDS = 2.0


@dataclass
class Bot:
    """The Bolt app and the inbox workers that do its kept work: built together, they need each other."""

    bolt: AsyncApp | None  # None when only Teams is configured (Bolt needs a Slack token)
    inbox: InboxWorker


def build_app(settings: Settings, services: Services) -> Bot:
    """A Bolt app whose listeners find the services in context["svc"] and the inbox in context[INBOX].

    Bolt answers Slack only once a listener has returned (process_before_response): a listener
    acks, keeps its request in the durable inbox and returns, so Slack's 200 always follows the commit
    of what it acknowledges. A click that opens a modal (its trigger_id expires in 3 s) keeps nothing: it
    acks, and the modal opens straight after the 200 is written (handlers.inbox.after_ack, AFTER_RESPONSE).
    Teams alone: no Bolt app, only the inbox workers (Teams messages are kept there too, bot.platforms).
    """
    if settings.teams_only:
        return Bot(None, _inbox(None, services, settings))
    notifier = services.notifier
    notifier = notifier.slack if isinstance(notifier, PlatformNotifier) else notifier
    client = notifier.client if isinstance(notifier, SlackNotifier) else slack_client(settings)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret(settings),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        before_authorize=verified_middleware(settings.slack_api_url),
        logger=bolt_logger(),
    )
    inbox = _inbox(app, services, settings)

    @app.middleware
    async def provide_services(body, context, next):
        if not context.get(REPLAY):  # a replayed request keeps the id it was logged with when it came in
            new_correlation_id()
            log.info("slack %s", describe(body))
        context["svc"] = services
        context[INBOX] = inbox
        await next()

    handlers.register_all(app)
    return Bot(app, inbox)


def _inbox(app: AsyncApp | None, services: Services, settings: Settings) -> InboxWorker:
    return InboxWorker(
        app,
        services,
        concurrency=settings.inbox_workers,
        limit=settings.inbox_limit,
        lease=timedelta(seconds=settings.inbox_lease_seconds),
    )


def describe(body: dict) -> str:
    """What a Slack request is, for the one log line per event: kinds and ids only, never user text."""
    if body.get("command"):
        sub = (body.get("text") or "").strip().split(" ", 1)[0]
        word = sub.replace("-", "").isalpha() and len(sub) <= 20  # a subcommand (`at-risk`), never other text
        return f"command {body['command']} {sub if word else ''}".rstrip()
    kind = body.get("type", "")
    if kind == "block_actions":
        return f"action {','.join(a.get('action_id', '') for a in body.get('actions') or [])}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {(body.get('view') or {}).get('callback_id', '')}"
    event = body.get("event") or {}
    if event:
        return f"event {event.get('type', '')} {event.get('subtype') or ''} {body.get('event_id', '')}".rstrip()
    return kind or "request"


def signing_secret(settings: Settings) -> str:
    return settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""


def build_web(
    app: AsyncApp | None,
    settings: Settings,
    *,
    read_timeout: float = BODY_READ_TIMEOUT,
    max_in_flight: int = MAX_IN_FLIGHT,
    db: Database | None = None,
    front_door: FrontDoor | None = None,
) -> web.Application:
    """aiohttp app: POST /slack/events for everything Slack sends, GET /healthz for probes.

    The guards of bot.http_guard run in front of Bolt: in-flight cap, signature, then shape.
    No Bolt app (Teams alone): no /slack/events (404) and none of its guards. `front_door` (the inbox
    workers' own, bot.services.kernel.front_door) counts every request being answered, Teams' included.
    """
    guards = [count_in_flight(front_door)] if front_door is not None else []
    if app is not None:
        guards += [
            limit_in_flight(max_in_flight),
            verify_signature(signing_secret(settings), read_timeout=read_timeout),
            reject_malformed,
        ]
    web_app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=guards)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        after: list = []  # handlers.inbox.after_ack listeners' runs, started once the response is written
        bolt_request.context[AFTER_RESPONSE] = after
        response = await to_aiohttp_response(await app.async_dispatch(bolt_request))
        if after:
            try:  # written here, not by aiohttp after we return: the modal's reads and views.open follow the 200
                await response.prepare(request)
                await response.write_eof()
            finally:
                for start in after:
                    start()
        return response

    write_health = WriteHealth(db) if db is not None else None

    async def healthz(_request: web.Request) -> web.Response:
        # 503 when the database cannot be written: acking work we cannot keep would lose it.
        problem = await write_health.problem() if write_health else None
        return (
            web.json_response({"ok": False, "reason": problem}, status=503)
            if problem
            else web.json_response({"ok": True})
        )

    if app is not None:
        web_app.router.add_post(PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def web_runner(web_app: web.Application) -> web.AppRunner:
    """The aiohttp runner with okrbot's connection timeouts (serve and the tests use the same)."""
    return web.AppRunner(web_app, keepalive_timeout=IDLE_CONNECTION_TIMEOUT, lingering_time=LINGER_SECONDS)
