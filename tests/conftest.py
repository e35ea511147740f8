"""Shared fixtures: a temporary SQLite database, the fake Slack, and a whole running bot."""

import pytest

from storage.db import Database
from tests.fakes.fixtures import *  # noqa: F403  (fake_slack, fake_slack_client)
from tests.harness import running_bot


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
