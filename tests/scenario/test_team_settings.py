"""/okr settings: managers change their team's schedule in a modal; everyone else is refused."""

from storage import audit, teams
from tests.scenario.view_seed import seed


def sel(value):
    return {"type": "static_select", "selected_option": {"value": value}}


def settings_values(tz="America/New_York", nudge="12"):
    return {
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C0GROWTH"}},
        "timezone": {"timezone": sel(tz)},
        "checkin_day": {"checkin_day": sel("1")},
        "checkin_time": {"checkin_time": {"type": "timepicker", "selected_time": "09:30"}},
        "cadence": {"cadence": sel("biweekly")},
        "digest_day": {"digest_day": sel("4")},
        "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "16:00"}},
        "nudge_hours": {"nudge_hours": nudge},
        "mention": {"mention": sel("yes")},
        "late_limit": {"late_limit": "6"},
    }


async def test_manager_changes_settings_with_audit(bot):
    s = await seed(bot)
    await bot.req.command("/okr", "settings", user_id="U0MANAGER")
    opened = bot.fake.calls_to("views.open")[-1]
    assert opened.ok and opened.args["view"]["callback_id"] == "okr.settings.modal"
    resp = await bot.req.view_submission("U0MANAGER", "okr.settings.modal", settings_values())
    assert resp.status == 200 and not resp.body
    async with bot.db.transaction() as sess:
        team = await teams.get_team(session=sess, team_id=s.growth_id)
        assert (team.channel, team.timezone, team.checkin_day, team.checkin_time) == (
            "C0GROWTH",
            "America/New_York",
            1,
            "09:30",
        )
        assert (team.cadence, team.nudge_hours, team.mention_missing) == ("biweekly", 12, True)
        trail = {
            (e.field, e.old, e.new) for e in await audit.entries_for(session=sess, entity="team", entity_id=team.id)
        }
    assert ("timezone", "Europe/Berlin", "America/New_York") in trail
    bot.fake.assert_no_warnings()


async def test_bad_settings_come_back_as_field_errors(bot):
    await seed(bot)
    await bot.req.command("/okr", "settings growth", user_id="U0MANAGER")
    resp = await bot.req.view_submission("U0MANAGER", "okr.settings.modal", settings_values("Mars/Base", "often"))
    assert resp.body["response_action"] == "errors"
    assert set(resp.body["errors"]) == {"timezone", "nudge_hours"}


async def test_member_and_other_manager_are_refused(bot):
    await seed(bot)
    await bot.req.command("/okr", "settings", user_id="U0MEMBER")
    assert "managers" in bot.fake.calls_to("response_url")[-1].args["text"]
    await bot.req.command("/okr", "settings growth", user_id="U0OTHERMGR")
    assert "managers" in bot.fake.calls_to("response_url")[-1].args["text"]
    assert bot.fake.calls_to("views.open") == []
