"""Shared fixtures: a temporary database (SQLite, or PostgreSQL: tests/pg.py), the fake Slack, a running bot."""

import os

import pytest
from hypothesis import HealthCheck, settings

from storage.db import Database
from tests import pg
from tests.fakes.fixtures import *  # noqa: F403  (fake_slack, fake_slack_client)
from tests.harness import running_bot

# TEAMS_* and the names the Teams SDK reads itself (bot.teams.server.SDK_ENV) would switch Teams on or its auth.
ENV_PREFIXES = ("SLACK_", "OKRBOT_", "DATABASE_", "LOG_LEVEL", "TEAMS_", "CLIENT_ID", "CLIENT_SECRET", "TENANT_ID")
ENV_PREFIXES += ("MANAGED_IDENTITY_CLIENT_ID", "SERVICE_URL", "CLOUD", "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch):
    """No test reads the developer's real Slack tokens, database or admins from the environment.

    OKRBOT_TEST_* configures the test run itself (tests/pg.py), so it stays.
    """
    for name in [n for n in os.environ if n.startswith(ENV_PREFIXES) and not n.startswith("OKRBOT_TEST_")]:
        monkeypatch.delenv(name)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): skipped on the PostgreSQL pass, for the reason given")
    config.addinivalue_line("markers", "pg_only(reason): run only on the PostgreSQL pass (OKRBOT_TEST_PG_URL set)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("pg_only")
        if marker is not None and not pg.ON_POSTGRES:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "PostgreSQL-specific")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only (set OKRBOT_TEST_PG_URL): {reason}"))
    if not pg.ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "SQLite-specific")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def pytest_sessionfinish(session, exitstatus):
    if pg.ON_POSTGRES:
        pg.drop_template()


@pytest.fixture(autouse=True)
def _drop_test_databases():
    yield
    if pg.ON_POSTGRES:
        pg.drop_databases()


@pytest.fixture
async def db(tmp_path):
    inline = os.environ.get("OKRBOT_TEST_SQLITE_INLINE", "1") == "1"  # see tests/harness.test_settings
    database = Database(pg.database_url(tmp_path / "okrbot.db"), sqlite_inline=inline, inline_reads=inline)
    await database.create_all()
    yield database
    await database.dispose()


@pytest.fixture
async def bot(fake_slack, tmp_path):
    """okrbot served on loopback against the fake Slack, with a fresh database."""
    async with running_bot(fake_slack, tmp_path / "bot.db") as harness:
        yield harness


# Property tests assert what is true, never how fast: a loaded CI machine must not fail them on a deadline.
settings.register_profile("okrbot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("okrbot")
