"""A late thread reply flows everywhere: the posted digest is edited in place and the Home tab refreshed."""

from datetime import UTC, datetime, timedelta

from tests.scenario.digest_seed import texts
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, opens_home, seed

FRIDAY_16_BERLIN = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)


async def test_a_thread_reply_after_the_digest_updates_it_and_the_home_tab(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    await bot.tick(FRIDAY_16_BERLIN)
    (digest,) = bot.fake.messages("C0GROWTH")
    assert "Alice" in texts(digest).rsplit("Not checked in yet", 1)[1]

    bot.svc.clock = at(FRIDAY_16_BERLIN + timedelta(hours=1))  # 17:00 Berlin, after the digest
    await opens_home(bot, "U0ALICE")  # she uses Home, so her check-ins refresh it
    resp = await bot.req.message_im("U0ALICE", "42 at risk, waiting on legal", thread_ts=prompt.ts)
    assert resp.status == 200

    (update,) = bot.fake.calls_to("chat.update")
    assert update.args["ts"] == digest.ts
    edited = texts(bot.fake.message(digest.channel, digest.ts))
    assert "updated 17:00" in edited
    assert "42% / 45%" in edited and "waiting on legal" in edited
    assert "Alice" not in edited.rsplit("Not checked in yet", 1)[1]
    home = bot.fake.home_view("U0ALICE")
    assert home is not None and "42%" in str(home)
    bot.fake.assert_no_warnings()
