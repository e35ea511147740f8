"""effect_due rows: mark a target stale, claim the due ones with a lease, finish. Keyword-only; never commits.

Core statements (rows, not ORM objects): these run on every check-in and every few seconds under load.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import EffectDue

T = EffectDue.__table__.c


def _upsert(insert):
    """The dialect's INSERT ... ON CONFLICT (key) DO UPDATE, with bound parameters: built and compiled once, and
    executed with all of a check-in's keys as one multi-row statement. (`.values([...])` holding the rows would
    have no cache key: SQLAlchemy would compile it anew on every check-in.)"""
    values = insert(EffectDue).values(key=bindparam("key"), due_at=bindparam("due_at", type_=T.due_at.type))
    return values.on_conflict_do_update(index_elements=["key"], set_={"generation": T.generation + 1})


_MARKS = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


async def mark(*, session: AsyncSession, keys: Iterable[str], due_at: datetime) -> None:
    """Insert each key due at `due_at`, or, if it is already waiting, bump its generation and keep its due time
    (so a burst is refreshed once, at most DELAY after its first check-in). The dialect's upsert; elsewhere an
    INSERT in a savepoint and an UPDATE when it collides."""
    rows = [{"key": k, "due_at": due_at, "generation": 0} for k in sorted(set(keys))]
    if not rows:
        return
    conn = await session.connection()
    stmt = _MARKS.get(conn.dialect.name)
    if stmt is not None:
        await conn.execute(stmt, [{"key": row["key"], "due_at": due_at} for row in rows])
        return
    for row in rows:  # pragma: no cover - neither SQLite nor PostgreSQL
        try:
            async with session.begin_nested():
                await session.exec(EffectDue.__table__.insert().values(row))
        except IntegrityError:
            await session.exec(update(EffectDue).where(T.key == row["key"]).values(generation=T.generation + 1))


def _takeable(now: datetime):
    return or_(T.lease_until.is_(None), T.lease_until < now)


async def claim(
    *, session: AsyncSession, now: datetime, owner: str, lease_until: datetime, limit: int, force: bool = False
) -> list[tuple[str, int]]:
    """Take up to `limit` due rows nobody holds (all of them, due or not, with `force`): [(key, generation)].

    One UPDATE ... RETURNING; the candidates are locked with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite has
    one writer), and the UPDATE re-checks the lease, so two processes never run the same row at once.
    """
    cond = _takeable(now) if force else and_(_takeable(now), T.due_at <= now)
    pick = select(T.key).where(cond).order_by(T.due_at).limit(limit).with_for_update(skip_locked=True)
    stmt = (
        update(EffectDue)
        .where(T.key.in_(pick), cond)
        .values(owner=owner, lease_until=lease_until)
        .returning(T.key, T.generation)
    )
    return [(key, generation) for key, generation in (await session.exec(stmt)).all()]


async def finish(*, session: AsyncSession, done: list[tuple[str, int]], owner: str, again_at: datetime) -> None:
    """Drop the rows that were run and not marked again meanwhile; the others are due again at `again_at`."""
    if not done:
        return
    await session.exec(delete(EffectDue).where(tuple_(T.key, T.generation).in_(done), T.owner == owner))
    await session.exec(
        update(EffectDue)
        .where(T.key.in_([key for key, _ in done]), T.owner == owner)
        .values(owner=None, lease_until=None, due_at=again_at)
    )


async def next_due(*, session: AsyncSession, now: datetime) -> datetime | None:
    """When the next row may be taken: its due time, or, while another process holds it, its lease's end."""
    at = case((_takeable(now), T.due_at), else_=T.lease_until)
    return (await session.exec(select(func.min(at).label("at")))).scalar()


async def count(*, session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(EffectDue))).scalar_one()
