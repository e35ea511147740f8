"""`okrbot run`, `serve`, `work`, `tick` and `db upgrade`: the commands that run the bot or prepare its database."""

import argparse
import asyncio
import os
from datetime import UTC, datetime

from bot.config import WHERE, SettingsError, require_platforms


def db_command(settings, args) -> int:
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def tick_command(settings, args) -> int:
    from bot.wiring import run_one_tick  # not bot.runtime: a tick loads no Bolt, web server or scheduler

    at = args.at or datetime.now(UTC)
    require_platforms(settings, send_only=True)  # a tick only sends: no signing secret needed
    report = asyncio.run(run_one_tick(settings, at))
    print(f"tick at {at.isoformat()}:")
    for line in report.lines or ["nothing was due"]:
        print(f"  {line}")
    return 0


def serve_command(settings, args) -> int:
    from bot.runtime import serve_http
    from storage.migrate import ensure_current

    require_platforms(settings)  # Slack, Teams or both
    ensure_current(settings.database_url)
    scheduler = not args.no_scheduler
    asyncio.run(serve_http(settings, host=args.host, port=args.port, scheduler=scheduler, work=not args.web_only))
    return 0


def work_command(settings, args) -> int:
    from bot.runtime import work_forever
    from storage.migrate import ensure_current

    require_platforms(settings)  # it replays Slack and Teams requests through the same listeners as serve
    ensure_current(settings.database_url)
    if args.nice:  # behind the web process for the CPU: its acks go first, the work takes every cycle left
        os.nice(args.nice)
    health = (args.host, args.health_port) if args.health_port is not None else None
    asyncio.run(work_forever(settings, scheduler=not args.no_scheduler, health=health))
    return 0


def run_command(settings, args) -> int:
    from bot.runtime import serve_http, serve_socket_mode
    from storage.migrate import ensure_current

    socket_mode = settings.slack_app_token is not None
    if settings.teams_only:  # Teams alone: HTTP (POST /api/messages), with the scheduler
        teams_alone = argparse.Namespace(host=args.host, port=args.port, no_scheduler=False, web_only=False)
        return serve_command(settings, teams_alone)
    if not socket_mode and settings.slack_signing_secret is None:  # neither mode is set up: name both
        raise SettingsError(
            "set SLACK_APP_TOKEN for Socket Mode (no public URL needed; "
            f"{WHERE['SLACK_APP_TOKEN']}), or SLACK_SIGNING_SECRET for HTTP mode, and SLACK_BOT_TOKEN for both"
            + ("" if settings.slack_configured else "; or TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET for Teams alone")
        )
    require_platforms(settings, socket_mode=socket_mode)
    ensure_current(settings.database_url)
    if socket_mode:
        asyncio.run(serve_socket_mode(settings))
    else:
        asyncio.run(serve_http(settings, host=args.host, port=args.port, scheduler=True))
    return 0
