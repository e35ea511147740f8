"""Request claims (storage.request_claims): one per key, committed or rolled back with the caller's write, never
taken by inbox workers, forgotten by housekeeping like the inbox's finished items."""

import asyncio
import contextvars
from datetime import UTC, datetime, timedelta

import pytest

from storage import inbox, request_claims
from storage.db import Database

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


async def test_a_key_is_claimed_once_and_no_worker_takes_the_claim(db: Database):
    async with db.transaction() as s:
        assert await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW) is True
        assert await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW) is False
    async with db.transaction() as s:
        assert await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW) is False
        assert await request_claims.claim(session=s, key="request:2", lane="U1", now=NOW) is True
        assert await inbox.ready(session=s, now=NOW + timedelta(days=1), limit=10) == []
        assert await inbox.count_open(session=s) == 0


async def test_a_claim_rolls_back_with_the_write_it_guards(db: Database):
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            assert await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW) is True
            raise RuntimeError("the write failed")
    async with db.transaction() as s:
        assert await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW) is True


async def test_housekeeping_forgets_old_claims(db: Database):
    async with db.transaction() as s:
        await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW)
    async with db.transaction() as s:
        assert await inbox.forget_finished_before(session=s, before=NOW + timedelta(hours=1)) == 1


@pytest.mark.pg_only(reason="SQLite has one writer: a second claim cannot run alongside the first")
async def test_a_concurrent_replay_waits_for_the_first_and_then_finds_it_claimed(db: Database):
    other = Database(db.url)  # a second web worker's engine
    try:
        async with db.transaction() as first:
            assert await request_claims.claim(session=first, key="request:1", lane="U1", now=NOW) is True

            async def replay():
                async with other.transaction() as s:
                    return await request_claims.claim(session=s, key="request:1", lane="U1", now=NOW)

            task = asyncio.create_task(replay(), context=contextvars.Context())
            await asyncio.sleep(0.2)
            assert not task.done()  # waiting on the unique index until the first transaction ends
        assert await asyncio.wait_for(task, timeout=5) is False
    finally:
        await other.dispose()
