"""A thread reply finds its prompt by the message it replies to, (channel, ts), through that index.

With `kind = 'prompt'` in the WHERE, SQLite (no ANALYZE statistics) chose the (kind, period, ...) index and walked
every prompt row until it met the message: about 1 ms of a thread reply's write transaction at 2,000 prompts
(docs/performance.md). Each lookup's own statement is planned here with EXPLAIN QUERY PLAN.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from storage import checkins, ledger
from storage.models import SendLedger

AT = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")


async def sent_prompts(db, n: int) -> None:
    async with db.transaction() as s:
        for i in range(n):
            for kind in ("prompt", "nudge"):
                s.add(
                    SendLedger(
                        recipient=f"U{i}", kind=kind, period="2027-W02", status="sent", channel=f"D{i}",
                        ts=f"{i}.{1 if kind == 'prompt' else 2}", claimed_at=AT,
                    )
                )  # fmt: skip


def capture(db) -> list[tuple[str, tuple]]:
    """The statements on send_ledger (the write engine's are heard here too: storage.db joins its events)."""
    seen: list[tuple[str, tuple]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _keep(_conn, _cursor, statement, params, _context, _many):
        if "FROM send_ledger" in statement:
            seen.append((statement, params))

    return seen


async def plan(db, statement: str, params: tuple) -> str:
    async with db.read() as s:
        rows = (await (await s.connection()).exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)).all()
    return " | ".join(str(r[-1]) for r in rows)


async def test_the_thread_replys_prompt_is_found_through_the_channel_ts_index(db):
    await sent_prompts(db, 300)
    seen = capture(db)
    async with db.transaction() as s:
        row, replied = await checkins.prompt_of_reply(session=s, channel="D250", thread_ts="250.1", ts="9.9")
        assert (row.recipient, row.kind, replied) == ("U250", "prompt", False)
        nudge, _ = await checkins.prompt_of_reply(session=s, channel="D250", thread_ts="250.2", ts="9.9")
        assert nudge is None  # a reply under the nudge is not under a prompt
        found = await ledger.get_by_message(session=s, channel="D7", ts="7.2", kind="nudge")
        assert (found.recipient, found.kind) == ("U7", "nudge")
    looked_up = list(seen)  # before the EXPLAINs below, which the listener hears too
    assert len(looked_up) == 3
    for statement, params in looked_up:
        assert "ix_send_ledger_channel_ts" in await plan(db, statement, params), statement
