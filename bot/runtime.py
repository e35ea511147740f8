"""Long-running modes and the one-shot tick, built from the composition root."""

import asyncio
import logging
from datetime import datetime

from aiohttp import web

from bot.app import build_app, build_services, build_web
from bot.config import Settings
from bot.scheduler import build_scheduler
from bot.services.kernel.tick import TickReport, run_tick
from bot.slack.sender import SlackNotifier

log = logging.getLogger(__name__)


async def run_one_tick(settings: Settings, at: datetime) -> TickReport:
    """Exactly one scheduler pass at `at`; returns once every send has finished."""
    svc = build_services(settings)
    try:
        return await run_tick(svc, at)
    finally:
        await close(svc)


async def close(svc) -> None:
    """Release the database engine and the Slack client's shared HTTP session."""
    if isinstance(svc.notifier, SlackNotifier):
        await svc.notifier.aclose()
    await svc.db.dispose()


async def serve_http(settings: Settings, *, host: str, port: int, scheduler: bool) -> None:
    svc = build_services(settings)
    app = build_app(settings, svc)
    runner = web.AppRunner(build_web(app))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    sched = build_scheduler(svc) if scheduler else None
    if sched:
        sched.start()
    log.info("listening on http://%s:%d/slack/events (scheduler %s)", host, port, "on" if sched else "off")
    try:
        await asyncio.Event().wait()
    finally:
        if sched:
            sched.shutdown(wait=False)
        await runner.cleanup()
        await close(svc)


async def serve_socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    svc = build_services(settings)
    app = build_app(settings, svc)
    sched = build_scheduler(svc)
    sched.start()
    # The aiohttp Socket Mode client pings the server itself; that keepalive is what avoids
    # the silent stall after an idle reconnect reported in bolt-python #1529.
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value(), ping_interval=10)
    log.info("connected in Socket Mode")
    try:
        await handler.start_async()
    finally:
        sched.shutdown(wait=False)
        await close(svc)
