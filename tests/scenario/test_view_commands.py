"""/okr mine, team, @person, at-risk, help and typos, answered ephemerally within Block Kit limits."""

import json

from tests.scenario.view_seed import add_krs, check_in, seed, text_of


def last_reply(bot):
    call = bot.fake.calls_to("response_url")[-1]
    assert call.ok, call.response
    return call.args


async def test_mine_shows_progress_value_pacing_and_update_buttons(bot):
    s = await seed(bot)
    await check_in(bot, s.kr_ids[0], 40, "on_track")
    await bot.req.command("/okr", "mine", user_id="U0OWNER")
    reply = last_reply(bot)
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply["blocks"])
    assert "Signups per week" in text and "Churn rate" in text
    assert "40 / 100" in text and "on track" in text and "last check-in" in text
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    updates = [e for e in buttons if e["action_id"] == "okr.checkin.update"]
    assert sorted(json.loads(e["value"])["kr"] for e in updates) == sorted(s.kr_ids)
    bot.fake.assert_no_warnings()


async def test_mine_without_krs_says_so(bot):
    await seed(bot)
    await bot.req.command("/okr", "mine", user_id="U0MEMBER")
    assert "You own no key results" in text_of(last_reply(bot)["blocks"])


async def test_team_defaults_to_my_team(bot):
    await seed(bot)
    await bot.req.command("/okr", "team", user_id="U0OWNER")
    text = text_of(last_reply(bot)["blocks"])
    assert "Team Growth" in text and "Grow revenue" in text and "Signups per week" in text


async def test_team_by_name_is_case_insensitive(bot):
    await seed(bot)
    await bot.req.command("/okr", "team platform", user_id="U0OWNER")
    text = text_of(last_reply(bot)["blocks"])
    assert "Team Platform" in text and "Ship faster" in text and "Grow revenue" not in text


async def test_unknown_team_lists_team_names(bot):
    await seed(bot)
    await bot.req.command("/okr", "team Sales", user_id="U0OWNER")
    text = last_reply(bot)["text"]
    assert "Sales" in text and "Growth" in text and "Platform" in text


async def test_team_picker_when_in_several_teams_then_pick_replaces(bot):
    s = await seed(bot)
    async with bot.db.transaction() as sess:
        from storage import teams

        await teams.set_members(session=sess, team_id=s.platform_id, managers=["U0OTHERMGR"], members=["U0OWNER"])
    await bot.req.command("/okr", "team", user_id="U0OWNER")
    picker = last_reply(bot)
    select = picker["blocks"][0]["accessory"]
    assert select["type"] == "static_select"
    assert {o["text"]["text"] for o in select["options"]} == {"Growth", "Platform"}
    msg = bot.fake.ephemeral_messages("U0OWNER")[-1]
    option = next(o for o in select["options"] if o["text"]["text"] == "Platform")
    await bot.req.block_action("U0OWNER", "okr.views.pick_team", message=msg, selected_option=option)
    call = last_reply(bot)
    assert call["replace_original"] is True
    assert "Ship faster" in text_of(msg.blocks)
    bot.fake.assert_no_warnings()


async def test_person_mention_shows_their_krs(bot):
    await seed(bot)
    await bot.req.command("/okr", "<@U0OWNER|olive>", user_id="U0MEMBER")
    text = text_of(last_reply(bot)["blocks"])
    assert "Olive's key results" in text and "Churn rate" in text


async def test_at_risk_lists_off_pace_and_flagged_krs_only(bot):
    s = await seed(bot, kr_titles=("On pace", "Flagged", "Behind"))
    await check_in(bot, s.kr_ids[0], 50, "on_track")
    await check_in(bot, s.kr_ids[1], 50, "off_track")
    await check_in(bot, s.kr_ids[2], 5, "on_track")
    await bot.req.command("/okr", "at-risk", user_id="U0MEMBER")
    text = text_of(last_reply(bot)["blocks"])
    assert "Flagged" in text and "Behind" in text and "On pace" not in text
    await bot.req.command("/okr", "at-risk platform", user_id="U0MEMBER")
    assert "Nothing is off pace" in text_of(last_reply(bot)["blocks"])


async def test_help_lists_every_subcommand(bot):
    await bot.req.command("/okr", "", user_id="U0ALICE")
    text = text_of(last_reply(bot)["blocks"])
    for usage in ("/okr mine", "/okr team [name]", "/okr @person", "/okr at-risk [team]", "/okr help"):
        assert usage in text


async def test_typo_gets_did_you_mean(bot):
    await bot.req.command("/okr", "tema", user_id="U0ALICE")
    assert "Did you mean `/okr team`?" in last_reply(bot)["text"]
    await bot.req.command("/okr", "mnie", user_id="U0ALICE")
    assert "Did you mean `/okr mine`?" in last_reply(bot)["text"]


async def test_team_of_60_krs_pages_within_50_blocks(bot):
    s = await seed(bot)
    await add_krs(bot, objective_id=s.objective_id, count=58)
    await bot.req.command("/okr", "team Growth", user_id="U0MEMBER")
    first = last_reply(bot)
    assert len(first["blocks"]) <= 50
    more = next(b for b in first["blocks"] if b.get("block_id") == "more")["elements"][0]
    seen = text_of(first["blocks"]).count("last check-in")
    assert seen == 10
    msg = bot.fake.ephemeral_messages("U0MEMBER")[-1]
    while more is not None:
        await bot.req.block_action("U0MEMBER", "okr.views.more", more["value"], message=msg)
        assert len(msg.blocks) <= 50
        seen += text_of(msg.blocks).count("last check-in")
        nxt = [b for b in msg.blocks if b.get("block_id") == "more"]
        more = nxt[0]["elements"][0] if nxt else None
    assert seen == 60
    bot.fake.assert_no_warnings()


async def test_user_text_is_escaped(bot):
    evil = "<!channel> <https://evil.example|bank>"
    await seed(bot, kr_titles=(evil,))
    for text in ("mine", "team Growth"):
        await bot.req.command("/okr", text, user_id="U0OWNER")
        rendered = text_of(last_reply(bot)["blocks"])
        assert "<!channel>" not in rendered and "<https://evil" not in rendered
        assert "&lt;!channel&gt; &lt;https://evil.example|bank&gt;" in rendered
