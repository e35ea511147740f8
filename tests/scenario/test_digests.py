"""Team digests: Growth's digest goes to #growth on Fridays at 16:00 Berlin time, once, showing the week."""

from datetime import UTC, datetime

from bot.services.digests.team import refresh_posted_digests
from tests.scenario.digest_seed import check_in, example, kr_id, seed, texts

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


async def test_digest_is_posted_once_at_the_teams_local_time(bot):
    await seed(bot)
    await bot.tick(datetime(2027, 1, 8, 14, 59, tzinfo=UTC))
    assert bot.fake.messages("C0GROWTH") == []
    await bot.tick(FRIDAY_DUE)
    await bot.tick(datetime(2027, 1, 8, 15, 1, tzinfo=UTC))
    await bot.tick(datetime(2027, 1, 8, 18, 0, tzinfo=UTC))
    (digest,) = bot.fake.messages("C0GROWTH")
    assert "Growth · 2027-Q1 · week 1 of 13" in texts(digest)
    bot.fake.assert_no_warnings()


async def test_digest_shows_checkins_and_late_checkins_update_it_in_place(bot):
    await seed(bot)
    activation = await kr_id(bot, "Activation")
    await check_in(bot, activation, 38, datetime(2027, 1, 5, 9, tzinfo=UTC), "at_risk", "signup flow shipped")
    await check_in(bot, await kr_id(bot, "Trial-to-paid"), 4.5, datetime(2027, 1, 5, 9, tzinfo=UTC))
    await bot.tick(FRIDAY_DUE)
    (digest,) = bot.fake.messages("C0GROWTH")
    text = texts(digest)
    assert "38% / 45%" in text and "at risk" in text and "▲ +8% since the start" in text  # the first digest
    assert "signup flow shipped" in text
    assert "*Not checked in yet:* Bob, Dave" in text
    assert "<@" not in text  # Growth does not mention people

    # Bob checks in late, at 18:00 Berlin: the posted digest is edited in place.
    late = datetime(2027, 1, 8, 17, 0, tzinfo=UTC)
    await check_in(bot, await kr_id(bot, "Ship the guided setup"), 1, late)
    bot.svc.clock = lambda: late
    await refresh_posted_digests(bot.svc, kr_id=await kr_id(bot, "Ship the guided setup"))
    (update,) = bot.fake.calls_to("chat.update")
    assert update.args["ts"] == digest.ts
    edited = texts(bot.fake.message(digest.channel, digest.ts))
    assert "updated 18:00" in edited
    assert "*Not checked in yet:* Dave" in edited and "Bob" not in edited.rsplit("Not checked in yet", 1)[1]
    bot.fake.assert_no_warnings()


async def test_next_digest_shows_change_since_the_previous_one(bot):
    await seed(bot)
    activation = await kr_id(bot, "Activation")
    await check_in(bot, activation, 38, datetime(2027, 1, 5, 9, tzinfo=UTC))
    await bot.tick(FRIDAY_DUE)
    await check_in(bot, activation, 35, datetime(2027, 1, 12, 9, tzinfo=UTC))
    await bot.tick(datetime(2027, 1, 15, 15, 0, tzinfo=UTC))
    first, second = bot.fake.messages("C0GROWTH")
    assert "▼ -3% since last digest" in texts(second)
    assert "week 2 of 13" in texts(second)


async def test_aligned_child_rolls_up_and_shared_krs_show_in_both_teams(bot):
    await seed(bot)
    await check_in(bot, await kr_id(bot, "Deploys per week"), 25, datetime(2027, 1, 5, 9, tzinfo=UTC))
    await bot.tick(datetime(2027, 1, 7, 20, 0, tzinfo=UTC))  # Platform: Thursday 15:00 New York
    await bot.tick(FRIDAY_DUE)
    (growth,) = bot.fake.messages("C0GROWTH")
    (platform,) = bot.fake.messages("C0PLATFORM")
    # Platform's objective (deploys 100%, billing 0% -> 50%, weight 2) is aligned under Growth's revenue
    # objective (trial conversion 0% weight 2, signup time 0% weight 1): (0*2 + 0*1 + 0.5*2) / 5 = 20%.
    revenue = next(b for b in growth.blocks if "Grow self-serve revenue" in texts([b]))
    assert "20%" in texts([revenue])
    assert "Median signup time" in texts(growth)
    assert "Median signup time" in texts(platform) and "shared from Growth" in texts(platform)
    bot.fake.assert_no_warnings()


async def test_a_team_with_60_krs_gets_a_condensed_digest_within_50_blocks(bot):
    data = example()
    data["objectives"] = [
        {
            "title": f"Objective {o}",
            "team": "Growth",
            "key_results": [
                {"title": f"KR {o * 10 + k} <!channel>", "owner": "U0ALICE", "start": 0, "target": 10}
                for k in range(10)
            ],
        }
        for o in range(6)
    ]
    await seed(bot, data)
    await bot.tick(FRIDAY_DUE)
    (digest,) = bot.fake.messages("C0GROWTH")
    assert len(digest.blocks) <= 50
    text = texts(digest)
    assert "KR 0 " in text and "KR 59 " in text
    assert "<!channel>" not in text
    bot.fake.assert_no_warnings()


async def test_digest_preview_is_ephemeral(bot):
    await seed(bot)
    bot.svc.clock = lambda: datetime(2027, 1, 6, 12, 0, tzinfo=UTC)
    await bot.req.command("/okr", text="digest growth", user_id="U0DAVE")
    (call,) = bot.fake.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert "Preview of this period's digest" in texts(call.args["blocks"])
    assert bot.fake.messages("C0GROWTH") == []
    bot.fake.assert_no_warnings()
