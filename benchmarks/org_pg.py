"""The synthetic org on PostgreSQL: built in SQLite (benchmarks.org, fast raw inserts), then copied row by row.

Copying through SQLAlchemy's table objects is portable (the same tables, types converted by the drivers), and
the serial ids continue after the copied ones, so rows the app inserts later get fresh ids.
"""

from sqlalchemy import Integer, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from benchmarks.org import Org
from storage.db import Database

BATCH = 5_000  # rows per executemany: bounded memory at 100,000 check-ins


class PgOrg(Org):
    """The synthetic org, copied from its SQLite file into a PostgreSQL database."""

    pg_url: str = ""

    @property
    def url(self) -> str:
        return self.pg_url


async def copy_to_postgres(org: Org, url: str) -> None:
    """Copy every table of `org`'s SQLite file into the (existing, empty) tables at `url`."""
    source = create_engine(f"sqlite:///{org.path}")
    target = create_async_engine(url)
    try:
        async with target.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                with source.connect() as src:
                    rows = [dict(r._mapping) for r in src.execute(table.select())]
                for start in range(0, len(rows), BATCH):
                    await conn.execute(table.insert(), rows[start : start + BATCH])
                if rows and "id" in table.c and isinstance(table.c.id.type, Integer):  # serial ids: continue after ours
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
    finally:
        source.dispose()
        await target.dispose()


async def to_postgres(org: Org, url: str) -> PgOrg:
    """Create the tables at `url` (an empty database), copy `org` into them; the org as seen at `url`."""
    db = Database(url)
    try:
        await db.create_all()
    finally:
        await db.dispose()
    await copy_to_postgres(org, url)
    moved = PgOrg(org.path, org.teams, org.people, org.krs, org.checkins)
    moved.pg_url = url
    return moved
