"""A whole okrbot against the fake Slack: real Bolt app on a loopback port, signed requests in.

Scenario tests read like a story on top of this: `h.tick(at)`, `h.req.message_im(...)`,
then assert on `h.fake` (what people saw) and `h.db` (what was stored).
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from aiohttp import web

from bot.app import build_app, build_services, build_web, web_runner
from bot.config import Settings
from bot.platforms import mount_teams
from bot.runtime import close
from bot.services.kernel import effects_due
from bot.services.kernel.context import Services
from bot.services.kernel.tick import TickReport, run_tick
from tests.fakes.signing import SlackRequests
from tests.fakes.slack_api import FakeSlack
from tests.pg import database_url

SIGNING_SECRET = "test-signing-secret"


class Harness:
    def __init__(self, fake: FakeSlack, svc: Services, app_url: str, settings: Settings, inbox=None) -> None:
        self.fake = fake
        self.svc = svc
        self.db = svc.db
        self.app_url = app_url
        self.settings = settings
        self.inbox = inbox
        self.app = None  # the Bolt AsyncApp, for tests that dispatch to it directly
        # Each request returns once the work it left in the inbox is done, and the Home tabs and posted digests
        # its check-ins made stale are refreshed (their coalescing delay skipped), so stories need no sleeping.
        self.req = SlackRequests(app_url, SIGNING_SECRET, fake=fake, settle=self.settle if inbox else None)

    async def settle(self) -> None:
        """Until the inbox is idle; then the waiting after-check-in effects run now (kernel.effects_due)."""
        await asyncio.wait_for(self.inbox.wait_idle(), 60)
        await effects_due.flush_now(self.svc)

    async def tick(self, at: datetime) -> TickReport:
        """One scheduler pass at `at`, exactly as `okrbot tick --at` runs it."""
        return await run_tick(self.svc, at)

    def dm(self, user_id: str):
        """Messages in the bot's DM with a person, oldest first."""
        return self.fake.messages(user_id)


def test_settings(fake: FakeSlack, db_path, **overrides) -> Settings:
    """Hermetic Settings: every value explicit, no ./.env (tests/conftest.py also clears the env vars)."""
    values = {
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_APP_TOKEN": None,
        "LOG_LEVEL": "INFO",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url(db_path),  # that SQLite file, or a fresh PostgreSQL database
        "SLACK_API_URL": fake.base_url,
        "OKRBOT_ADMINS": "U0ADMIN",
        "OKRBOT_HR": "U0HR",
        # Unpaced: the pacer would only add wall time to stories (tests/unit/test_pacer.py covers it).
        "SLACK_MAX_MESSAGES_PER_SECOND": "0",
        # SQLite on the event loop (storage/sqlite_inline.py), as by default; OKRBOT_TEST_SQLITE_INLINE=0 runs the
        # suite with aiosqlite's thread for every statement instead.
        "OKRBOT_SQLITE_INLINE": os.environ.get("OKRBOT_TEST_SQLITE_INLINE", "1"),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(
    fake: FakeSlack, db_path, *, inbox: bool = True, web_options: dict | None = None, **overrides
) -> AsyncIterator[Harness]:
    """`inbox=False` leaves the inbox workers stopped: requests are kept, and nothing processes them.
    `web_options`: keyword arguments for build_web (e.g. a short read_timeout); `overrides`: settings."""
    settings = test_settings(fake, db_path, **overrides)
    svc = build_services(settings)
    await svc.db.create_all()
    bot = build_app(settings, svc)
    if inbox:
        bot.inbox.start()
    web_app = build_web(bot.bolt, settings, db=svc.db, front_door=bot.inbox.front_door, **(web_options or {}))
    await mount_teams(web_app, svc, bot.inbox)  # POST /api/messages when the settings configure Teams; else nothing
    runner = web_runner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        harness = Harness(fake, svc, f"http://127.0.0.1:{port}", settings, bot.inbox if inbox else None)
        harness.app = bot.bolt
        harness.worker = bot.inbox  # the InboxWorker, started or not (its puts run either way)
        yield harness
    finally:
        await runner.cleanup()
        await bot.inbox.stop(drain_seconds=5)
        await close(svc)
