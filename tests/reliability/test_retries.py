"""Item 2: Slack redelivers an event up to 3 times (X-Slack-Retry-Num, same event_id); side effects happen once."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.models import CheckIn, InboxItem, ReviewNote
from tests.reliability.helpers import deliver_with_retries, dm_event
from tests.scenario import digest_seed
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed


async def test_thread_reply_delivered_four_times_records_one_checkin_and_one_confirmation(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    event = dm_event(bot.fake, "U0ALICE", "42 at risk, waiting on legal", thread_ts=prompt.ts)

    assert await deliver_with_retries(bot, event, "Ev0RETRY1") == [200, 200, 200, 200]

    async with bot.db.transaction() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
        events = (await s.exec(select(InboxItem))).all()
    assert (ci.value, ci.confidence, ci.comment) == (42, "at_risk", "waiting on legal")
    assert [(e.key, e.state) for e in events] == [("event:Ev0RETRY1", "done")]
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert "42%" in confirmation.text
    bot.fake.assert_no_warnings()


async def test_review_thread_reply_delivered_four_times_saves_one_note(bot):
    await digest_seed.seed(bot)
    await bot.tick(datetime(2027, 1, 8, 15, 0, tzinfo=UTC))  # Friday 16:00 Berlin: Maya's manager digest
    bob = next(m for m in bot.fake.messages("U0MANAGER") if "*Bob*" in digest_seed.texts(m))
    event = dm_event(bot.fake, "U0MANAGER", "steady week", thread_ts=bob.ts, channel=bob.channel)

    assert await deliver_with_retries(bot, event, "Ev0RETRY2") == [200, 200, 200, 200]

    async with bot.db.transaction() as s:
        (note,) = (await s.exec(select(ReviewNote))).all()
    assert (note.author_id, note.subject_id, note.body) == ("U0MANAGER", "U0BOB", "steady week")
    (confirmation,) = bot.fake.messages(bob.channel, thread_ts=bob.ts)
    assert "private review note about Bob" in confirmation.text
    assert bot.fake.messages("U0BOB") == []  # a private note tells Bob nothing


async def test_retry_arriving_first_still_counts_once(bot):
    """Slack may deliver a retry before we finished the original (it timed out); order must not matter."""
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    event = dm_event(bot.fake, "U0ALICE", "40", thread_ts=prompt.ts)
    statuses = await asyncio.gather(*(bot.req.event(event, event_id="Ev0RACE", retry_num=n or None) for n in range(4)))
    assert [r.status for r in statuses] == [200] * 4
    async with bot.db.transaction() as s:
        assert [c.value for c in (await s.exec(select(CheckIn))).all()] == [40]
    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 1
