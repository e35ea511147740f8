"""Issue 15 item 7: a thread reply costs one write transaction of its own, beside the inbox's put, claim and done.

Every statement it runs, the Home refresh it leads to included, is compiled once: a statement SQLAlchemy cannot
cache (one holding its rows, `insert().values([...])`) was compiled anew on every reply, and that compiling, not
SQLite, was most of a statement's cost.

Before, the reply's prompt lookup and its recording were two write transactions, and the Home tab and digest
edits ran inline after them. Now the lookup, the check-in and the marks for its coalesced effects are one unit
of work. Counted with SQLAlchemy's `begin` event on the bot's engine (read-only units are told apart by their
execution option), on SQLite and PostgreSQL alike; nothing is timed.
"""

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import CacheStats

from storage.db import READ_ONLY
from tests.fakes.signing import SlackRequests
from tests.harness import SIGNING_SECRET
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, opens_home, seed


async def test_one_thread_reply_is_put_claimed_recorded_and_finished_in_four_write_transactions(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await opens_home(bot, "U0ALICE")  # so her check-ins mark her Home tab too
    bot.fake.reset_calls()
    unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)
    await unsettled.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)  # warm: the first reply
    await bot.inbox.wait_idle()

    writes, reads = [], []
    listener = lambda conn: (reads if conn.get_execution_options().get(READ_ONLY) else writes).append(1)  # noqa: E731
    event.listen(bot.db.engine.sync_engine, "begin", listener)
    try:
        assert (await unsettled.message_im("U0ALICE", "41 at risk", thread_ts=prompt.ts)).status == 200
        await bot.inbox.wait_idle()
    finally:
        event.remove(bot.db.engine.sync_engine, "begin", listener)

    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 2  # recorded and confirmed
    assert len(writes) == 4  # the inbox's put, its claim, the reply (lookup + check-in + marks), its done
    assert bot.fake.calls_to("views.publish") == []  # the Home tab waits for its coalescing delay
    await bot.settle()
    assert "41%" in str(bot.fake.home_view("U0ALICE"))


async def test_every_statement_of_a_thread_reply_and_its_effects_is_compiled_once(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await opens_home(bot, "U0ALICE")
    unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)
    await unsettled.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)  # warm: compiles each statement
    await bot.settle()

    seen: list[tuple[CacheStats, str]] = []

    def compiled(conn, cursor, statement, parameters, context, executemany) -> None:
        if isinstance(context, DefaultExecutionContext) and context.compiled is not None:  # not BEGIN, PRAGMA
            seen.append((context.cache_hit, statement.split()[0]))

    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", compiled)
    try:
        assert (await unsettled.message_im("U0ALICE", "41 at risk", thread_ts=prompt.ts)).status == 200
        await bot.settle()  # the reply, then its coalesced Home refresh
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", compiled)

    assert "41%" in str(bot.fake.home_view("U0ALICE"))
    assert {kind for _, kind in seen} >= {"INSERT", "SELECT", "UPDATE"}
    assert [s for s in seen if s[0] is not CacheStats.CACHE_HIT] == []  # SQLAlchemy's "[no key]", "[generated in]"
