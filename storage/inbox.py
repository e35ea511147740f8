"""Inbox rows: add once per Slack identity, claim with a lease, finish. Keyword-only; never commits."""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxItem

ERROR_MAX = 500  # InboxItem.error is String(500)


async def add_item(*, session: AsyncSession, key: str, lane: str, payload: str, now: datetime) -> bool:
    """Insert the request; False when its key is already there (a redelivery). Portable: the unique key."""
    try:
        async with session.begin_nested():
            session.add(InboxItem(key=key, lane=lane, payload=payload, received_at=now, available_at=now))
    except IntegrityError:
        return False
    return True


async def count_open(*, session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(InboxItem).where(InboxItem.state.in_(("pending", "claimed")))
    return (await session.exec(stmt)).one()


def _takeable(now: datetime):
    """Pending and due, or claimed by a worker whose lease lapsed (it died, or lost the database)."""
    return or_(
        (InboxItem.state == "pending") & (InboxItem.available_at <= now),
        (InboxItem.state == "claimed") & (InboxItem.lease_until < now),
    )


async def ready(*, session: AsyncSession, now: datetime, limit: int) -> list[tuple[int, str]]:
    """The oldest takeable item of each lane, as (id, lane), lanes in order of their oldest item.

    One item per lane is all a worker may run at once, and picking per lane is what keeps a person
    with a thousand queued replies from pushing everyone else's single reply to the back.
    """
    oldest = func.min(InboxItem.id)
    stmt = select(oldest, InboxItem.lane).where(_takeable(now)).group_by(InboxItem.lane).order_by(oldest).limit(limit)
    return [(row[0], row[1]) for row in (await session.exec(stmt)).all()]


async def claim(
    *, session: AsyncSession, item_id: int, owner: str, now: datetime, lease: timedelta
) -> tuple[str, int] | None:
    """Take one item if nobody holds it (safe across processes): (payload, attempts including this one), or None.

    The row is locked with FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer and ignores it):
    a worker whose candidate another worker is claiming right now skips it at once instead of waiting
    on that row lock. Read committed re-reads the row when locking it, so a row another worker claimed
    and committed is no longer takeable here.
    """
    stmt = (
        select(InboxItem.payload, InboxItem.attempts)
        .where(InboxItem.id == item_id, _takeable(now))
        .with_for_update(skip_locked=True)
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        return None
    await session.exec(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(state="claimed", owner=owner, lease_until=now + lease, attempts=InboxItem.attempts + 1)
    )
    return row[0], row[1] + 1


async def extend(*, session: AsyncSession, item_ids: list[int], owner: str, until: datetime) -> None:
    """Renew the lease of items this worker is still working on."""
    if item_ids:
        await session.exec(
            update(InboxItem)
            .where(InboxItem.id.in_(item_ids), InboxItem.owner == owner, InboxItem.state == "claimed")
            .values(lease_until=until)
        )


async def finish(*, session: AsyncSession, item_id: int, owner: str, now: datetime, error: str | None = None) -> None:
    """Done (or failed for good, with why). The payload is dropped: it may hold note text."""
    await session.exec(
        update(InboxItem)
        .where(InboxItem.id == item_id, InboxItem.owner == owner)
        .values(
            state="failed" if error else "done",
            finished_at=now,
            payload="",
            error=error[:ERROR_MAX] if error else None,
        )
    )


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
