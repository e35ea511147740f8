"""PostgreSQL across processes: inbox claims skip rows another worker is locking; one scheduler leads at a time."""

import asyncio
import contextvars
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduler import scheduled_tick
from storage import inbox
from storage.db import Database
from storage.locks import SCHEDULER, Leader, lock_key

pytestmark = pytest.mark.pg_only(reason="row locks and advisory locks are PostgreSQL's; SQLite has one writer")

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def test_a_claim_skips_an_item_another_worker_is_claiming_instead_of_waiting(db: Database):
    async with db.transaction() as s:
        await inbox.add_item(session=s, key="event:E1", lane="U1", payload="{}", now=NOW)
        item_id = (await inbox.ready(session=s, now=NOW, limit=1))[0][0]
    other = Database(db.url)  # a second worker process's engine
    try:
        async with db.transaction() as first:
            assert await inbox.claim(session=first, item_id=item_id, owner="w1", now=NOW, lease=LEASE) == ("{}", 1)

            async def second_claim():
                async with other.transaction() as s:
                    return await inbox.claim(session=s, item_id=item_id, owner="w2", now=NOW, lease=LEASE)

            # Another process: its own context, outside this unit of work. Before SKIP LOCKED its UPDATE
            # waited on the row lock until the first worker committed.
            task = asyncio.create_task(second_claim(), context=contextvars.Context())
            assert await asyncio.wait_for(task, timeout=5) is None
        async with other.transaction() as s:  # after the first commits: claimed, not takeable
            assert await inbox.claim(session=s, item_id=item_id, owner="w2", now=NOW, lease=LEASE) is None
        async with db.transaction() as s:
            later = NOW + 2 * LEASE  # the first claim's lease has lapsed: a second worker retakes it
            assert await inbox.claim(session=s, item_id=item_id, owner="w2", now=later, lease=LEASE) == ("{}", 2)
    finally:
        await other.dispose()


async def test_only_one_leader_holds_the_lock_and_the_next_takes_over_when_it_lets_go(db: Database):
    first, second = Leader(db.url), Leader(db.url)
    try:
        assert await first.lead() is True
        assert await second.lead() is False
        assert await first.lead() is True  # still leading on the next tick
        assert await second.lead() is False
        await first.close()
        assert await second.lead() is True
    finally:
        await first.close()
        await second.close()


async def test_a_second_scheduler_idles_while_the_first_does_the_tick(bot):
    first, second = Leader(bot.settings.database_url), Leader(bot.settings.database_url)
    try:
        assert await scheduled_tick(bot.svc, first) is not None
        assert await scheduled_tick(bot.svc, second) is None  # no work done: it does not lead
        assert await scheduled_tick(bot.svc, first) is not None
    finally:
        await first.close()
        await second.close()


def test_lock_keys_are_distinct_and_stable():
    assert SCHEDULER == lock_key("scheduler") != lock_key("migrations")
