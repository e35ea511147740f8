"""The structure stamp changes in the transaction of every structural write, by any path, and only then."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, insert, text, update
from sqlalchemy.engine import Row
from sqlmodel import SQLModel

from storage import ledger, people, structure, structure_cache
from storage.db import Database
from storage.models import CheckIn, Cycle, EffectDue, InboxItem, KeyResult, KRCoOwner, Objective, Person, Team

AT = datetime(2027, 2, 15, 12, 0, tzinfo=UTC)


def test_every_table_is_classified_watched_or_not():
    tables = set(SQLModel.metadata.tables)
    assert tables == set(structure.WATCHED) | structure.UNWATCHED, "classify new tables in storage/structure.py"
    assert not set(structure.WATCHED) & structure.UNWATCHED
    for name, live in structure.WATCHED.items():
        assert live <= set(SQLModel.metadata.tables[name].columns.keys()), name


@pytest.fixture
async def seeded(db):
    async with db.transaction() as s:
        s.add_all(
            [Person(id="U0OWNER"), Team(name="Growth"), Cycle(name="Q1", start=date(2027, 1, 4), end=date(2027, 4, 2))]
        )
        await s.flush()
        objective = Objective(title="Grow", team_id=1, cycle_id=1)
        s.add(objective)
        await s.flush()
        s.add(KeyResult(title="Signups", objective_id=objective.id, owner_id="U0OWNER"))
    return db


async def stamp(db: Database) -> str | None:
    async with db.read() as s:
        return await structure.current(s)


async def test_a_structural_write_changes_the_stamp_in_its_own_transaction(seeded, tmp_path):
    other = Database(seeded.url)  # another process's view of the same database
    try:
        before = await stamp(other)
        assert before is not None  # seeding wrote teams and OKRs
        async with seeded.transaction() as s:
            (await s.get(KeyResult, 1)).title = "Signups per week"  # flushed by the commit, not by us
        after = await stamp(other)
        assert after not in (None, before)
        with pytest.raises(RuntimeError):
            async with seeded.transaction() as s:
                s.add(Team(name="Platform"))
                await s.flush()
                raise RuntimeError("rolled back")
        assert await stamp(other) == after  # the edit and its stamp went together
    finally:
        await other.dispose()


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.exec(update(KeyResult).where(KeyResult.id == 1).values(weight=2.0)),  # Core
        lambda s: s.exec(update(KeyResult), params=[{"id": 1, "title": "Bulk"}]),  # ORM bulk update by primary key
        lambda s: s.exec(insert(KRCoOwner).values([{"kr_id": 1, "person_id": "U0OWNER"}])),
        lambda s: s.exec(text("UPDATE team SET digest_time = '17:00'")),  # text SQL
        lambda s: s.exec(update(Person).where(Person.id == "U0OWNER").values(manager_id="U0OWNER")),
        lambda s: s.exec(update(Cycle).values(state="closed")),
    ],
    ids=["core-update", "orm-bulk", "bulk-insert", "text", "manager", "cycle"],
)
async def test_every_write_path_to_a_structural_table_bumps(seeded, write):
    before = await stamp(seeded)
    async with seeded.transaction() as s:
        await write(s)
    assert await stamp(seeded) != before


async def test_check_ins_inbox_ledger_and_lookups_leave_the_stamp_alone(seeded):
    before = await stamp(seeded)
    async with seeded.transaction() as s:  # a check-in: its row, and the KR's live value
        s.add(CheckIn(kr_id=1, author_id="U0OWNER", value=42, confidence="at_risk"))
        kr = await s.get(KeyResult, 1)
        kr.current_value, kr.confidence, kr.last_checkin_at = 42, "at_risk", AT
    async with seeded.transaction() as s:  # the same, in Core (the thread-reply path may write it so)
        live = {"current_value": 43, "confidence": "on_track", "last_checkin_at": AT, "score": 0.5}
        await s.exec(update(KeyResult).where(KeyResult.id == 1).values(**live))
    async with seeded.transaction() as s:
        s.add(InboxItem(key="event:1", lane="U0OWNER", payload="{}"))
        s.add(EffectDue(key="home:U0OWNER", due_at=AT))
        await ledger.claim(session=s, recipient="U0OWNER", kind="prompt", period="2027-W07", at=AT)
        (await s.get(Person, "U0OWNER")).dm_channel = "D0OWNER"  # learned from chat.postMessage
    async with seeded.transaction() as s:  # opening the Home tab (people.set_home_opened, at most once a day)
        await people.set_home_opened(session=s, person_id="U0OWNER", at=AT, unless_since=AT)
    assert await stamp(seeded) == before


def test_update_statements_are_read_column_by_column():
    assert not structure.is_structural("UPDATE key_result SET current_value=?, confidence=? WHERE key_result.id = ?")
    assert not structure.is_structural('UPDATE "key_result" SET score=$1::FLOAT WHERE key_result.id = $2::INTEGER')
    assert structure.is_structural("UPDATE key_result SET confidence=?, title=? WHERE key_result.id = ?")
    # A SET list cut short by a subquery's WHERE may hide a structural column: counted as structural.
    assert structure.is_structural("UPDATE key_result SET current_value=(SELECT 1 WHERE 1=1), title=? WHERE id=?")
    assert not structure.is_structural("SELECT * FROM team")
    assert not structure.is_structural("INSERT INTO check_in (kr_id) VALUES (?)")
    assert structure.is_structural("DELETE FROM team_member WHERE team_member.team_id = ?")


async def test_readers_reuse_the_tree_until_the_stamp_changes(seeded):
    selects: list[str] = []
    listen = (seeded.engine.sync_engine, "before_cursor_execute")

    def record(_conn, _cursor, statement, *_rest):
        if statement.startswith("SELECT"):
            selects.append(statement)

    async def tree():
        async with seeded.read() as s:
            return await structure_cache.cycle_tree(session=s, cycle_id=1)

    first = await tree()
    assert all(isinstance(row, Row) for row in [*first.objectives.values(), *first.krs[1]])  # plain rows, no ORM
    event.listen(*listen, record)
    try:
        assert await tree() is first and len(selects) == 1  # the stamp, nothing else
        async with seeded.transaction() as s:
            (await s.get(KeyResult, 1)).title = "Renamed"
        assert [kr.title for kr in (await tree()).krs[1]] == ["Renamed"]
    finally:
        event.remove(*listen, record)
