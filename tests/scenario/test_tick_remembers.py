"""Issue 15 item 6: a tick remembers, per database, only facts no process can make untrue (today's directory
refresh or prune recorded 'sent'), so the usual tick skips their reads. A row another process holds
('claimed') is not such a fact: it may still fail, and then this process must take the work over.
"""

from datetime import timedelta

from storage import ledger
from tests.scenario.seed import MONDAY_10_BERLIN, seed

EARLY = MONDAY_10_BERLIN - timedelta(hours=6)  # nothing else is due yet


async def test_a_refresh_another_process_holds_is_not_taken_for_done_and_is_taken_over_when_it_fails(bot):
    await seed(bot)
    today = str(EARLY.date())
    async with bot.db.transaction() as s:  # another process claimed today's refresh and is calling users.list
        row = await ledger.claim(session=s, recipient="directory", kind="tz_refresh", period=today, at=EARLY)
    await bot.tick(EARLY)
    assert bot.fake.calls_to("users.list") == []
    async with bot.db.transaction() as s:  # ...and its call failed for good
        await ledger.finish(session=s, ledger_id=row.id, status="failed", at=EARLY, error="users.list failed")

    report = await bot.tick(EARLY + timedelta(minutes=1))
    assert any(line.startswith("refreshed timezones") for line in report.lines), report.lines
    for minutes in (2, 3):  # sent now: remembered, and never refreshed twice in a day
        assert (await bot.tick(EARLY + timedelta(minutes=minutes))).lines == []
    assert len(bot.fake.calls_to("users.list")) == 1
    # A new day is a new fact: refreshed again, once.
    await bot.tick(EARLY + timedelta(days=1))
    await bot.tick(EARLY + timedelta(days=1, minutes=1))
    assert len(bot.fake.calls_to("users.list")) == 2


async def test_a_refresh_seen_done_by_another_process_is_not_done_again(bot):
    await seed(bot)
    async with bot.db.transaction() as s:
        await ledger.claim(
            session=s, recipient="directory", kind="tz_refresh", period=str(EARLY.date()), at=EARLY, status="sent"
        )
    for minutes in (0, 1):
        await bot.tick(EARLY + timedelta(minutes=minutes))
    assert bot.fake.calls_to("users.list") == []
