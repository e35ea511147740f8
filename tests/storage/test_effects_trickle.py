"""While the inbox is busy, due after-check-in effects trickle, a few per claim, instead of waiting for the burst
to end (or for MAX_LAG) and then running as one batch. The clock is frozen at the rows' due time, so only the
trickle can run them: before, a runner that was always busy never ran them until MAX_LAG had passed. Each
claim is one `UPDATE effect_due ... RETURNING`, counted with an engine listener."""

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import event

from bot.services.kernel import effects_due
from bot.services.kernel.context import Effect, Services
from storage import effects_due as store

NOW = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)


async def waiting(db) -> int:
    async with db.read() as session:
        return await store.count(session=session)


async def test_a_busy_inbox_lets_due_effects_through_a_few_per_claim(db):
    ran: list[str] = []

    async def run(svc, target: str) -> None:
        ran.append(target)

    async def no_targets(session, **_):
        return []

    probe = Effect("probe", no_targets, run)
    svc = Services(db=db, notifier=None, directory=None, clock=lambda: NOW, after_checkin=(probe,))
    async with db.transaction() as session:
        await store.mark(session=session, keys=[f"probe:{i}" for i in range(10)], due_at=NOW)
    claims: list[str] = []

    def listener(conn, cursor, sql, *rest):
        if sql.startswith("UPDATE effect_due SET owner"):
            claims.append(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", listener)
    always_busy = asyncio.create_task(effects_due.run_forever(svc, owner="t", wake=asyncio.Event(), busy=lambda: True))
    try:
        async with asyncio.timeout(30):
            # Until all ran and the runner has finished their rows: cancelled between the last run and its batch's
            # finish (as a 50 ms poll sometimes was, on PostgreSQL), the runner would leave that batch's rows behind.
            while len(ran) < 10 or await waiting(db):
                await asyncio.sleep(0.05)
    finally:
        always_busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await always_busy
        event.remove(db.engine.sync_engine, "before_cursor_execute", listener)
    assert sorted(ran) == sorted(str(i) for i in range(10))  # each ran once, though the inbox never went idle
    assert len(claims) >= 10 // effects_due.TRICKLE + 1  # a few at a time: 4, 4, 2 (not one batch of 10)
    assert await waiting(db) == 0
