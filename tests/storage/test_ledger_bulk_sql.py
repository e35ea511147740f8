"""The fan-out's ledger writes in bulk: a claim is one INSERT ... ON CONFLICT DO NOTHING RETURNING per chunk of
rows (the same statement every time, its rows as parameters), outcomes and DM channels one UPDATE each."""

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from storage import ledger_bulk, people
from storage.models import Person, SendLedger

AT = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def statements(db) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement.split()[0].upper())

    return seen


def rows(names: list[str]) -> list[dict]:
    return [{"recipient": n, "kind": "prompt", "period": "2027-01-11"} for n in names]


async def test_claims_are_one_statement_and_only_new_rows_are_won(db):
    if db.engine.dialect.name not in ("sqlite", "postgresql"):
        return
    async with db.transaction() as s:
        await ledger_bulk.claim_many(session=s, rows=rows(["U1", "U2"]), at=AT)
    seen = statements(db)
    async with db.transaction() as s:
        won = await ledger_bulk.claim_many(session=s, rows=rows([f"U{i}" for i in range(1, 31)]), at=AT)
    assert set(won) == {(f"U{i}", "2027-01-11") for i in range(3, 31)}  # U1 and U2 were held already
    assert seen.count("INSERT") == 1
    async with db.read() as s:
        held = (await s.exec(select(SendLedger.recipient, SendLedger.status, SendLedger.attempts))).all()
    assert sorted(held) == sorted((f"U{i}", "claimed", 1) for i in range(1, 31))


async def test_outcomes_and_dm_channels_are_written_without_loading_rows(db):
    async with db.transaction() as s:
        s.add_all([Person(id="U1"), Person(id="U2", dm_channel="D2")])
        await s.flush()
        won = await ledger_bulk.claim_many(session=s, rows=rows(["U1", "U2"]), at=AT)
    seen = statements(db)
    async with db.transaction() as s:
        outcomes = [{"ledger_id": i, "status": "sent", "channel": "D", "ts": "1.0"} for i in won.values()]
        await ledger_bulk.finish_many(session=s, outcomes=outcomes, at=AT)
        changed = await people.set_dm_channels(session=s, channels={"U1": "D1", "U2": "D2"})
    assert changed == 1  # U2's channel was already cached
    assert seen.count("UPDATE") == 2 and seen.count("INSERT") == 0
    async with db.read() as s:
        assert dict((await s.exec(select(Person.id, Person.dm_channel))).all()) == {"U1": "D1", "U2": "D2"}
        sent = (await s.exec(select(SendLedger.status, SendLedger.sent_at))).all()
    assert {status for status, _ in sent} == {"sent"} and all(at is not None for _, at in sent)
