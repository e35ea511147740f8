"""Inbox rows: add once per Slack identity, claim with a lease, finish. Keyword-only; never commits.

Core statements (rows, not ORM objects), each built once with bound parameters: every thread reply runs the
put, a claim and a finish, and per statement the ORM and the statement's construction cost more than SQLite.
"""

from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxItem

ERROR_MAX = 500  # InboxItem.error is String(500)
T = InboxItem.__table__.c
_OPEN = ("pending", "claimed")
_TS = T.available_at.type  # UTCDateTime: bound datetimes go through it like the columns'


async def _conn(session: AsyncSession):
    return await session.connection()


def _put(dialect: str):
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id: a redelivery inserts nothing, in one statement."""
    make = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    return make(InboxItem.__table__).on_conflict_do_nothing(index_elements=["key"]).returning(T.id)


_PUTS = {name: _put(name) for name in ("sqlite", "postgresql")}


async def add_item(*, session: AsyncSession, key: str, lane: str, payload: str, now: datetime) -> int | None:
    """Insert the request: its id, or None when its key is already there (a redelivery)."""
    row = {"key": key, "lane": lane, "payload": payload, "received_at": now, "available_at": now}
    conn = await _conn(session)
    stmt = _PUTS.get(conn.dialect.name)
    if stmt is not None:
        return (await conn.execute(stmt, row)).scalar()
    try:  # pragma: no cover - neither SQLite nor PostgreSQL: the portable unique key in a savepoint
        async with session.begin_nested():
            return (await conn.execute(insert(InboxItem.__table__).values(row))).inserted_primary_key[0]
    except IntegrityError:  # pragma: no cover
        return None


def _put_many(dialect: str):
    """`_put` returning (id, key), for a list of rows: which keys were new, and their ids. Executed with the list,
    SQLAlchemy sends one multi-row INSERT ("insertmanyvalues") from a statement compiled once; a statement built
    with `.values([...])` (as before) has no cache key, so it was compiled anew for every batch of puts."""
    make = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    return make(InboxItem.__table__).on_conflict_do_nothing(index_elements=["key"]).returning(T.id, T.key)


_PUTS_MANY = {name: _put_many(name) for name in ("sqlite", "postgresql")}


async def add_items(*, session: AsyncSession, rows: list[dict], now: datetime) -> dict[str, int]:
    """Insert several requests ({key, lane, payload}, keys distinct) in one statement: {key: id} of those whose key
    was not there yet; a key missing from the answer is a redelivery. (RETURNING's row order is not the VALUES
    order, hence the keys.)"""
    if not rows:
        return {}
    conn = await _conn(session)
    dialect = conn.dialect.name
    if dialect not in _PUTS:  # pragma: no cover - neither SQLite nor PostgreSQL: one at a time, portably
        got = [await add_item(session=session, now=now, **row) for row in rows]
        return {row["key"]: item_id for row, item_id in zip(rows, got, strict=True) if item_id is not None}
    params = [
        {"key": r["key"], "lane": r["lane"], "payload": r["payload"], "received_at": now, "available_at": now}
        for r in rows
    ]
    return {key: item_id for item_id, key in (await conn.execute(_PUTS_MANY[dialect], params)).all()}


_DELETE = delete(InboxItem.__table__).where(T.id.in_(bindparam("ids", expanding=True)))


async def delete_items(*, session: AsyncSession, item_ids: list[int]) -> None:
    """Take back rows this transaction added (puts refused past the inbox limit, in a batch that kept others)."""
    if item_ids:
        await (await _conn(session)).execute(_DELETE, {"ids": list(item_ids)})


_COUNT_OPEN = select(func.count(), func.min(T.id)).where(T.state.in_(_OPEN))


async def count_open(*, session: AsyncSession) -> int:
    return (await open_items(session=session))[0]


async def open_items(*, session: AsyncSession) -> tuple[int, int | None]:
    """(how many items are open, the lowest open id): the put's exact check, and its next cheap bound."""
    count, lowest = (await (await _conn(session)).execute(_COUNT_OPEN)).one()
    return count, lowest


def _takeable(now):
    """Pending and due, or claimed by a worker whose lease lapsed (it died, or lost the database)."""
    return or_(
        (T.state == "pending") & (T.available_at <= now),
        (T.state == "claimed") & (T.lease_until < now),
    )


_NOW = bindparam("now", type_=_TS)
_OLDEST = func.min(T.id)
_READY = (
    select(_OLDEST, T.lane)
    .where(_takeable(_NOW))
    .group_by(T.lane)
    .order_by(_OLDEST)
    .limit(bindparam("limit", type_=Integer))
)


# The oldest pending items in id order, through the (state, id) index: a read that stops after `scan` rows.
_OLDEST_PENDING = (
    select(T.id, T.lane)
    .where(T.state == "pending", T.available_at <= _NOW)
    .order_by(T.id)
    .limit(bindparam("scan", type_=Integer))
)
_LAPSED = select(T.id, T.lane).where(T.state == "claimed", T.lease_until < _NOW)  # a few: at most those claimed
SCAN_PER_LANE = 8  # oldest pending items read for each lane asked for, before falling back to the whole backlog


async def ready(*, session: AsyncSession, now: datetime, limit: int) -> list[tuple[int, str]]:
    """The oldest takeable item of each lane, as (id, lane), lanes in order of their oldest item.

    One item per lane is all a worker may run at once, and picking per lane is what keeps a person
    with a thousand queued replies from pushing everyone else's single reply to the back.

    The GROUP BY over every takeable item (_READY) costs time in proportion to the backlog, and workers ask after
    every item they finish: 13 ms a look with 6,000 waiting, most of a thread reply's cost in a burst of 5,000
    (docs/performance.md). So the oldest limit * SCAN_PER_LANE pending items are read first, in id order, with
    the claimed items whose lease lapsed: every lane whose oldest item lies within them is placed exactly, and
    when that is fewer than `limit` lanes (one person's burst fills the front of the queue) the whole read runs.
    """
    conn = await _conn(session)
    scan = max(limit, 1) * SCAN_PER_LANE
    pending = (await conn.execute(_OLDEST_PENDING, {"now": now, "scan": scan})).all()
    lapsed = (await conn.execute(_LAPSED, {"now": now})).all()
    oldest: dict[str, int] = {}
    for item_id, lane in sorted([*pending, *lapsed]):
        oldest.setdefault(lane, item_id)
    found = sorted((item_id, lane) for lane, item_id in oldest.items())
    if len(pending) == scan:  # more may wait: only lanes whose oldest item is within what was read are certain
        found = [(item_id, lane) for item_id, lane in found if item_id <= pending[-1][0]]
        if len(found) < limit:
            rows = (await conn.execute(_READY, {"now": now, "limit": limit})).all()
            return [(row[0], row[1]) for row in rows]
    return found[:limit]


_UNTIL = bindparam("until", type_=_TS)
_CLAIM_SET = {"state": "claimed", "owner": bindparam("b_owner"), "lease_until": _UNTIL, "attempts": T.attempts + 1}
_RETURNING = (T.id, T.lane, T.payload, T.attempts)
# The row is locked with FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer and drops the clause): a
# worker whose candidate another worker is claiming right now skips it at once instead of waiting on that row
# lock, and the UPDATE re-checks that the row is still takeable (read committed re-reads a row it locks), so a
# row another worker claimed and committed is not taken twice.
_PICK_ONE = select(T.id).where(T.id == bindparam("item_id", type_=Integer), _takeable(_NOW))
_CLAIM_ONE = (
    update(InboxItem.__table__)
    .where(T.id.in_(_PICK_ONE.with_for_update(skip_locked=True)), _takeable(_NOW))
    .values(_CLAIM_SET)
    .returning(*_RETURNING)
)
_PICK_MANY = select(T.id).where(T.id.in_(bindparam("ids", expanding=True)), _takeable(_NOW))
_CLAIM_MANY = (
    update(InboxItem.__table__)
    .where(T.id.in_(_PICK_MANY.with_for_update(skip_locked=True)), _takeable(_NOW))
    .values(_CLAIM_SET)
    .returning(*_RETURNING)
)


async def claim(
    *, session: AsyncSession, item_id: int, owner: str, now: datetime, lease: timedelta
) -> tuple[str, int] | None:
    """Take one item if nobody holds it (safe across processes): (payload, attempts including this one), or None.

    One statement: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) AND takeable RETURNING.
    """
    params = {"item_id": item_id, "b_owner": owner, "now": now, "until": now + lease}
    row = (await (await _conn(session)).execute(_CLAIM_ONE, params)).first()
    return (row.payload, row.attempts) if row is not None else None


async def claim_many(
    *, session: AsyncSession, item_ids: list[int], now: datetime, owner: str, lease: timedelta
) -> list[tuple[int, str, str, int]]:
    """Take those of `item_ids` nobody holds, in one statement: [(id, lane, payload, attempts including this
    one)], oldest first. The ids come from `ready`, read outside the write transaction: its GROUP BY over the
    backlog must not hold SQLite's one writer (the put before each ack waits for it)."""
    if not item_ids:
        return []
    params = {"now": now, "b_owner": owner, "until": now + lease, "ids": item_ids}
    rows = (await (await _conn(session)).execute(_CLAIM_MANY, params)).all()
    return sorted((row.id, row.lane, row.payload, row.attempts) for row in rows)


async def extend(*, session: AsyncSession, item_ids: list[int], owner: str, until: datetime) -> None:
    """Renew the lease of items this worker is still working on."""
    if item_ids:
        await (await _conn(session)).execute(
            update(InboxItem.__table__)
            .where(T.id.in_(item_ids), T.owner == owner, T.state == "claimed")
            .values(lease_until=until)
        )


_FINISH = (
    update(InboxItem.__table__)
    .where(T.id.in_(bindparam("ids", expanding=True)), T.owner == bindparam("b_owner"))
    .values(state=bindparam("b_state"), finished_at=bindparam("at", type_=_TS), payload="", error=bindparam("b_error"))
)


async def finish(*, session: AsyncSession, item_id: int, owner: str, now: datetime, error: str | None = None) -> None:
    """Done (or failed for good, with why). The payload is dropped: it may hold note text."""
    await finish_many(session=session, item_ids=[item_id], owner=owner, now=now, error=error)


async def finish_many(
    *, session: AsyncSession, item_ids: list[int], owner: str, now: datetime, error: str | None = None
) -> None:
    """`finish` for several items that ended the same way, in one statement."""
    if item_ids:
        params = {"ids": item_ids, "b_owner": owner, "at": now, "b_error": error[:ERROR_MAX] if error else None}
        await (await _conn(session)).execute(_FINISH, {**params, "b_state": "failed" if error else "done"})


async def release(*, session: AsyncSession, item_id: int, owner: str, retry_at: datetime, error: str) -> None:
    """Give an item back to the queue, to be tried again at `retry_at` (the database or Slack was away)."""
    await session.exec(
        update(InboxItem)
        .where(InboxItem.id == item_id, InboxItem.owner == owner)
        .values(state="pending", owner=None, lease_until=None, available_at=retry_at, error=error[:ERROR_MAX])
    )


async def forget_finished_before(*, session: AsyncSession, before: datetime) -> int:
    """Drop finished rows older than `before`; their keys only matter while Slack may still redeliver."""
    result = await session.exec(
        delete(InboxItem).where(InboxItem.state.in_(("done", "failed")), InboxItem.finished_at < before)
    )
    return result.rowcount or 0
