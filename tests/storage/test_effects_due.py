"""effect_due rows (storage/effects_due.py): a burst is one row, a claim is exclusive, a mark during a run wins."""

from datetime import UTC, datetime, timedelta

from storage import effects_due

T0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=3)


async def _claim(db, now, owner, **kw):
    async with db.transaction() as s:
        return await effects_due.claim(
            session=s, now=now, owner=owner, lease_until=now + timedelta(minutes=1), limit=10, **kw
        )


async def _mark(db, *keys, at=T0):
    async with db.transaction() as s:
        await effects_due.mark(session=s, keys=keys, due_at=at + timedelta(seconds=3))


async def _finish(db, done, owner, again_at):
    async with db.transaction() as s:
        await effects_due.finish(session=s, done=done, owner=owner, again_at=again_at)


async def _count(db):
    async with db.read() as s:
        return await effects_due.count(session=s)


async def test_a_burst_is_one_row_due_from_its_first_mark(db):
    for i in range(20):
        await _mark(db, "home:U1", "digest:7", at=T0 + timedelta(milliseconds=100 * i))
    assert await _count(db) == 2
    assert await _claim(db, T0 + timedelta(seconds=2), "a") == []  # not due yet
    got = await _claim(db, LATER, "a")
    assert sorted(got) == [("digest:7", 19), ("home:U1", 19)]  # due 3 s after the first mark, 19 marks since


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_lapses(db):
    await _mark(db, "home:U1")
    assert await _claim(db, LATER, "a") == [("home:U1", 0)]
    assert await _claim(db, LATER, "b") == []
    assert await _claim(db, LATER, "b", force=True) == []  # even forced: someone is running it
    assert await _claim(db, LATER + timedelta(minutes=2), "b") == [("home:U1", 0)]  # "a" died


async def test_a_mark_while_it_runs_keeps_the_row_due_again_and_a_clean_run_drops_it(db):
    await _mark(db, "home:U1", "home:U2")
    got = sorted(await _claim(db, LATER, "a"))
    await _mark(db, "home:U1", at=LATER)  # a check-in while the refresh runs: its state may be missed
    await _finish(db, got, "a", again_at=LATER + timedelta(seconds=3))
    assert await _count(db) == 1
    assert await _claim(db, LATER + timedelta(seconds=1), "a") == []  # due again DELAY later, not at once
    assert await _claim(db, LATER + timedelta(seconds=3), "b") == [("home:U1", 1)]
    await _finish(db, [("home:U1", 1)], "b", again_at=LATER)
    assert await _count(db) == 0


async def test_next_due_is_the_first_due_row_or_the_end_of_a_lease_held_elsewhere(db):
    async with db.read() as s:
        assert await effects_due.next_due(session=s, now=T0) is None
    await _mark(db, "home:U1")
    async with db.read() as s:
        assert await effects_due.next_due(session=s, now=T0) == LATER
    await _claim(db, LATER, "a")
    async with db.read() as s:
        assert await effects_due.next_due(session=s, now=LATER) == LATER + timedelta(minutes=1)
