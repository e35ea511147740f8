"""The app answers Slack's HTTP requests: health, signatures, help, unknown subcommands."""

import aiohttp


async def test_healthz_answers(bot):
    async with aiohttp.ClientSession() as s, s.get(f"{bot.app_url}/healthz") as r:
        assert r.status == 200
        assert (await r.json()) == {"ok": True}


async def test_bad_signature_is_refused_with_401(bot):
    resp = await bot.req.raw(b"command=%2Fokr&text=help", "application/x-www-form-urlencoded", signature="v0=bad")
    assert resp.status == 401
    assert bot.fake.calls_to("response_url") == []


async def test_help_lists_subcommands_ephemerally(bot):
    resp = await bot.req.command("/okr", text="help", user_id="U0ALICE")
    assert resp.status == 200
    (call,) = bot.fake.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    assert "okrbot help" in call.args["text"]
    bot.fake.assert_no_warnings()


async def test_one_log_line_per_event_with_a_correlation_id_and_no_user_text(bot, caplog):
    caplog.set_level("INFO", logger="bot.app")
    await bot.req.command("/okr", text="note <@U0BOB|bob> SECRET-NOTE-TEXT", user_id="U0ALICE")
    lines = [r for r in caplog.records if r.name == "bot.app"]
    assert [r.getMessage() for r in lines] == ["slack command /okr note"]
    assert "SECRET-NOTE-TEXT" not in caplog.text
