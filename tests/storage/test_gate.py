"""The writers' gate (storage/gate.py): the inbox put, which Slack's 200 waits for, goes ahead of queued work."""

import asyncio

import pytest

from storage.db import Database
from storage.gate import Gate


def recorder(gate: Gate, order: list[str]):
    """A unit of work that notes its name in `order` once it holds the gate, and holds it until `hold` is set."""

    async def unit(name: str, urgent: bool = False, hold: asyncio.Event | None = None) -> None:
        async with gate.hold(urgent=urgent):
            order.append(name)
            if hold is not None:
                await hold.wait()

    return unit


async def test_an_urgent_waiter_goes_ahead_of_the_queue_and_each_class_stays_in_order():
    gate = Gate(1)
    order: list[str] = []
    release = asyncio.Event()

    unit = recorder(gate, order)

    first = asyncio.create_task(unit("running", hold=release))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(unit(f"worker{i}")) for i in range(3)]
    await asyncio.sleep(0)
    urgent = [asyncio.create_task(unit(f"put{i}", urgent=True)) for i in range(2)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *queued, *urgent)
    assert order == ["running", "put0", "put1", "worker0", "worker1", "worker2"]


async def test_a_cancelled_waiter_neither_holds_nor_loses_a_slot():
    gate = Gate(1)
    release = asyncio.Event()
    got: list[str] = []

    unit = recorder(gate, got)

    holder = asyncio.create_task(unit("holder", hold=release))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(unit("doomed", urgent=True))
    later = asyncio.create_task(unit("later"))
    await asyncio.sleep(0)
    doomed.cancel()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await asyncio.wait_for(later, 5)
    assert got == ["holder", "later"]
    async with gate.hold():  # the slot came back: not leaked by the cancelled waiter
        got.append("again")
    assert got[-1] == "again"


async def test_an_urgent_transaction_commits_ahead_of_queued_ones(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    try:
        async with db.transaction() as s:
            await (await s.connection()).exec_driver_sql("CREATE TABLE t (name TEXT)")
        release = asyncio.Event()

        async def write(name: str, urgent: bool = False, hold: asyncio.Event | None = None) -> None:
            async with db.transaction(urgent=urgent) as s:
                await (await s.connection()).exec_driver_sql(f"INSERT INTO t VALUES ('{name}')")
                if hold is not None:
                    await hold.wait()

        tasks = [asyncio.create_task(write("first", hold=release))]
        await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(write(f"w{i}")) for i in range(3)]
        await asyncio.sleep(0.05)
        tasks.append(asyncio.create_task(write("put", urgent=True)))
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*tasks)
        async with db.read() as s:
            rows = (await (await s.connection()).exec_driver_sql("SELECT name FROM t ORDER BY rowid")).all()
        assert [r[0] for r in rows] == ["first", "put", "w0", "w1", "w2"]
    finally:
        await db.dispose()


async def test_a_long_urgent_burst_still_lets_a_waiting_worker_in_every_few_turns():
    gate = Gate(1)
    order: list[str] = []
    release = asyncio.Event()

    unit = recorder(gate, order)

    first = asyncio.create_task(unit("running", hold=release))
    await asyncio.sleep(0)
    workers = [asyncio.create_task(unit(f"worker{i}")) for i in range(2)]
    await asyncio.sleep(0)
    puts = [asyncio.create_task(unit(f"put{i}", urgent=True)) for i in range(10)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *workers, *puts)
    run = ["put0", "put1", "put2", "put3"]
    assert order[1:] == [*run, "worker0", "put4", "put5", "put6", "put7", "worker1", "put8", "put9"]
