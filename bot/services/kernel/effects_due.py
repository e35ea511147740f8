"""Coalesced after-check-in effects: a check-in marks what it made stale; a runner refreshes each target once.

Rebuilding the person's Home tab and editing the posted digests inline, after every check-in, was most of a
thread reply's cost (~70 of ~110 ms, docs/performance.md), and a burst of 20 replies by one person rebuilt the
same Home tab 20 times. Now the check-in's own transaction marks "<effect>:<target>" rows in `effect_due`
(e.g. "home:U0ALICE", "digest:7"), due DELAY later; while a row waits, further marks only bump its generation.
A runner in each serving process (started with the inbox workers, handlers/inbox.py) claims due rows with a
lease, runs each effect once with the state as it is then (the latest wins), and drops the row unless a check-in
marked it again meanwhile (then it is due again DELAY later). So each target is refreshed at most about once
per DELAY, a committed check-in always leaves its refresh behind (a restart runs it), and two processes never
run the same row at once. The effects are best effort, as before: a failed Slack call is logged, not retried.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel.context import Effect, Services
from storage import effects_due as store
from storage.db import db_unavailable

log = logging.getLogger(__name__)

DELAY = timedelta(seconds=3)  # at most one refresh per target per DELAY; the longest a refresh waits
LEASE = timedelta(seconds=60)  # a runner that died: its rows are taken again after this
BATCH = 50  # rows claimed per transaction
IN_FLIGHT = 4  # effects running at once (each is a few reads and one Slack call)
IDLE_POLL = 5.0  # seconds between looks when nothing is waiting (marks by other processes, the Teams path)
# While the inbox is busy (the effects share the event loop with the check-ins themselves), due effects trickle:
# TRICKLE at a time, every YIELD_SECONDS, so Home tabs and digest edits keep flowing without starving the acks
# and check-ins (waiting for the burst to end, then running a whole batch, left them minutes stale). A backlog
# overdue by MAX_LAG is run in whole batches, busy or not.
MAX_LAG = timedelta(seconds=30)
TRICKLE = 4
YIELD_SECONDS = 0.25


async def mark(session: AsyncSession, svc: Services, *, user_id: str, kr_ids: Iterable[int]) -> None:
    """In the check-in's transaction: mark every wired effect's targets for these KRs stale."""
    kr_ids = tuple(sorted(set(kr_ids)))
    if not kr_ids:
        return
    now = svc.now()
    keys = [
        f"{effect.name}:{target}"
        for effect in svc.after_checkin
        for target in await effect.targets(session, user_id=user_id, kr_ids=kr_ids, now=now)
    ]
    await store.mark(session=session, keys=keys, due_at=now + DELAY)


async def run_due(svc: Services, *, owner: str, force: bool = False, limit: int = BATCH) -> int:
    """Claim and run up to `limit` due rows (every waiting one with `force`); how many were claimed."""
    now = svc.now()
    async with svc.db.transaction() as session:
        claimed = await store.claim(
            session=session, now=now, owner=owner, lease_until=now + LEASE, limit=limit, force=force
        )
    if not claimed:
        return 0
    effects = {effect.name: effect for effect in svc.after_checkin}
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(key: str) -> None:
        name, _, target = key.partition(":")
        async with slots:
            await _run_one(effects.get(name), svc, target, key)

    results = await asyncio.gather(*(one(key) for key, _ in claimed), return_exceptions=True)
    done = [row for row, result in zip(claimed, results, strict=True) if not isinstance(result, BaseException)]
    if done:  # the rest (the database was away) stay claimed; their lease lapses and they are run again
        async with svc.db.transaction() as session:
            await store.finish(session=session, done=done, owner=owner, again_at=svc.now() + DELAY)
    return len(claimed)


async def _run_one(effect: Effect | None, svc: Services, target: str, key: str) -> None:
    if effect is None:
        log.warning("dropped a due effect nobody runs: %s", key.partition(":")[0])
        return
    try:
        await effect.run(svc, target)
    except Exception as exc:
        if db_unavailable(exc):
            raise
        log.exception("an after-check-in effect failed (%s); the next check-in brings it up to date", effect.name)


async def run_forever(
    svc: Services, *, owner: str, wake: asyncio.Event, busy: Callable[[], bool] = lambda: False
) -> None:
    """The runner: run what is due, sleep until the next row is, or until `wake` (set when inbox work is done).

    It reads before it claims: a look that finds nothing due takes no write lock. While `busy()` (the inbox
    has work running), due rows trickle, TRICKLE every YIELD_SECONDS, until they are MAX_LAG overdue."""
    away = False
    while True:
        try:
            async with svc.db.read() as session:
                at = await store.next_due(session=session, now=svc.now())
            if at is not None and at <= svc.now():
                if busy() and svc.now() - at < MAX_LAG:
                    await run_due(svc, owner=owner, limit=TRICKLE)
                    await asyncio.sleep(YIELD_SECONDS)
                    continue
                await run_due(svc, owner=owner)
                continue
            away = False
        except Exception as exc:  # the database is away: the rows wait in the table
            if not db_unavailable(exc):
                log.exception("effects: could not run the due effects; retrying")
            elif not away:
                log.warning("effects: the database is unavailable (%s); retrying", type(exc).__name__)
            away, at = db_unavailable(exc), None
        if at is not None:
            await asyncio.sleep(min(max((at - svc.now()).total_seconds(), 0.05), IDLE_POLL))
            continue
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=IDLE_POLL)


async def flush_now(svc: Services, *, owner: str = "flush-now", timeout: float = 10.0) -> None:
    """Run every waiting effect now, due or not, and wait for those another runner is running (tests; ops)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with svc.db.read() as session:  # a read first: nothing waiting takes no write lock (nor needs one)
            if not await store.count(session=session) or loop.time() > deadline:
                return
        while await run_due(svc, owner=owner, force=True):
            pass
        await asyncio.sleep(0.01)
