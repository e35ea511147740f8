"""OKRBOT_SQLITE_INLINE: write transactions call sqlite3 on the event loop (storage/sqlite_inline.py).

They must behave as the threaded driver's do (commit, roll back, constraints, the one-writer queue), never
stop the loop while another process holds the lock (they wait on asyncio sleeps, and still fail after the
same bound). Views' reads run inline too with OKRBOT_SQLITE_INLINE_READS (the default), on aiosqlite's
thread without it, and never wait for a writer."""

import asyncio
import contextlib
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from bot.config import Settings, answering_no_requests
from storage import sqlite_inline
from storage.db import Database
from storage.models import Person
from storage.sqlite_inline import InlineConnection

pytestmark = pytest.mark.sqlite_only("the inline driver is SQLite's")


@pytest.fixture
async def inline_db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}", sqlite_inline=True)
    await database.create_all()
    yield database
    await database.dispose()


async def test_writes_run_inline_and_reads_on_the_thread(inline_db):
    async with inline_db.transaction() as s:
        s.add(Person(id="U0ALICE", display_name="Alice"))
        driver = (await (await s.connection()).get_raw_connection()).driver_connection
        busy = (await s.exec(text("PRAGMA busy_timeout"))).scalar_one()
    assert isinstance(driver, InlineConnection) and busy == 0
    async with inline_db.read() as s:
        reader = (await (await s.connection()).get_raw_connection()).driver_connection
        assert (await s.exec(select(Person.display_name))).all() == ["Alice"]
    assert not isinstance(reader, InlineConnection)  # aiosqlite's


@pytest.fixture
async def inline_reads_db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}", sqlite_inline=True, inline_reads=True)
    await database.create_all()
    yield database
    await database.dispose()


async def test_inline_reads_run_on_the_loop_and_never_wait_for_a_writer(inline_reads_db):
    loop_thread, seen = threading.get_ident(), []
    async with inline_reads_db.transaction() as s:
        s.add(Person(id="U0ALICE", display_name="Alice"))
    held = threading.Event()  # another process holds the write lock for the whole read
    holder = threading.Thread(target=hold_write_lock, args=(inline_reads_db.engine.url.database, 0.5, held))
    holder.start()
    await asyncio.to_thread(held.wait)
    try:
        async with inline_reads_db.read() as s:
            reader = (await (await s.connection()).get_raw_connection()).driver_connection
            reader._conn.set_trace_callback(lambda sql: seen.append(threading.get_ident() == loop_thread))
            started = asyncio.get_running_loop().time()
            assert (await s.exec(select(Person.display_name))).all() == ["Alice"]
            waited = asyncio.get_running_loop().time() - started
    finally:
        await asyncio.to_thread(holder.join)
    assert isinstance(reader, InlineConnection) and seen and all(seen)  # on the loop's own thread
    assert waited < 0.25  # a WAL reader does not wait for the writer's lock (held for 0.5 s)


async def test_a_long_inline_read_gives_the_loop_turns(inline_reads_db):
    async with inline_reads_db.transaction() as s:
        for i in range(3000):
            await s.exec(text("INSERT INTO person (id, display_name) VALUES (:id, 'p')").bindparams(id=f"U{i}"))
    with loop_turns(every=0) as ticks:
        async with inline_reads_db.read() as s:  # hundreds of scans in one view, as an export makes
            for i in range(300):
                await s.exec(text("SELECT count(*) FROM person WHERE display_name LIKE :x").bindparams(x=f"%{i}%"))
            during = ticks[0]
    assert during >= 3


async def test_a_failed_unit_of_work_leaves_nothing_and_constraints_hold(inline_db):
    with pytest.raises(RuntimeError):
        async with inline_db.transaction() as s:
            s.add(Person(id="U0BOB", display_name="Bob"))
            await s.flush()
            raise RuntimeError("rolled back")
    async with inline_db.transaction() as s:
        s.add(Person(id="U0ALICE", display_name="Alice"))
    with pytest.raises(IntegrityError):
        async with inline_db.transaction() as s:
            s.add(Person(id="U0ALICE", display_name="Alice again"))
    async with inline_db.read() as s:
        assert (await s.exec(select(Person.display_name))).all() == ["Alice"]


async def test_writers_still_queue_in_order_and_none_is_lost(inline_db):
    async def write(i: int) -> None:
        async with inline_db.transaction() as s:
            s.add(Person(id=f"U{i:04d}", display_name=f"p{i}"))
            await asyncio.sleep(0)

    await asyncio.gather(*(write(i) for i in range(200)))
    # Committed for good: another connection (a second process) sees every row.
    with sqlite3.connect(inline_db.engine.url.database) as other:
        assert other.execute("SELECT count(*) FROM person").fetchone() == (200,)


@contextlib.contextmanager
def loop_turns(*, every: float):
    """Counts the turns the event loop gives a task that sleeps `every` seconds, while the block runs."""
    ticks = [0]

    async def ticker() -> None:
        while True:
            await asyncio.sleep(every)
            ticks[0] += 1

    task = asyncio.get_running_loop().create_task(ticker())
    try:
        yield ticks
    finally:
        task.cancel()


def hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    """Another process's writer: BEGIN IMMEDIATE, then keep the lock for `seconds`."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    held.set()
    threading.Event().wait(seconds)
    other.execute("ROLLBACK")
    other.close()


async def test_another_processes_lock_is_waited_for_without_stopping_the_loop(inline_db):
    held = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(inline_db.engine.url.database, 0.5, held))
    holder.start()
    await asyncio.to_thread(held.wait)
    with loop_turns(every=0.01) as ticks:
        async with inline_db.transaction() as s:  # BEGIN IMMEDIATE meets the lock and waits on the loop
            s.add(Person(id="U0ALICE", display_name="Alice"))
    await asyncio.to_thread(holder.join)
    assert ticks[0] >= 10  # the loop ran on while the write waited (a sleeping busy handler would have stopped it)
    async with inline_db.read() as s:
        assert (await s.exec(select(Person.id))).all() == ["U0ALICE"]


async def test_a_lock_held_past_the_bound_is_an_error(inline_db, monkeypatch):
    monkeypatch.setattr(sqlite_inline, "LOCKED_RETRY_SECONDS", 0.2)
    held = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(inline_db.engine.url.database, 1.5, held))
    holder.start()
    await asyncio.to_thread(held.wait)
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with inline_db.transaction() as s:
                s.add(Person(id="U0ALICE", display_name="Alice"))
    finally:
        await asyncio.to_thread(holder.join)
    async with inline_db.transaction() as s:  # and the connection is usable again once the lock is gone
        s.add(Person(id="U0BOB", display_name="Bob"))


async def test_a_long_write_transaction_gives_the_loop_turns(inline_db):
    with loop_turns(every=0) as ticks:
        async with inline_db.transaction() as s:  # thousands of statements, as a big YAML import from chat makes
            for i in range(3000):
                await s.exec(text("INSERT INTO person (id, display_name) VALUES (:id, 'p')").bindparams(id=f"U{i}"))
            during = ticks[0]
    assert during >= 3  # the loop had turns inside it (statements alone never yield)
    async with inline_db.read() as s:
        assert len((await s.exec(select(Person.id))).all()) == 3000


async def test_commits_run_inline_and_the_wal_is_checkpointed_on_a_thread(inline_db, monkeypatch):
    monkeypatch.setattr(sqlite_inline, "CHECKPOINT_EVERY", 5)
    loop_thread, seen = threading.get_ident(), []

    def traced(statement: str) -> None:  # SQLite's own trace: every statement, on the thread that ran it
        seen.append((statement.split()[0].upper(), threading.get_ident() == loop_thread))

    async def write(i: int) -> None:
        async with inline_db.transaction() as s:
            driver = (await (await s.connection()).get_raw_connection()).driver_connection
            driver._conn.set_trace_callback(traced)
            await s.exec(
                text("INSERT INTO person (id, display_name) VALUES (:id, :name)").bindparams(
                    id=f"U{i:04d}", name="p" * 6000
                )
            )  # two pages a commit, so an unchecked WAL grows visibly

    for i in range(60):
        await write(i)
    commits = [on_loop for kind, on_loop in seen if kind == "COMMIT"]
    checkpoints = [on_loop for kind, on_loop in seen if kind == "PRAGMA"]
    assert len(commits) == 60 and all(commits)  # no thread hop for a commit
    assert len(checkpoints) == 12 and not any(checkpoints)  # every 5 commits, each on a thread
    with sqlite3.connect(inline_db.engine.url.database) as other:  # another process reads every row
        assert other.execute("SELECT count(*) FROM person").fetchone() == (60,)
        # Each checkpoint let the next writer start the WAL over: it holds the last few commits' frames, not
        # all 60 commits' (about 330; SQLite's own checkpoint would not have run below 1,000).
        _, frames, _ = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert 0 < frames < 60


@pytest.mark.parametrize(
    ("setting", "answers_requests", "inline"),
    [(None, True, False), (None, False, True), ("false", False, False), ("true", True, True)],
)
async def test_reads_are_inline_where_no_request_is_acked_unless_set(tmp_path, setting, answers_requests, inline):
    overrides = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'okrbot.db'}"}
    if setting is not None:
        overrides["OKRBOT_SQLITE_INLINE_READS"] = setting
    settings = Settings(_env_file=None, **overrides)
    database = Database.from_settings(settings if answers_requests else answering_no_requests(settings))
    try:
        await database.create_all()
        async with database.read() as s:
            reader = (await (await s.connection()).get_raw_connection()).driver_connection
    finally:
        await database.dispose()
    assert isinstance(reader, InlineConnection) is inline
