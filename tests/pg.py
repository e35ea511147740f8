"""Which database the tests run on: SQLite files by default, PostgreSQL when OKRBOT_TEST_PG_URL is set.

scripts/pg.sh starts a throwaway server and prints that URL (scripts/test.sh runs the PostgreSQL pass).
On PostgreSQL every test gets its own database, created on first use and dropped after the test, so tests
stay isolated and can run in parallel (pytest -n 2) on one server. It is copied from a template that already
holds the models' tables (what `Database.create_all()` builds, as the SQLite tests get): copying is much
cheaper than twenty CREATE TABLEs per test. Migration tests ask for an empty one.
"""

import asyncio
import os
import threading
import uuid

import asyncpg
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("OKRBOT_TEST_PG_URL")  # postgresql://user@127.0.0.1:port/okrbot_test
ON_POSTGRES = bool(ADMIN_URL)

_names: dict[str, str] = {}  # SQLite path a test asked for -> its PostgreSQL database
_template: list[str] = []  # this process's template database, made on first use


def database_url(path, *, empty: bool = False) -> str:
    """The async URL standing for the SQLite file `path`: the file itself, or a fresh PostgreSQL database.

    The same path gives the same database within a test (a bot restarted on "the same file"). On PostgreSQL
    the database already has the tables unless `empty` (SQLite files start empty; create_all is a no-op then).
    """
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{path}"
    name = _names.get(str(path))
    if name is None:
        name = f"okrbot_t_{uuid.uuid4().hex[:16]}"
        _admin(f'CREATE DATABASE "{name}"' + ("" if empty else f' TEMPLATE "{_schema_template()}"'))
        _names[str(path)] = name
    return _url(name)


def drop_databases() -> None:
    """Drop every database this test created; FORCE ends connections a subprocess may have left."""
    while _names:
        _, name = _names.popitem()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_template() -> None:
    while _template:
        _admin(f'DROP DATABASE IF EXISTS "{_template.pop()}" WITH (FORCE)')


def _url(name: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def _schema_template() -> str:
    if not _template:
        from storage.db import Database

        name = f"okrbot_tpl_{uuid.uuid4().hex[:16]}"  # one per xdist worker: a template must have no sessions
        _admin(f'CREATE DATABASE "{name}"')

        async def build() -> None:
            db = Database(_url(name))
            await db.create_all()
            await db.dispose()

        _in_own_loop(build)
        _template.append(name)
    return _template[0]


def _admin(sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_own_loop(run)


def _in_own_loop(work) -> None:
    # Called from sync code that may itself run inside the test's event loop: use a thread and a loop of our own.
    errors: list[BaseException] = []

    def thread() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
