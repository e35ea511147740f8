"""`okrbot db upgrade` killed half-way leaves nothing half-applied; two upgrades at once take turns (issue 10, 13)."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.locks import MIGRATIONS
from storage.migrate import alembic_config, upgrade
from tests import pg
from tests.reliability.helpers import wait_for

ROOT = Path(__file__).parents[2]

# A child that runs the real upgrade and SIGKILLs itself right after the third CREATE TABLE reached the
# database: SQLAlchemy's own cursor event, the moment a crash or an OOM kill could strike.
KILL_AFTER_THIRD_TABLE = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from storage.migrate import upgrade

created = []

@event.listens_for(Engine, "after_cursor_execute")
def _maybe_die(conn, cursor, statement, *args):
    if statement.lstrip().upper().startswith("CREATE TABLE"):
        created.append(statement)
        if len(created) == 3:
            os.kill(os.getpid(), signal.SIGKILL)

upgrade(sys.argv[1])
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _rows(url: str, sql: str) -> list:
    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(text(sql)))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_an_upgrade_killed_between_two_create_tables_leaves_no_tables_and_the_next_one_succeeds(tmp_path):
    url = pg.database_url(tmp_path / "m.db", empty=True)
    child = subprocess.run([sys.executable, "-c", KILL_AFTER_THIRD_TABLE, url], env=_env(), timeout=120)
    assert child.returncode == -signal.SIGKILL

    upgrade(url)  # before the fix: "table ... already exists", on every later start

    assert [r[0] for r in _rows(url, "SELECT version_num FROM alembic_version")] == [_head()]
    assert _rows(url, "SELECT count(*) FROM audit_entry") == [(0,)]


def _upgrader(url: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bot", "db", "upgrade"]
    return subprocess.Popen(cmd, env={**_env(), "DATABASE_URL": url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.pg_only(reason="the advisory lock is PostgreSQL's")
async def test_two_upgrades_at_once_wait_on_the_advisory_lock_then_both_succeed(tmp_path):
    url = pg.database_url(tmp_path / "m.db", empty=True)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = await asyncpg.connect(plain)  # as if a third upgrade were running right now
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATIONS)
        procs = [_upgrader(url), _upgrader(url)]

        async def waiting() -> bool:
            n = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
                MIGRATIONS,
            )
            return n == 2

        await wait_for(waiting, timeout=60)  # both queue behind the lock instead of racing to CREATE TABLE
        assert [p.poll() for p in procs] == [None, None]
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATIONS)
        outcomes = [await asyncio.to_thread(p.communicate, timeout=120) for p in procs]
    finally:
        await holder.close()
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-1500:] for _, err in outcomes]
    versions = await asyncio.to_thread(_rows, url, "SELECT version_num FROM alembic_version")
    assert [r[0] for r in versions] == [_head()]


def test_two_upgrades_started_together_both_succeed(tmp_path):
    url = pg.database_url(tmp_path / "m.db", empty=True)
    procs = [_upgrader(url), _upgrader(url)]
    outcomes = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-1500:] for _, err in outcomes]
    assert [r[0] for r in _rows(url, "SELECT version_num FROM alembic_version")] == [_head()]
