"""Issue 15 item 7: keeping a request before its ack is one INSERT, and the open items are counted only near the limit.

The put was five statements (the open-items count, a savepoint, the INSERT, its release) and the count grew with
the backlog. Now it is `INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id`; ids only grow, so (new id - the
lowest open id + 1) bounds the open items, and only when that bound passes OKRBOT_INBOX_LIMIT are they counted.
Signed thread replies through the real HTTP endpoint; SQL statements counted with SQLAlchemy's cursor event.
"""

from sqlalchemy import event

from tests.harness import running_bot
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed


async def test_a_put_is_one_insert_until_the_limit_is_near_and_the_limit_still_holds(fake_slack, tmp_path):
    async with running_bot(fake_slack, tmp_path / "bot.db", inbox=False, OKRBOT_INBOX_LIMIT="3") as bot:
        await seed(bot)
        await bot.tick(MONDAY_10_BERLIN)
        bot.svc.clock = at(MONDAY_10_BERLIN)
        (prompt,) = bot.dm("U0ALICE")
        bot.req.settle = None  # nothing processes the inbox here: each request returns at its ack
        statements: list[str] = []
        listener = lambda conn, cursor, sql, *rest: statements.append(sql.split()[0].upper())  # noqa: E731
        event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)

        async def reply(event_id: str) -> tuple[int, list[str]]:
            statements.clear()
            sent = await bot.req.message_im("U0ALICE", "42", thread_ts=prompt.ts, event_id=event_id)
            return sent.status, [s for s in statements if s != "BEGIN"]

        try:
            # ids 1..3: the bound (id - 0 + 1) is within the limit: no count, no savepoint
            assert [await reply(f"Ev0P{i}") for i in (1, 2, 3)] == [(200, ["INSERT"])] * 3
            assert await reply("Ev0P1") == (200, ["INSERT"])  # a redelivery: the INSERT does nothing, dropped
            status, sql = await reply("Ev0P4")  # the bound passes the limit: counted, and refused
            assert (status, sql) == (503, ["INSERT", "SELECT"])
        finally:
            event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
