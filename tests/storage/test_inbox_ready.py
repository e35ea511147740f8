"""storage.inbox.ready: the oldest takeable item of each lane, lanes by their oldest item, without reading the
whole backlog when the front of the queue already holds enough lanes; and exactly the same answer when it
does not (one person's burst at the front), or when lapsed claims and retried items are in it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from storage import inbox
from storage.models import InboxItem
from tests.storage.test_prompt_lookup_plan import plan

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


async def put(db, lanes: list[str]) -> list[int]:
    async with db.transaction() as s:
        rows = [{"key": f"event:{n}", "lane": lane, "payload": "{}"} for n, lane in enumerate(lanes)]
        ids = await inbox.add_items(session=s, rows=rows, now=NOW)
    return [ids[r["key"]] for r in rows]


async def ready(db, limit: int, now=NOW) -> list[tuple[int, str]]:
    async with db.read() as s:
        return await inbox.ready(session=s, now=now, limit=limit)


async def by_group_by(db, limit: int) -> list[tuple[int, str]]:
    """What the GROUP BY over every takeable item (the whole read) answers."""
    async with db.read() as s:
        rows = await (await s.connection()).execute(inbox._READY, {"now": NOW, "limit": limit})
        return [(i, lane) for i, lane in rows.all()]


async def test_many_lanes_are_answered_from_the_front_of_the_queue(db):
    ids = await put(db, [f"U{n % 500}" for n in range(2000)])
    statements: list[str] = []
    listen = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        got = await ready(db, 5)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    assert got == [(ids[n], f"U{n}") for n in range(5)]
    assert not any("GROUP BY" in s for s in statements)  # the backlog's 2,000 items were not all read


async def test_a_burst_by_one_person_at_the_front_still_lets_the_others_through(db):
    ids = await put(db, ["U0BURST"] * 300 + ["U0ALICE", "U0BOB", "U0BURST", "U0ALICE"])
    assert await ready(db, 3) == [(ids[0], "U0BURST"), (ids[300], "U0ALICE"), (ids[301], "U0BOB")]


async def test_lapsed_claims_and_retries_answer_as_the_whole_read_would(db):
    lanes = [f"U{n % 7}" for n in range(120)]
    ids = await put(db, lanes)
    claimed, lapsed, later = set(ids[0:20:3]), set(ids[1:60:5]), set(ids[2:90:4])
    lease = {"claimed": NOW + timedelta(minutes=1), "lapsed": NOW - timedelta(minutes=1)}
    async with db.transaction() as s:
        conn = await s.connection()
        for which, until in (("claimed", lease["claimed"]), ("lapsed", lease["lapsed"])):
            chosen = claimed if which == "claimed" else lapsed
            stmt = update(InboxItem).where(InboxItem.id.in_(chosen)).values(state="claimed", lease_until=until)
            await conn.execute(stmt)
        await conn.execute(update(InboxItem).where(InboxItem.id.in_(later)).values(available_at=NOW + timedelta(1)))
    for limit in (1, 2, 3, 7, 10):
        assert await ready(db, limit) == await by_group_by(db, limit), limit


@pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")
async def test_the_front_of_the_queue_is_read_through_the_state_id_index(db):
    await put(db, [f"U{n}" for n in range(50)])
    seen: list[tuple[str, tuple]] = []
    keep = lambda _c, _cur, statement, params, *_: seen.append((statement, params))  # noqa: E731
    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        await ready(db, 3)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)
    statement, params = next((s, p) for s, p in seen if "ORDER BY inbox_item.id" in s)
    found = await plan(db, statement, params)
    assert "ix_inbox_item_state_id" in found and "TEMP B-TREE" not in found


async def test_a_lapsed_claim_behind_the_front_does_not_jump_a_lane_waiting_before_it(db):
    ids = await put(db, ["U0BURST"] * 30 + ["U0BOB"] + ["U0BURST"] * 30 + ["U0CAROL"])
    async with db.transaction() as s:  # Carol's item was claimed by a worker that died
        stmt = update(InboxItem).where(InboxItem.id == ids[-1])
        await (await s.connection()).execute(stmt.values(state="claimed", lease_until=NOW - timedelta(minutes=1)))
    assert await ready(db, 2) == [(ids[0], "U0BURST"), (ids[30], "U0BOB")] == await by_group_by(db, 2)
