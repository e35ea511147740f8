"""Async engine and sessions.

Every unit of work runs in `Database.transaction()`. On SQLite we take the write lock
up front (BEGIN IMMEDIATE): a deferred transaction that later upgrades to a write fails
at once with "database is locked", whatever busy_timeout says. This is SQLAlchemy's
documented aiosqlite recipe.

Transactions also queue in the event loop, not in the connection pool: after Bolt has
acked, a burst of requests each wants a connection, and a pool that runs dry makes them
fail after pool_timeout (the work is lost, since Slack already got its 200). SQLite runs
one writer at a time anyway, so in-process we let one transaction in at a time and the
rest wait, in order, without a timeout and without SQLite's sleeping busy handler.
Other processes (a second scheduler) still meet busy_timeout.

On PostgreSQL, `pool_size` writers and `pool_size` readers run at once; the pool holds both
(max_overflow = pool_size), so the gates, not the pool, make the rest wait.
"""

import asyncio
import contextvars
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.gate import Gate
from storage.sqlite_inline import creator as sqlite_inline_creator

BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 5  # SQLAlchemy's default QueuePool size; concurrent transactions on other databases
CONNECT_TIMEOUT_S = 10.0

READ_ONLY = "okrbot_read_only"
_PROBE_TABLE = "okrbot_write_probe"  # created and rolled back by probe_write; never committed
MIN_FREE_BYTES = 1024 * 1024  # below this a SQLite file's next checkpoint or WAL growth may fail

_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("okrbot_in_transaction", default=False)


def _install_sqlite_recipe(engine: AsyncEngine, *, begin: bool = True) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Inline (storage.sqlite_inline), SQLite's sleeping busy handler would stop the event loop: it answers
        # "locked" at once instead and the statement is retried after an asyncio sleep, for as long.
        inline = getattr(dbapi_connection.driver_connection, "inline", False)
        cursor.execute(f"PRAGMA busy_timeout={0 if inline else BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if not begin:  # the write engine of OKRBOT_SQLITE_INLINE hears the main engine's "begin" (Database.__init__)
        return

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn):
        # Readers (Database.read) take no write lock: in WAL mode they never block the writer.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _pool_options(url: str, pool_size: int, connect_timeout: float) -> dict:
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    return {
        "pool_size": pool_size,
        "max_overflow": pool_size,  # room for the readers' gate beside the writers'
        "pool_timeout": connect_timeout,
        "pool_pre_ping": True,  # a server restart leaves dead pooled connections; don't hand one out
        "connect_args": {"timeout": connect_timeout},
    }


class DatabaseUnreachable(Exception):
    """The database server could not be reached; the message is one line for a person."""


def probe(url: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Connect once to a database server, so an unreachable one is one clear line at start, not a traceback.

    SQLite is skipped: its file is created by the first migration, and probing would create it earlier.
    """
    if make_url(url).get_backend_name() != "sqlite":
        asyncio.run(_probe(url, timeout))


async def _probe(url: str, timeout: float) -> None:
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": timeout})
    try:
        async with engine.connect():
            pass
    except Exception as exc:  # refused, timed out, no such host/database, bad credentials: all mean "can't start"
        where = make_url(url)
        cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error...
        cause = cause.__cause__ or cause  # ...and its asyncpg adapter wraps asyncpg's own
        reason = (str(cause).strip().splitlines() or [""])[0]
        raise DatabaseUnreachable(
            f"cannot reach the database at {where.host}:{where.port or 5432}/{where.database} "
            f"({type(cause).__name__}: {reason}); is the server running, and is DATABASE_URL right?"
        ) from None
    finally:
        await engine.dispose()


class _RollBack(Exception):
    """Raised inside a unit of work only to roll it back."""


class Database:
    """Owns the engine; hands out sessions whose transaction commits on success."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = POOL_SIZE,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        sqlite_inline: bool = False,
        inline_reads: bool = False,
    ) -> None:
        self.url = url
        # hide_parameters: a failed statement is logged and raised without its values (review-note text).
        options = _pool_options(url, pool_size, connect_timeout)
        sqlite = make_url(url).get_backend_name() == "sqlite"
        if sqlite and sqlite_inline and inline_reads:
            # Reads inline too (OKRBOT_SQLITE_INLINE_READS; `okrbot work` by default): on aiosqlite's thread a
            # Home tab's ~17 reads cost ~70 hand-offs, each waiting for the GIL behind the loop's own work; inline
            # the same build took 16-19 ms of CPU instead of 33-36 (docs/performance.md). A long read still gives
            # the loop a turn every sqlite_inline.YIELD_AFTER_SECONDS of statements, but a short one holds it:
            # where requests are acked, reads stay on the thread unless this is set.
            options["async_creator"] = sqlite_inline_creator(url)
        self.engine = create_async_engine(url, echo=echo, hide_parameters=True, **options)
        # Write transactions on their own engine when SQLite runs inline (storage.sqlite_inline): they are short
        # and on the hot path (the inbox put before each ack, claims, a reply's record), while a view's reads can
        # be long, and on aiosqlite's thread SQLite runs them beside the event loop instead of stopping it.
        self.write_engine = self.engine
        if self.engine.dialect.name == "sqlite":
            _install_sqlite_recipe(self.engine)
        if sqlite_inline and self.engine.dialect.name == "sqlite":
            self.write_engine = create_async_engine(
                url, echo=echo, hide_parameters=True, async_creator=sqlite_inline_creator(url)
            )
            # What listens on `engine` (the recipe's BEGIN, statement counts) hears the write engine's statements
            # too: its dispatch is joined to the main engine's, as SQLAlchemy's own execution_options() copies are.
            # Connection-pool events are the pool's own, so the recipe's "connect" is installed on it as well.
            sync_write = self.write_engine.sync_engine
            sync_write.dispatch = sync_write.dispatch._join(self.engine.sync_engine.dispatch)
            sync_write._has_events = True  # its connections then dispatch at all (listeners live on the other)
            _install_sqlite_recipe(self.write_engine, begin=False)
        self._sessions = async_sessionmaker(self.write_engine, class_=AsyncSession, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._gate = Gate(1 if self.engine.dialect.name == "sqlite" else pool_size)
        self._readers = Gate(pool_size)

    @classmethod
    def from_settings(cls, settings) -> "Database":
        """From bot.config.Settings (not imported: storage does not depend on the bot)."""
        return cls(
            settings.database_url,
            pool_size=settings.database_pool_size,
            connect_timeout=settings.database_connect_timeout,
            sqlite_inline=settings.sqlite_inline,
            inline_reads=bool(settings.sqlite_inline_reads),
        )

    def transaction(self, *, urgent: bool = False) -> AbstractAsyncContextManager[AsyncSession]:
        """One unit of work: commit if the block succeeds, roll back if it raises.

        ``urgent``: the request's acknowledgement waits for it (the inbox put), so it goes ahead of queued work.
        """
        return self._unit(self._gate, read_only=False, urgent=urgent)

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read-only unit of work for views: it does not wait behind writers, and writers don't wait for it."""
        return self._unit(self._readers, read_only=True)

    @asynccontextmanager
    async def _unit(self, gate: Gate, *, read_only: bool, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        if _inside.get():
            # A nested unit of work would wait for the one holding the gate forever (SQLite: its lock).
            raise RuntimeError("units of work are not re-entrant; pass the session down instead")
        async with gate.hold(urgent=urgent):
            token = _inside.set(True)
            try:
                async with (self._read_sessions if read_only else self._sessions)() as session:
                    async with session.begin():
                        if read_only:
                            await session.connection(execution_options={READ_ONLY: True})
                        yield session
            finally:
                _inside.reset(token)

    async def probe_write(self) -> None:
        """Raise if this database cannot take a write now (read-only file or server, full disk, locked too long).

        A real write that is never committed: create a table and roll back. BEGIN IMMEDIATE alone is not
        enough, since SQLite grants it even on a connection that opened the file read-only; a SQLite file
        whose disk is full would still accept a write that is rolled back, so its free space is checked too.
        """
        try:
            async with self.transaction() as session:
                connection = await session.connection()
                await connection.exec_driver_sql(f"CREATE TABLE {_PROBE_TABLE} (x INTEGER)")
                raise _RollBack  # leave nothing behind: the unit of work rolls back on any exception
        except _RollBack:
            pass
        path = make_url(self.url).database if self.engine.dialect.name == "sqlite" else None
        if path and not path.startswith(":memory:") and not path.startswith("file:"):
            free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
            if free < MIN_FREE_BYTES:
                raise OSError(f"only {free} bytes free beside the database file")

    async def create_all(self) -> None:
        """Build the schema straight from the models (tests); production uses Alembic."""
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


# What SQLite and PostgreSQL say when the database is away, locked or full (not: a missing table, bad SQL).
_AWAY = (
    *("locked", "disk", "full", "unable to open", "readonly database"),  # SQLite (readonly: a read-only mount)
    *("connection", "server closed", "terminat", "timeout", "timed out"),  # PostgreSQL
)


# PostgreSQL's SQLSTATEs for the same: class 08 (connection exceptions), admin and crash shutdown, and "cannot
# connect now" (the server is starting up or shutting down). asyncpg raises these as plain DBAPIErrors.
_AWAY_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def db_unavailable(exc: BaseException) -> bool:
    """True for failures that mean "the database is away, busy or full", which a later attempt may not meet.

    A connection dropped mid-statement is flagged `connection_invalidated`; asyncpg raises a plain
    ConnectionRefusedError when the server is down (ConnectionResetError while it goes down), and a
    SQLSTATE saying so while it shuts down or starts up; SQLite's disk I/O, full-disk, read-only and lock errors and a
    PostgreSQL restart are OperationalErrors whose text says so. Other OperationalErrors (no such table)
    are bugs a retry cannot fix. (Not every OSError either: a failed Slack call is one too, and redoing a
    whole request because a send failed could repeat its stored effects.)
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, ConnectionRefusedError):
        return True
    if isinstance(exc, ConnectionResetError) and not type(exc).__module__.startswith("aiohttp"):
        return True  # asyncpg's connect meeting a server going down (aiohttp's own subclass is a Slack call's)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, DBAPIError) and str(getattr(exc.orig, "sqlstate", None) or "").startswith(_AWAY_SQLSTATES):
        return True
    return isinstance(exc, OperationalError) and any(word in str(exc.orig).lower() for word in _AWAY)
