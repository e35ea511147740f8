"""The migrations build the same schema the models describe (on SQLite and PostgreSQL), and keys are unique."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from storage.db import Database
from storage.migrate import upgrade
from storage.models import InboxItem, SendLedger
from tests.pg import database_url


def _inspect(url: str, look):
    """Run `look(sync_connection)` on the database at `url` (async driver: no sync driver is installed)."""

    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(look)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_build_the_models_schema_from_empty(tmp_path):
    url = database_url(tmp_path / "m.db", empty=True)
    upgrade(url)
    diff = _inspect(url, lambda conn: compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    assert diff == [], f"models and migrations differ; run scripts/regen-initial-migration.sh: {diff}"


def test_upgrade_twice_is_a_no_op(tmp_path):
    url = database_url(tmp_path / "m.db", empty=True)
    upgrade(url)
    upgrade(url)


@pytest.mark.parametrize("kind", ["prompt", "nudge", "digest"])
async def test_ledger_is_unique_per_recipient_kind_period(db: Database, kind):
    async with db.transaction() as s:
        s.add(SendLedger(recipient="U1", kind=kind, period="2027-01-04"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            s.add(SendLedger(recipient="U1", kind=kind, period="2027-01-04"))
    # other periods, kinds and recipients are independent rows
    async with db.transaction() as s:
        s.add(SendLedger(recipient="U1", kind=kind, period="2027-01-11"))
        s.add(SendLedger(recipient="U2", kind=kind, period="2027-01-04"))
        s.add(SendLedger(recipient="U1", kind="score_prompt", period="2027-01-04"))


async def test_inbox_keys_are_unique(db: Database):
    async with db.transaction() as s:
        s.add(InboxItem(key="event:Ev1", lane="U1", payload="{}"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            s.add(InboxItem(key="event:Ev1", lane="U2", payload="{}"))


def test_ensure_current_builds_a_fresh_database_then_is_a_no_op(tmp_path):
    from storage.migrate import ensure_current

    url = database_url(tmp_path / "fresh.db", empty=True)
    ensure_current(url)
    tables = set(_inspect(url, lambda conn: conn.dialect.get_table_names(conn)))
    assert {"key_result", "send_ledger", "review_note", "alembic_version"} <= tables
    ensure_current(url)  # second start: nothing to do, no error
