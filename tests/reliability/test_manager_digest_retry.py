"""Issue 10 item 4: a manager digest is claimed and retried per manager and per person section. When one
section's post fails, the sections already posted keep their review threads (a reply there becomes a note)
and the next tick posts only what is missing into the same DM: nothing lost, nothing twice."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.models import ReviewNote, SendLedger
from tests.fakes.slack_api import HTML_503
from tests.reliability.helpers import dm_event
from tests.scenario import digest_seed

FRIDAY_16_BERLIN = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)


def _sections(fake, name: str):
    return [m for m in fake.messages("U0MANAGER") if f"*{name}*" in digest_seed.texts(m) and m.thread_ts is None]


async def _note_from_reply(bot, msg, text: str, event_id: str) -> None:
    event = dm_event(bot.fake, "U0MANAGER", text, thread_ts=msg.ts, channel=msg.channel)
    assert (await bot.req.event(event, event_id=event_id)).status == 200
    await bot.inbox.wait_idle()


async def test_a_failed_section_is_posted_by_the_next_tick_and_no_reply_is_dropped(bot):
    await digest_seed.seed(bot)
    manager_dm = bot.fake.dm_channel("U0MANAGER")
    # Team digest, manager digest, Alice's section go through; every attempt at the next post (Bob's) fails.
    bot.fake.hang_next("chat.postMessage", times=3, seconds=0)
    bot.fake.answer_next("chat.postMessage", 4, status=503, content_type="text/html", body=HTML_503)
    first = await bot.tick(FRIDAY_16_BERLIN)
    assert any(line.startswith("manager digest for U0MANAGER failed") for line in first.lines), first.lines
    (alice,) = _sections(bot.fake, "Alice")
    assert _sections(bot.fake, "Bob") == []
    await _note_from_reply(bot, alice, "alice steady", "Ev0MGR1")  # the orphaned thread is not orphaned

    second = await bot.tick(FRIDAY_16_BERLIN + timedelta(minutes=1))
    assert any("manager digest for U0MANAGER sent with 1 review threads" in line for line in second.lines)
    (bob,) = _sections(bot.fake, "Bob")
    assert _sections(bot.fake, "Alice") == [alice] and bob.channel == manager_dm
    await _note_from_reply(bot, bob, "bob steady", "Ev0MGR2")
    await bot.tick(FRIDAY_16_BERLIN + timedelta(minutes=2))  # nothing more is posted

    async with bot.db.transaction() as s:
        notes = sorted((n.subject_id, n.body) for n in (await s.exec(select(ReviewNote))).all())
        (row,) = (await s.exec(select(SendLedger).where(SendLedger.kind == "manager_digest"))).all()
    assert notes == [("U0ALICE", "alice steady"), ("U0BOB", "bob steady")]
    assert row.status == "sent"
    parents = [m for m in bot.fake.messages("U0MANAGER") if m.thread_ts is None and m.metadata]
    assert [p.metadata["event_payload"]["ledger_id"] for p in parents] == [row.id]  # one manager digest
