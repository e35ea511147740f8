"""Why a send failed is kept, cut to its column: PostgreSQL refuses a longer String(500), SQLite would not."""

from datetime import UTC, datetime

from sqlmodel import select

from storage import ledger, ledger_bulk
from storage.models import SendLedger

AT = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
LONG = "channel_not_found: " + "x" * 2000  # e.g. an exception text from a dropped connection


async def errors(db) -> dict[str, str]:
    async with db.read() as s:
        return {r.recipient: r.error for r in (await s.exec(select(SendLedger))).all()}


async def test_a_long_error_is_stored_cut_to_the_column_by_every_writer(db):
    async with db.transaction() as s:
        one = await ledger.claim(session=s, recipient="U1", kind="prompt", period="2027-01-11", at=AT)
        await ledger.finish(session=s, ledger_id=one.id, status="failed", at=AT, error=LONG)
        await ledger.claim(session=s, recipient="U2", kind="prompt", period="2027-01-11", at=AT, error=LONG)
        won = await ledger_bulk.claim_many(
            session=s,
            rows=[
                {"recipient": "U3", "kind": "prompt", "period": "2027-01-11", "status": "skipped", "error": LONG},
                {"recipient": "U4", "kind": "prompt", "period": "2027-01-11"},
            ],
            at=AT,
        )
        outcome = {"ledger_id": won[("U4", "2027-01-11")], "status": "failed", "error": LONG}
        await ledger_bulk.finish_many(session=s, outcomes=[outcome], at=AT)
    stored = await errors(db)
    assert stored == {u: LONG[:500] for u in ("U1", "U2", "U3", "U4")}


async def test_short_and_missing_errors_are_kept_as_they_are(db):
    async with db.transaction() as s:
        row = await ledger.claim(session=s, recipient="U1", kind="nudge", period="2027-01-11", at=AT)
        await ledger.finish(session=s, ledger_id=row.id, status="skipped", at=AT, error="answered")
        row = await ledger.claim(session=s, recipient="U2", kind="nudge", period="2027-01-11", at=AT)
        await ledger.finish(session=s, ledger_id=row.id, status="sent", at=AT, channel="D1", ts="1.1")
    assert await errors(db) == {"U1": "answered", "U2": None}
