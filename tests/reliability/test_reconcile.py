"""Issue 10 item 3: a prompt whose send was cut off before it reached Slack (the row left 'claimed') is
looked up in the DM's history by a later tick and, not found there, sent: exactly one prompt, and a reply
in its thread is recorded. Unconfirmed rows younger than the claim grace are left alone (a live send)."""

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.services.kernel import reconcile
from storage.models import CheckIn, SendLedger
from tests.reliability.helpers import dm_event, wait_for
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed


async def _alice_row(bot) -> SendLedger | None:
    async with bot.db.transaction() as s:
        stmt = select(SendLedger).where(SendLedger.kind == "prompt", SendLedger.recipient == "U0ALICE")
        return (await s.exec(stmt)).first()


async def test_a_prompt_cut_off_before_slack_is_found_missing_and_sent_once(bot):
    await seed(bot)
    bot.fake.lose_next("chat.postMessage", seconds=5)
    tick = asyncio.create_task(bot.tick(MONDAY_10_BERLIN))
    await wait_for(lambda: bot.fake.held_calls == ["chat.postMessage"], timeout=10)
    assert await _claimed(bot)
    tick.cancel()  # the crash: the row says 'claimed', Slack has nothing
    await asyncio.gather(tick, return_exceptions=True)
    assert (await _alice_row(bot)).status == "claimed" and bot.dm("U0ALICE") == []

    soon = await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))  # within the grace: maybe a live send
    assert bot.fake.calls_to("conversations.history") == [] and bot.dm("U0ALICE") == []
    assert not any(line.startswith("reconcile:") for line in soon.lines)

    later = MONDAY_10_BERLIN + reconcile.CLAIM_GRACE + timedelta(minutes=1)
    report = await bot.tick(later)
    assert "reconcile: prompt for U0ALICE (2027-01-11) not in Slack: sent again" in report.lines, report.lines
    (prompt,) = bot.dm("U0ALICE")
    row = await _alice_row(bot)
    assert (row.status, row.ts, row.attempts) == ("sent", prompt.ts, 2)
    assert len(bot.fake.calls_to("conversations.history")) == 1

    bot.svc.clock = at(later + timedelta(minutes=5))
    await bot.req.event(dm_event(bot.fake, "U0ALICE", "40", thread_ts=prompt.ts), event_id="Ev0REC1")
    async with bot.db.transaction() as s:
        assert [c.value for c in (await s.exec(select(CheckIn))).all()] == [40]


async def _claimed(bot) -> bool:
    row = await _alice_row(bot)
    return row is not None and row.status == "claimed"
