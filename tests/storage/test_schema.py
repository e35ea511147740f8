"""The migrations build the same schema the models describe, and the ledger keys are unique."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from storage.db import Database
from storage.migrate import upgrade
from storage.models import InboxItem, SendLedger


def test_migrations_build_the_models_schema_from_empty(tmp_path):
    path = tmp_path / "m.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; run scripts/regen-initial-migration.sh: {diff}"


def test_upgrade_twice_is_a_no_op(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
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

    path = tmp_path / "fresh.db"
    url = f"sqlite+aiosqlite:///{path}"
    ensure_current(url)
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        tables = set(engine.dialect.get_table_names(conn))
    engine.dispose()
    assert {"key_result", "send_ledger", "review_note", "alembic_version"} <= tables
    ensure_current(url)  # second start: nothing to do, no error
