"""Alice gets her Monday prompt at 10:00 Berlin time and answers it in the thread."""

from datetime import timedelta

from sqlmodel import select

from storage.models import CheckIn, KeyResult, Person
from tests.scenario.seed import MONDAY_10_BERLIN, at, ledger_rows, seed


async def test_prompt_arrives_at_10_local_and_lists_the_krs(bot):
    await seed(bot)
    report = await bot.tick(MONDAY_10_BERLIN - timedelta(minutes=1))
    assert bot.dm("U0ALICE") == []
    report = await bot.tick(MONDAY_10_BERLIN)
    assert any("sent prompt for U0ALICE" in line for line in report.lines)
    (prompt,) = bot.dm("U0ALICE")
    assert "Activation rate from 30% to 45%" in prompt.text
    body = str(prompt.blocks)
    assert "1. Activation rate" in body and "expected" in body and "Update" in body and "No change" in body
    assert bot.dm("U0BOB") == []  # New York: 10:00 there is later
    async with bot.db.transaction() as s:
        alice = await s.get(Person, "U0ALICE")
        assert alice.dm_channel == prompt.channel
    bot.fake.assert_no_warnings()


async def test_thread_reply_records_and_confirms_in_the_thread(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await bot.req.message_im("U0ALICE", "42 at risk, waiting on legal", thread_ts=prompt.ts)
    async with bot.db.transaction() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
        kr = await s.get(KeyResult, ci.kr_id)
    assert (ci.value, ci.confidence, ci.comment, ci.source) == (42, "at_risk", "waiting on legal", "thread")
    assert (kr.current_value, kr.confidence) == (42, "at_risk")
    (reply,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert "42%" in reply.text and "at risk" in reply.text
    actions = [e["action_id"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]
    assert "okr.checkin.edit" in actions and "okr.checkin.undo" in actions
    bot.fake.assert_no_warnings()


async def test_repeating_the_tick_sends_nothing_more(bot):
    await seed(bot)
    for _ in range(3):
        await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=5))
    assert len(bot.dm("U0ALICE")) == 1
    rows = await ledger_rows(bot)
    assert [(r.period, r.status) for r in rows if r.recipient == "U0ALICE"] == [("2027-01-11", "sent")]
    # Bob's 10:00 in New York has not come yet; last week's occurrence is long past, so it is logged as skipped.
    assert [(r.period, r.status) for r in rows if r.recipient == "U0BOB"] == [("2027-01-04", "skipped")]
