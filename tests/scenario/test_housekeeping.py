"""The daily housekeeping tick step forgets finished inbox rows after a day, kept replies after 30 days and the
rows of "how to check in" answers after two, once per UTC day however many ticks (or processes) run; the audit
log is kept."""

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from storage.models import AuditEntry, InboxItem, PendingReply, SendLedger
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

REPLIED = MONDAY_10_BERLIN + timedelta(hours=1)  # Mon 2027-01-11 10:00 UTC


async def count(bot, model) -> int:
    async with bot.db.read() as s:
        return (await s.exec(select(func.count()).select_from(model))).one()


async def prune_lines(bot, when: datetime) -> list[str]:
    return [line for line in (await bot.tick(when)).lines if line.startswith("housekeeping")]


async def test_prune_runs_once_a_day_and_keeps_what_is_recent(bot):
    await seed(bot)
    assert await prune_lines(bot, MONDAY_10_BERLIN) == [
        "housekeeping: pruned 0 finished inbox items, 0 kept replies and 0 help answers"
    ]  # the first tick of the day prunes (nothing yet); Alice gets her prompt
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(REPLIED)
    await bot.req.message_im("U0ALICE", "talked to the team about it", thread_ts=prompt.ts)  # kept for later
    assert (await count(bot, InboxItem), await count(bot, PendingReply)) == (1, 1)
    audit = await count(bot, AuditEntry)

    # Later the same day: the day's prune has run, so nothing is pruned (by this or any other process).
    assert await prune_lines(bot, datetime(2027, 1, 11, 23, 59, tzinfo=UTC)) == []
    # Next day, 23 hours after the reply was processed: the prune runs and keeps it.
    assert await prune_lines(bot, datetime(2027, 1, 12, 9, 0, tzinfo=UTC)) == [
        "housekeeping: pruned 0 finished inbox items, 0 kept replies and 0 help answers"
    ]
    assert await count(bot, InboxItem) == 1
    # The day after: the finished inbox row is past a day old and goes; the kept reply stays for 30 days.
    assert await prune_lines(bot, datetime(2027, 1, 13, 0, 0, tzinfo=UTC)) == [
        "housekeeping: pruned 1 finished inbox items, 0 kept replies and 0 help answers"
    ]
    assert (await count(bot, InboxItem), await count(bot, PendingReply)) == (0, 1)
    assert await prune_lines(bot, datetime(2027, 2, 11, 9, 0, tzinfo=UTC)) == [
        "housekeeping: pruned 0 finished inbox items, 1 kept replies and 0 help answers"
    ]
    assert await count(bot, PendingReply) == 0
    assert await count(bot, AuditEntry) == audit  # the audit log is never pruned
    async with bot.db.read() as s:
        rows = (await s.exec(select(SendLedger).where(SendLedger.recipient == "housekeeping"))).all()
    assert sorted((r.kind, r.period, r.status) for r in rows) == [
        ("prune", day, "sent") for day in ("2027-01-11", "2027-01-12", "2027-01-13", "2027-02-11")
    ]


async def help_rows(bot) -> list[str]:
    async with bot.db.read() as s:
        return sorted((await s.exec(select(SendLedger.period).where(SendLedger.kind == "dm_help"))).all())


async def test_help_answer_rows_go_after_two_days_and_still_limit_answers_meanwhile(bot):
    await seed(bot)
    await prune_lines(bot, MONDAY_10_BERLIN)  # Monday's prune (nothing yet); Alice gets her prompt
    bot.svc.clock = at(REPLIED)
    await bot.req.message_im("U0ALICE", "hello?")  # top-level chatter, twice in one hour: one answer
    await bot.req.message_im("U0ALICE", "anyone there?")
    assert await help_rows(bot) == ["2027-01-11T10"]
    assert len(bot.dm("U0ALICE")) == 2  # the prompt and one "how to check in" answer: the row limits answers

    # Wednesday 09:00 UTC is 47 hours later: the row stays.
    assert await prune_lines(bot, datetime(2027, 1, 13, 9, 0, tzinfo=UTC)) == [
        "housekeeping: pruned 2 finished inbox items, 0 kept replies and 0 help answers"
    ]  # the two messages' inbox rows, past a day old
    assert await help_rows(bot) == ["2027-01-11T10"]
    # Thursday: it is past two days old and goes; the other send ledger rows (the prompt, the prunes) stay.
    assert await prune_lines(bot, datetime(2027, 1, 14, 9, 0, tzinfo=UTC)) == [
        "housekeeping: pruned 0 finished inbox items, 0 kept replies and 1 help answers"
    ]
    assert await help_rows(bot) == []
    async with bot.db.read() as s:
        kinds = set((await s.exec(select(SendLedger.kind))).all())
    assert "dm_help" not in kinds and {"prompt", "prune"} <= kinds
