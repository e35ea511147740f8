"""Shared fixtures: a temporary SQLite database per test, built from the models."""

import pytest

from storage.db import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}")
    await database.create_all()
    yield database
    await database.dispose()
