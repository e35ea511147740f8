"""Issue 15 item 1: inbox puts waiting at the same time are kept in one transaction, each still answered alone.

Signed thread replies through the real HTTP endpoint, while the test holds the database's writer (as a worker's
transaction would): the replies' puts queue, and once the writer is free they are written with one multi-row
INSERT and one commit. Each request keeps its own answer: kept (200), a redelivery (200, kept once) or refused
past the inbox limit (503). A put the database rejects fails alone: the others are kept one by one.
"""

import asyncio

from sqlalchemy import event, func, select, text

from storage.models import InboxItem
from tests.harness import running_bot
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed


async def kept_keys(bot) -> list[str]:
    async with bot.db.read() as s:
        return sorted((await s.execute(select(InboxItem.key))).scalars())


async def prompted(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.req.settle = None  # nothing processes the inbox here: each request returns at its ack
    return prompt


async def burst_behind_the_writer(bot, prompt, event_ids: list[str]) -> list[int]:
    """Send the replies one after another while the writer is held, each waiting for its put; then let go.

    SQLite: holding a write transaction holds its one writer, so every put waits to be taken into a batch.
    PostgreSQL has several writers: the test locks the inbox table instead, and the first put's batch waits
    on that lock (one batch commits at a time), so the others wait to be taken into the next batch.
    """
    sent: list[asyncio.Task] = []
    async with bot.db.transaction() as s:
        on_pg = s.bind.dialect.name == "postgresql"
        if on_pg:
            await s.execute(text("LOCK TABLE inbox_item IN SHARE ROW EXCLUSIVE MODE"))
        for n, event_id in enumerate(event_ids, start=1):
            reply = bot.req.message_im("U0ALICE", "42", thread_ts=prompt.ts, event_id=event_id)
            sent.append(asyncio.create_task(reply))
            async with asyncio.timeout(10):
                while not await arrived(bot, s, n - 1 if on_pg else n, first=on_pg and n == 1):
                    await asyncio.sleep(0.002)
        assert not any(task.done() for task in sent)  # nobody is answered before the commit
    return [(await task).status for task in sent]


async def arrived(bot, session, waiting: int, *, first: bool) -> bool:
    """In order: `waiting` puts wait for a batch (and, on PostgreSQL, the first batch waits on the lock)."""
    if first:
        return bool((await session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))).scalar())
    return bot.worker.puts_waiting >= waiting


async def test_a_burst_is_one_insert_and_each_reply_gets_its_own_answer(fake_slack, tmp_path):
    async with running_bot(fake_slack, tmp_path / "bot.db", inbox=False, OKRBOT_INBOX_LIMIT="6") as bot:
        prompt = await prompted(bot)
        for event_id in ("Ev0K1", "Ev0K2"):
            assert (await bot.req.message_im("U0ALICE", "40", thread_ts=prompt.ts, event_id=event_id)).status == 200
        statements: list[str] = []
        listener = lambda conn, cursor, sql, *rest: statements.append(sql.split()[0].upper())  # noqa: E731
        event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        try:
            # A redelivery of a kept one, six new ones (one sent twice), and room for four more under the limit.
            ids = ["Ev0K1", "Ev0K3", "Ev0K4", "Ev0K3", "Ev0K5", "Ev0K6", "Ev0K7", "Ev0K8"]
            statuses = await burst_behind_the_writer(bot, prompt, ids)
        finally:
            event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        # kept as if one after another: K3..K6 fill the limit, K7 and K8 are refused (Slack redelivers them)
        assert statuses == [200, 200, 200, 200, 200, 200, 503, 503]
        # SQLite: one INSERT for all, one DELETE; PostgreSQL: the first alone (behind the lock), then one for the rest
        inserts = 1 if bot.db.engine.dialect.name == "sqlite" else 2
        assert (statements.count("INSERT"), statements.count("DELETE")) == (inserts, 1)
        assert await kept_keys(bot) == [f"event:Ev0K{i}" for i in range(1, 7)]


async def test_a_put_the_database_rejects_fails_alone(fake_slack, tmp_path, caplog):
    async with running_bot(fake_slack, tmp_path / "bot.db", inbox=False) as bot:
        prompt = await prompted(bot)
        async with bot.db.transaction() as s:  # the database refuses this one key, whoever writes it
            await reject_key(s, "event:Ev0BAD")
        statuses = await burst_behind_the_writer(bot, prompt, ["Ev0G1", "Ev0BAD", "Ev0G2"])
        assert statuses[0] == statuses[2] == 200
        assert statuses[1] != 200  # not acked: Slack redelivers it
        assert "puts failed (IntegrityError); keeping them one by one" in caplog.text
        assert await kept_keys(bot) == ["event:Ev0G1", "event:Ev0G2"]
        async with bot.db.read() as s:
            assert (await s.execute(select(func.count()).select_from(InboxItem))).scalar_one() == 2


async def reject_key(session, key: str) -> None:
    """A trigger that fails any INSERT of `key` with an integrity error (SQLite and PostgreSQL)."""
    if session.bind.dialect.name == "sqlite":
        await session.execute(
            text(
                "CREATE TRIGGER reject_key BEFORE INSERT ON inbox_item WHEN NEW.key = :key "
                "BEGIN SELECT RAISE(ABORT, 'rejected'); END".replace(":key", f"'{key}'")
            )
        )
        return
    await session.execute(
        text(
            "CREATE FUNCTION reject_key() RETURNS trigger AS $$ BEGIN IF NEW.key = '"
            + key
            + "' THEN RAISE EXCEPTION 'rejected' USING ERRCODE = '23514'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
    )
    await session.execute(
        text("CREATE TRIGGER reject_key BEFORE INSERT ON inbox_item FOR EACH ROW EXECUTE FUNCTION reject_key()")
    )
