"""Long-running modes and the one-shot tick, built from the composition root."""

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.app import build_app, build_services, build_web, web_runner
from bot.config import Settings, answering_no_requests
from bot.platforms import mount_teams
from bot.scheduler import build_scheduler
from bot.wiring import check_tokens, close, run_one_tick  # noqa: F401  (the one-shot tick and its helpers)
from storage.locks import Leader

log = logging.getLogger(__name__)


async def serve_http(settings: Settings, *, host: str, port: int, scheduler: bool, work: bool = True) -> None:
    """Answer Slack (and Teams) over HTTP; `work`: also do the kept requests' work (False: `okrbot work` does)."""
    await check_tokens(settings)
    svc = build_services(settings)
    bot = build_app(settings, svc)
    web_app = build_web(bot.bolt, settings, db=svc.db, front_door=bot.inbox.front_door)
    teams = await mount_teams(web_app, svc, bot.inbox)  # POST /api/messages, when TEAMS_* is set
    runner = web_runner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    if work:
        bot.inbox.start()  # first, whatever an earlier process acked but did not finish
    try:
        async with _scheduling(settings, svc, on=scheduler) as sched:
            bound = runner.addresses[0][1] if runner.addresses else port  # --port 0: the port the OS picked
            path = "/slack/events" if bot.bolt is not None else "/healthz (Slack is not configured)"
            log.info(
                "listening on http://%s:%d%s (scheduler %s%s)",
                *(host, bound, path, "on" if sched else "off", "" if work else "; requests are worked by okrbot work"),
            )
            if teams:
                log.info("answering Teams at http://%s:%d/api/messages", host, bound)
            await _until_stopped()
            log.info("stopping: no new requests; draining running work for up to %ss", settings.drain_seconds)
            await site.stop()  # stop accepting: Slack retries (or the load balancer sends elsewhere)
    finally:
        await _drain(bot, settings)
        await runner.cleanup()
        await close(svc)


async def work_forever(settings: Settings, *, scheduler: bool, health: tuple[str, int] | None = None) -> None:
    """Do the inbox's work and the after-check-in effects, and (leading) the ticks, answering no requests.

    Beside `okrbot serve --web-only` this puts a machine's second core to work: the web process only acks and
    keeps, every process here claims what is ready (a claim is a lease: none is done twice, a killed process's
    items are retaken). Requests are replayed through the same Bolt app and Teams handlers as in `serve`.
    `health` (host, port): answer GET /healthz there (and nothing else), for a container's or an orchestrator's probe.
    """
    await check_tokens(settings)
    settings = answering_no_requests(settings)
    svc = build_services(settings)
    bot = build_app(settings, svc)
    # The Teams handlers and the inbox's Teams replayer, on a web app that is never served: this process
    # answers no requests.
    await mount_teams(web.Application(), svc, bot.inbox)
    probe = web_runner(build_web(None, settings, db=svc.db)) if health else None  # /healthz only: no Slack route
    if probe:
        await probe.setup()
        await web.TCPSite(probe, *health).start()
    bot.inbox.start()
    try:
        async with _scheduling(settings, svc, on=scheduler) as sched:
            log.info("working on the inbox (scheduler %s)", "on" if sched else "off")
            await _until_stopped()
            log.info("stopping: draining running work for up to %ss", settings.drain_seconds)
    finally:
        await _drain(bot, settings)
        if probe:
            await probe.cleanup()
        await close(svc)


async def serve_socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    await check_tokens(settings, app_token=True)
    svc = build_services(settings)
    bot = build_app(settings, svc)
    bot.inbox.start()
    # The aiohttp Socket Mode client pings the server itself; that keepalive is what avoids
    # the silent stall after an idle reconnect reported in bolt-python #1529.
    handler = AsyncSocketModeHandler(bot.bolt, settings.slack_app_token.get_secret_value(), ping_interval=10)
    try:
        async with _scheduling(settings, svc, on=True):
            await handler.connect_async()
            log.info("connected in Socket Mode")
            await _until_stopped()
            await handler.disconnect_async()
    finally:
        await _drain(bot, settings)
        await handler.close_async()
        await close(svc)


@contextlib.asynccontextmanager
async def _scheduling(settings: Settings, svc, *, on: bool):
    """The tick scheduler for the block (None when not `on`). It ticks only while it leads (storage.locks.Leader:
    on PostgreSQL an advisory lock), and on leaving it stops and lets go, so another may lead from its next tick."""
    if not on:
        yield None
        return
    leader = Leader(settings.database_url, connect_timeout=settings.database_connect_timeout)
    sched = build_scheduler(svc, leader=leader)
    sched.start()
    try:
        yield sched
    finally:
        sched.shutdown(wait=False)
        await leader.close()


async def _until_stopped() -> None:
    """Wait for SIGTERM or SIGINT: a deploy's stop is an ordinary shutdown, not a crash."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _drain(bot, settings: Settings) -> None:
    left = await bot.inbox.stop(drain_seconds=settings.drain_seconds)
    if left:
        log.warning("stopped with %d request(s) still running; the next start finishes them", left)
