"""Issue 10 item 4: after downtime, a nudge older than the next prompt, or later than the prompts' lateness
limit, is skipped (recorded, and said so in the tick report) instead of going out a week late."""

from datetime import timedelta

from tests.scenario.seed import MONDAY_10_BERLIN, ledger_rows, seed


async def _nudge_row(bot):
    (row,) = [r for r in await ledger_rows(bot, "nudge") if r.recipient == "U0ALICE"]
    return row


async def test_a_nudge_older_than_the_next_prompt_is_skipped_and_reported(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (old,) = bot.dm("U0ALICE")
    report = await bot.tick(MONDAY_10_BERLIN + timedelta(days=7))  # down all week: the next prompt is due
    new = [m for m in bot.dm("U0ALICE") if m.thread_ts is None and m.ts != old.ts]
    assert len(new) == 1
    assert bot.fake.messages("U0ALICE", thread_ts=old.ts) == []  # no week-old nudge beside the new prompt
    assert any(line.startswith("skipped nudge for U0ALICE") and "newer prompt" in line for line in report.lines)
    row = await _nudge_row(bot)
    assert (row.status, row.error) == ("skipped", "a newer prompt was sent")


async def test_a_nudge_past_the_lateness_limit_is_skipped_and_reported(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    report = await bot.tick(MONDAY_10_BERLIN + timedelta(days=1, hours=7))  # due after 24 h, 7 h ago
    assert bot.fake.messages("U0ALICE", thread_ts=prompt.ts) == []
    assert any(line.startswith("skipped nudge for U0ALICE") and "7.0h late" in line for line in report.lines)
    assert (await _nudge_row(bot)).status == "skipped"
    await bot.tick(MONDAY_10_BERLIN + timedelta(days=1, hours=8))
    assert bot.fake.messages("U0ALICE", thread_ts=prompt.ts) == []
