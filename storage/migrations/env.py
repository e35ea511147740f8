"""Alembic environment: async engine, batch mode so SQLite can ALTER tables, and one upgrade at a time.

Every upgrade runs in one transaction, so a process killed mid-upgrade leaves the schema as it was
(issue 10: a first upgrade killed between two CREATE TABLEs used to leave tables without a version row,
and every later start failed with "table ... already exists"). PostgreSQL has transactional DDL; SQLite
has it too once the driver stops committing on its own (the recipe below, as storage/db.py does).

Two processes upgrading at once take turns: on PostgreSQL the second waits on an advisory lock, on SQLite
on the write lock (BEGIN IMMEDIATE, with a busy timeout). The second then finds the schema at head.
"""

import asyncio

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.locks import MIGRATIONS

target_metadata = SQLModel.metadata
BUSY_TIMEOUT_MS = 120_000  # another process's upgrade may take a while: wait for it rather than fail


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_transactional_ddl(engine) -> None:
    # pysqlite commits before DDL and begins only before DML; let SQLAlchemy emit BEGIN itself instead,
    # and take the write lock at once, so a concurrent upgrade waits for this one to commit.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


async def _run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_async_engine(url, hide_parameters=True)  # errors never carry row values (note text)
    if engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # A session-level lock: held across the migration's own transaction, released when the
                # connection closes (also if this process dies). The commit ends only the lock's transaction.
                await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATIONS})
                await connection.commit()
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
