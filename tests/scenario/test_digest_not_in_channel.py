"""Issue 11 item 17: a digest the bot cannot post (it is not in the channel) is not a silent failure: the
team's managers get one clear DM per period saying how to invite the bot."""

from datetime import UTC, datetime, timedelta

from tests.scenario.digest_seed import seed, texts

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # Growth's digest: Fridays 16:00 Berlin, to #growth


async def test_managers_are_told_once_per_period_to_invite_the_bot(bot):
    await seed(bot)
    bot.fake.bot_not_in.add("C0GROWTH")
    report = await bot.tick(FRIDAY_DUE)
    assert any("not_in_channel" in line for line in report.lines)
    assert bot.fake.messages("C0GROWTH") == []
    (notice,) = [m for m in bot.fake.messages("U0MANAGER") if "/invite" in texts(m)]
    assert "Growth digest" in texts(notice)
    for minutes in (1, 2, 30):  # later ticks retry the digest, but the managers are not told again
        await bot.tick(FRIDAY_DUE + timedelta(minutes=minutes))
    assert len([m for m in bot.fake.messages("U0MANAGER") if "/invite" in texts(m)]) == 1
    assert [m for m in bot.fake.messages("U0ALICE") if "/invite" in texts(m)] == []  # members are not managers
    bot.fake.bot_not_in.clear()
    await bot.tick(FRIDAY_DUE + timedelta(days=7))  # invited: next week's digest posts, no notice
    assert bot.fake.messages("C0GROWTH")
    assert len([m for m in bot.fake.messages("U0MANAGER") if "/invite" in texts(m)]) == 1
