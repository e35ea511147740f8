"""SQLite on the event loop (OKRBOT_SQLITE_INLINE): sqlite3 called in SQLAlchemy's greenlet, not on a thread.

aiosqlite runs every call on a thread of its own: opening a cursor, executing, fetching and closing each cross
to that thread and back, about four hand-offs a statement and ~80 for a thread reply. SQLite's own work is a
small part of each (py-spy, docs/performance.md): the thread sat idle waiting for work ~90 % of the time while
the event loop waited for its answers, and on a busy machine every hand-off also waits for the OS to schedule
the other thread. Here those calls run where SQLAlchemy's adapter awaits them, and return at once.

What could block the loop stays off it:
* a lock held by another process: the connection's busy_timeout is 0 (storage.db sets it), so SQLite answers
  "database is locked" at once, and the statement is retried after an asyncio sleep, for up to the same 30 s
  the threaded driver would wait;
* WAL's checkpoint, which writes and syncs the database file: these connections turn SQLite's automatic one
  off (wal_autocheckpoint=0) and run it themselves on a thread, after every CHECKPOINT_EVERY commits that
  wrote. The commit itself runs inline: with synchronous=NORMAL a WAL commit only appends to the WAL (no
  sync), so handing every commit to a thread (as before) cost a thread hop and a loop wake-up per write
  transaction for nothing but the rare commit that checkpointed;
* a connect and a close: on a thread, as aiosqlite does.

It mimics the part of aiosqlite's Connection that SQLAlchemy's aiosqlite adapter uses, and is handed to it
through `create_async_engine(async_creator=...)`; everything else (the dialect, pooling, types) is SQLAlchemy's.
"""

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

# Write commits between this connection's checkpoints. A thread reply's transactions write a few pages each, so
# this keeps the WAL near SQLite's own default of a checkpoint per 1,000 pages.
CHECKPOINT_EVERY = 200
LOCKED_RETRY_SECONDS = 30.0  # as storage.db.BUSY_TIMEOUT_MS: how long a statement waits for another process
_FIRST_SLEEP, _MAX_SLEEP = 0.0005, 0.004


def _locked(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


YIELD_AFTER_SECONDS = 0.005  # of statements in one transaction without a turn for the loop: then it gets one


async def _retry_locked(call: Callable[[], Any]) -> Any:
    """Run `call` now; while another process holds the lock, sleep on the loop (doubling) and try again."""
    loop = asyncio.get_running_loop()
    deadline, sleep = loop.time() + LOCKED_RETRY_SECONDS, _FIRST_SLEEP
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or loop.time() >= deadline:
                raise
        await asyncio.sleep(sleep)
        sleep = min(sleep * 2, _MAX_SLEEP)


class _Cursor:
    """aiosqlite's Cursor, inline: each coroutine finishes without suspending (unless the database is locked)."""

    def __init__(self, cursor: sqlite3.Cursor, owner: "InlineConnection") -> None:
        self._cursor, self._owner = cursor, owner

    async def __aenter__(self) -> "_Cursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __await__(self):
        return self.__aenter__().__await__()

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> "_Cursor":
        await self._owner.run(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Any) -> "_Cursor":
        await self._owner.run(lambda: self._cursor.executemany(sql, parameters))
        return self

    async def fetchone(self):
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None):
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self):
        return self._cursor.fetchall()

    async def nextset(self) -> None:
        return None

    async def close(self) -> None:
        self._cursor.close()


def _connect(database: str, **kwargs: Any) -> sqlite3.Connection:
    connection = sqlite3.connect(database, **kwargs)
    connection.execute("PRAGMA wal_autocheckpoint=0")  # no checkpoint inside an inline commit; see commit()
    return connection


def checkpoint(connection: sqlite3.Connection) -> None:
    """Copy the WAL's committed pages into the database file (on a thread: it writes and syncs). PASSIVE, as
    SQLite's automatic checkpoint is: it never waits for readers or writers, and what it cannot copy now the
    next one does."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


class _Tasks:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy sets isolation_level through it."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """aiosqlite's Connection, inline. Awaiting it opens the file (on a thread)."""

    inline = True  # storage.db reads this: busy_timeout 0, locks are waited for on the loop instead

    def __init__(self, database: str, **kwargs: Any) -> None:
        self._database, self._kwargs = database, kwargs
        self._connection: sqlite3.Connection | None = None
        self._tx = _Tasks()
        self._changes = 0  # total_changes at the last commit: more since means the transaction wrote
        self._ran = 0.0  # seconds of statements since the loop last had a turn from this connection
        self._unchecked = 0  # commits that wrote since this connection's last checkpoint

    def __await__(self):
        return self._open().__await__()

    async def _open(self) -> "InlineConnection":
        kwargs = {**self._kwargs, "check_same_thread": False}  # the checkpoint and the close run on a worker thread
        self._connection = await asyncio.to_thread(_connect, self._database, **kwargs)
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self):
        return self._conn.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor(), self)

    async def run(self, call: Callable[[], Any]) -> Any:
        """One statement. Inline, statements never give the loop a turn by themselves: a transaction of
        thousands (a YAML import from chat) yields every YIELD_AFTER_SECONDS, so acks are not held up behind it;
        a short one (a thread reply's) never does."""
        if self._ran > YIELD_AFTER_SECONDS:
            self._ran = 0.0
            await asyncio.sleep(0)
        started = time.perf_counter()
        try:
            return await _retry_locked(call)
        finally:
            self._ran += time.perf_counter() - started

    async def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        connection, self._ran = self._conn, 0.0
        wrote, self._changes = connection.total_changes != self._changes, connection.total_changes
        connection.commit()  # appends to the WAL, never syncs: the checkpoint is ours (CHECKPOINT_EVERY)
        self._unchecked += wrote
        if self._unchecked >= CHECKPOINT_EVERY:
            self._unchecked = 0
            await asyncio.to_thread(checkpoint, connection)

    async def rollback(self) -> None:
        self._ran = 0.0
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.to_thread(connection.close)

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def creator(url: str) -> Callable[[], InlineConnection]:
    """For create_async_engine(async_creator=...): a new inline connection, with the arguments SQLAlchemy's
    aiosqlite dialect would pass to sqlite3.connect for this URL (a file path, or a `file:` URI)."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
    from sqlalchemy.engine import make_url

    (database,), kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    return lambda: InlineConnection(database, **kwargs)
