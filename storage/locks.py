"""PostgreSQL advisory locks: who is the scheduler leader, and who may upgrade the schema.

An advisory lock belongs to a database session (a connection), not to a transaction: the leader holds a
dedicated connection for as long as it leads, and the lock goes away with that connection, whether the
process exits, is killed, or the server restarts. SQLite has no such locks and needs none: one process
runs the scheduler, and the ledger keeps a second one from sending anything twice.
"""

import logging
import zlib

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable 32-bit key for a lock name (advisory locks are per database, so names need not be global)."""
    return zlib.crc32(f"okrbot:{name}".encode())


SCHEDULER = lock_key("scheduler")
MIGRATIONS = lock_key("migrations")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


class Leader:
    """Whether this process leads (holds the advisory lock named `key`); asks again whenever it does not.

    `lead()` is cheap to call every tick: the leader checks its connection is still alive (one round trip);
    a follower tries the lock once and returns at once (pg_try_advisory_lock never waits).
    """

    def __init__(self, url: str, key: int = SCHEDULER, *, connect_timeout: float = 10.0) -> None:
        self.key = key
        self._engine = None
        if is_postgres(url):
            # NullPool: the connection is ours alone and closing it really ends the session (and the lock).
            self._engine = create_async_engine(
                url, poolclass=NullPool, hide_parameters=True, connect_args={"timeout": connect_timeout}
            )
        self._conn: AsyncConnection | None = None

    async def lead(self) -> bool:
        if self._engine is None:
            return True  # SQLite: the only scheduler
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died (server restart): the lock died with it
                log.warning("scheduler: lost the leader lock's connection; trying again")
                await self._drop()
        try:
            conn = await self._engine.connect()
        except Exception:
            log.warning("scheduler: cannot reach the database to take the leader lock")
            return False
        try:
            # Autocommit: no transaction stays open on this long-lived connection (the lock does not need one).
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})).scalar()
        except Exception:
            await conn.close()
            return False
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("scheduler: this process is the leader")
        return True

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
            except Exception:  # already gone
                pass

    async def close(self) -> None:
        """Let go of the lead (closing the session releases the lock), so another scheduler takes over at once."""
        if self._conn is not None:
            try:
                await self._conn.close()
            except Exception:
                pass
            self._conn = None
        if self._engine is not None:
            await self._engine.dispose()
