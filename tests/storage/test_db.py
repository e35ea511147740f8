"""Units of work: writers queue in the event loop, readers pass them, nesting fails fast."""

import asyncio

import pytest
from sqlmodel import select

from storage.models import Person


async def test_writers_queue_in_order_and_none_is_lost(db):
    async def write(i: int) -> None:
        async with db.transaction() as s:
            s.add(Person(id=f"U{i:04d}", display_name=f"p{i}"))
            await asyncio.sleep(0)  # yield inside the transaction, as real handlers do

    await asyncio.gather(*(write(i) for i in range(200)))
    async with db.read() as s:
        assert len((await s.exec(select(Person))).all()) == 200


async def test_a_reader_does_not_wait_for_a_writer(db):
    async with db.transaction() as s:
        s.add(Person(id="U0ALICE", display_name="Alice"))
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with db.transaction() as s:
            s.add(Person(id="U0BOB", display_name="Bob"))
            await s.flush()  # the write lock is held from here
            holding.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await holding.wait()
    async with asyncio.timeout(5):
        async with db.read() as s:
            names = [p.display_name for p in (await s.exec(select(Person))).all()]
    assert names == ["Alice"]  # the uncommitted write is invisible, and we did not wait for it
    release.set()
    await writer


async def test_nesting_fails_fast_instead_of_deadlocking(db):
    async with db.transaction():
        with pytest.raises(RuntimeError, match="not re-entrant"):
            async with db.transaction():
                pass
        with pytest.raises(RuntimeError, match="pass the session down"):
            async with db.read():
                pass
