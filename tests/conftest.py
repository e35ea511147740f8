"""Shared fixtures: a temporary SQLite database, the fake Slack, and a whole running bot."""

import os

import pytest

from storage.db import Database
from tests.fakes.fixtures import *  # noqa: F403  (fake_slack, fake_slack_client)
from tests.harness import running_bot

ENV_PREFIXES = ("SLACK_", "OKRBOT_", "DATABASE_URL", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch):
    """No test reads the developer's real Slack tokens, database or admins from the environment."""
    for name in [n for n in os.environ if n.startswith(ENV_PREFIXES)]:
        monkeypatch.delenv(name)


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}")
    await database.create_all()
    yield database
    await database.dispose()


@pytest.fixture
async def bot(fake_slack, tmp_path):
    """okrbot served on loopback against the fake Slack, with a fresh database."""
    async with running_bot(fake_slack, tmp_path / "bot.db") as harness:
        yield harness
