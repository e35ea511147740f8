"""The durable inbox's use cases: keep an acked request, hand it to a worker, record how it ended.

Platform-neutral: a request is an opaque JSON payload with a key (its platform identity, so a
redelivery is a no-op) and a lane (who it is for, so workers can be fair between people).
"""

import json
import weakref
from dataclasses import dataclass
from datetime import timedelta

from bot.services.kernel.context import Services
from bot.services.kernel.errors import OkrError
from storage import inbox
from storage.db import db_unavailable


class InboxFull(OkrError):
    """More open items than the inbox takes: the request is refused (not acked), so the platform retries."""


@dataclass(frozen=True)
class Claimed:
    item_id: int
    lane: str
    payload: dict
    attempts: int  # including this one


async def keep(svc: Services, *, key: str, lane: str, payload: dict, limit: int) -> bool:
    """Commit the request before it is acknowledged; False for a redelivery of one already kept.

    Urgent: Slack's 200 waits for this commit, so it goes ahead of the queued workers' transactions.
    The limit without counting every time: ids only grow, so (new id - lowest open id + 1) bounds the open
    items from above; only when that bound passes the limit are they counted (and the lowest open id noted).
    """
    async with svc.db.transaction(urgent=True) as session:
        data = json.dumps(payload, separators=(",", ":"))
        item_id = await inbox.add_item(session=session, key=key, lane=lane, payload=data, now=svc.now())
        if item_id is None:
            return False
        if limit and item_id - _lowest_open.get(svc.db, 1) + 1 > limit:
            count, lowest = await inbox.open_items(session=session)
            _lowest_open[svc.db] = lowest or item_id
            if count > limit:  # with this one: there were `limit` open before it
                raise InboxFull("okrbot is busy; please try again in a minute.")
        return True


# Per database: a lowest open id seen by the last count (ids start at 1). It only grows (new items get higher
# ids), so a stale one still bounds the count from above; several processes each keep their own. (On PostgreSQL
# a put committing a lower id after a count is missed by the bound: off by the puts in flight at that moment.)
_lowest_open: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()


async def ready(svc: Services, *, limit: int = 200) -> list[tuple[int, str]]:
    """(id, lane) of what may be worked on now, oldest first."""
    async with svc.db.read() as session:
        return await inbox.ready(session=session, now=svc.now(), limit=limit)


async def claim_many(
    svc: Services, *, item_ids: list[int], owner: str, lease: timedelta, finished: list[int] = ()
) -> list[Claimed]:
    """Take those of `item_ids` (from `ready`) nobody holds, in one write transaction that also records
    `finished` (items whose work is committed) as done: a reply's done rides on the next claim."""
    async with svc.db.transaction() as session:
        now = svc.now()
        await inbox.finish_many(session=session, item_ids=list(finished), owner=owner, now=now)
        got = await inbox.claim_many(session=session, item_ids=item_ids, now=now, owner=owner, lease=lease)
    return [Claimed(item_id, lane, json.loads(payload), attempts) for item_id, lane, payload, attempts in got]


async def done_many(svc: Services, *, item_ids: list[int], owner: str) -> None:
    """Several items' effects are committed: record them done in one transaction."""
    async with svc.db.transaction() as session:
        await inbox.finish_many(session=session, item_ids=item_ids, owner=owner, now=svc.now())


async def extend(svc: Services, *, item_ids: list[int], owner: str, lease: timedelta) -> None:
    """Keep the claims of items still being worked on (a worker that died stops doing this)."""
    async with svc.db.transaction() as session:
        await inbox.extend(session=session, item_ids=item_ids, owner=owner, until=svc.now() + lease)


async def done(svc: Services, *, item_id: int, owner: str, error: str | None = None) -> None:
    """The item's effects are committed (or it failed for good, with the reason, never its text)."""
    async with svc.db.transaction() as session:
        await inbox.finish(session=session, item_id=item_id, owner=owner, now=svc.now(), error=error)


async def retry_later(svc: Services, *, item_id: int, owner: str, delay: timedelta, error: str) -> None:
    """Put the item back for a later attempt (a dependency was away); nothing acked is dropped."""
    async with svc.db.transaction() as session:
        await inbox.release(session=session, item_id=item_id, owner=owner, retry_at=svc.now() + delay, error=error)


async def prune(svc: Services, *, older_than: timedelta) -> int:
    """Forget finished items past the platform's redelivery window (housekeeping)."""
    async with svc.db.transaction() as session:
        return await inbox.forget_finished_before(session=session, before=svc.now() - older_than)


def is_transient(exc: BaseException) -> bool:
    """Whether a failed item should wait and be retried (the database was away) rather than be given up."""
    return db_unavailable(exc)
