"""The durable inbox's use cases: keep an acked request, hand it to a worker, record how it ended.

Platform-neutral: a request is an opaque JSON payload with a key (its platform identity, so a
redelivery is a no-op) and a lane (who it is for, so workers can be fair between people).
"""

import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.services.kernel.context import Services
from bot.services.kernel.errors import OkrError
from storage import inbox
from storage.db import db_unavailable

BUSY = "okrbot is busy; please try again in a minute."


class InboxFull(OkrError):
    """More open items than the inbox takes: the request is refused (not acked), so the platform retries."""


@dataclass(frozen=True)
class Claimed:
    item_id: int
    lane: str
    payload: dict
    attempts: int  # including this one


@dataclass(frozen=True)
class Put:
    key: str
    lane: str
    payload: dict


async def keep_many(svc: Services, *, take: Callable[[], list[Put]], limit: int) -> list[bool | InboxFull]:
    """Commit requests before they are acknowledged, in one transaction (a group commit when several,
    bot.services.kernel.inbox_puts). Urgent: Slack's 200 waits for this commit, so it goes ahead of the queued
    workers' transactions. `take()`
    is called once the writer is held, so every put that arrived while this waited for it joins. For each put,
    in order: True (committed), False (a redelivery: its key was kept already, or came earlier in the batch),
    or an InboxFull.

    As if kept one after another: past the limit the later ones are refused, each on its own. Their rows are
    deleted again in the same transaction; when none is kept the transaction rolls back instead, as `keep`'s does.
    """
    puts: list[Put] = []
    firsts: dict[str, Put] = {}
    ids: dict[str, int] = {}
    refused: set[str] = set()
    try:
        async with svc.db.transaction(urgent=True) as session:
            puts = take()
            for put in puts:
                firsts.setdefault(put.key, put)
            rows = [{"key": p.key, "lane": p.lane, "payload": _json(p.payload)} for p in firsts.values()]
            ids = await inbox.add_items(session=session, rows=rows, now=svc.now())
            refused = await _past_the_limit(session, svc.db, ids, limit)
            if refused and len(refused) == len(ids):
                raise _NoneKept
            await inbox.delete_items(session=session, item_ids=[ids[key] for key in refused])
    except _NoneKept:
        pass
    out: list[bool | InboxFull] = []
    for put in puts:
        # A second copy of a refused put is refused too: kept one by one, it would have found no room either.
        out.append(InboxFull(BUSY) if put.key in refused else firsts[put.key] is put and put.key in ids)
    return out


async def keep(svc: Services, *, key: str, lane: str, payload: dict, limit: int) -> bool:
    """Commit one request before it is acknowledged; False for a redelivery of one already kept, InboxFull
    raised past the limit: `keep_many` for a batch of one."""
    (answer,) = await keep_many(svc, take=lambda: [Put(key, lane, payload)], limit=limit)
    if isinstance(answer, InboxFull):
        raise answer
    return answer


def _json(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"))


class _NoneKept(Exception):
    """Raised inside keep_many's transaction only to roll it back."""


async def _past_the_limit(session, db, ids: dict[str, int], limit: int) -> set[str]:
    """Keys of the new items past the inbox limit (the highest ids: the ones that would have come last).

    Without counting every time: ids only grow, so (newest id - lowest open id + 1) bounds the open items from
    above; only when that bound passes the limit are they counted (and the lowest open id noted)."""
    if not limit or not ids or max(ids.values()) - _lowest_open.get(db, 1) + 1 <= limit:
        return set()
    count, lowest = await inbox.open_items(session=session)
    _lowest_open[db] = lowest or min(ids.values())
    room = max(0, limit - (count - len(ids)))  # open before these, and how many more the limit takes
    newest_last = sorted(ids, key=ids.__getitem__)
    return set(newest_last[room:])


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
