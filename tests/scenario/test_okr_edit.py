"""Creating and editing objectives and KRs from Slack modals, with field errors and the audit trail."""

import json

from storage import audit, okrs
from tests.scenario.view_seed import seed, text_of


def sel(value):
    return {"type": "static_select", "selected_option": {"value": str(value)}}


def user(uid):
    return {"type": "users_select", "selected_user": uid}


def kr_values(objective_id, title="Weekly active users", *, kind="increase", start="0", target="500", weight="1"):
    return {
        "objective": {"objective": sel(objective_id)},
        "title": {"title": title},
        "kind": {"kind": sel(kind)},
        "start": {"start": start},
        "target": {"target": target},
        "unit": {"unit": ""},
        "owner": {"owner": user("U0OWNER")},
        "co_owners": {"co_owners": {"type": "multi_users_select", "selected_users": ["U0MEMBER"]}},
        "teams": {"teams": {"type": "multi_static_select", "selected_options": []}},
        "weight": {"weight": weight},
        "due": {"due": {"type": "datepicker", "selected_date": "2027-03-31"}},
    }


async def open_command(bot, text, user_id):
    await bot.req.command("/okr", text, user_id=user_id)
    return bot.fake.calls_to("views.open")[-1]


async def test_manager_creates_objective_and_two_krs_seen_everywhere(bot):
    s = await seed(bot, kr_titles=())
    call = await open_command(bot, "new objective", "U0MANAGER")
    assert call.ok and call.args["view"]["callback_id"] == "okr.edit.new_objective"
    team_block = next(b for b in call.args["view"]["blocks"] if b["block_id"] == "team")
    assert [o["text"]["text"] for o in team_block["element"]["options"]] == ["Growth"]  # only teams they manage
    resp = await bot.req.view_submission(
        "U0MANAGER",
        "okr.edit.new_objective",
        {
            "team": {"team": sel(s.growth_id)},
            "title": {"title": "Delight customers"},
            "description": {"description": "NPS and retention"},
            "owner": {"owner": user("U0MANAGER")},
            "parent": {"parent": sel(s.objective_id)},
        },
    )
    assert resp.status == 200 and not resp.body
    async with bot.db.transaction() as sess:
        obj = await okrs.find_objective(
            session=sess, cycle_id=s.cycle_id, team_id=s.growth_id, title="Delight customers"
        )
        assert obj.parent_id == s.objective_id
    for title in ("NPS above 40", "Renewal rate"):
        await open_command(bot, "new kr", "U0MANAGER")
        resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", kr_values(obj.id, title))
        assert resp.status == 200 and not resp.body
    await bot.req.command("/okr", "team", user_id="U0MANAGER")
    team_text = text_of(bot.fake.calls_to("response_url")[-1].args["blocks"])
    assert "Delight customers" in team_text and "NPS above 40" in team_text and "Renewal rate" in team_text
    await bot.req.command("/okr", "mine", user_id="U0OWNER")
    assert "Renewal rate" in text_of(bot.fake.calls_to("response_url")[-1].args["blocks"])
    await bot.req.event({"type": "app_home_opened", "user": "U0OWNER", "channel": "D0OWNER", "tab": "home"})
    assert "NPS above 40" in text_of(bot.fake.home_view("U0OWNER")["blocks"])
    bot.fake.assert_no_warnings()


async def test_kr_validation_errors_come_back_in_place(bot):
    s = await seed(bot)
    await open_command(bot, "new kr", "U0MANAGER")
    bad = kr_values(s.objective_id, "", target="lots", weight="0")
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", bad)
    assert resp.body["response_action"] == "errors"
    assert set(resp.body["errors"]) == {"title", "target", "weight"}
    same = kr_values(s.objective_id, "x" * 151, target="0")
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", same)
    assert set(resp.body["errors"]) == {"title", "target"}
    assert "differ" in resp.body["errors"]["target"]


async def test_member_cannot_open_new_objective(bot):
    await seed(bot)
    await bot.req.command("/okr", "new objective", user_id="U0MEMBER")
    assert bot.fake.calls_to("views.open") == []
    assert "managers" in bot.fake.calls_to("response_url")[-1].args["text"]


async def edit_kr(bot, user_id, kr_id, values):
    await bot.req.block_action(user_id, "okr.edit.kr", str(kr_id), channel_id="C0GENERAL")
    opened = bot.fake.calls_to("views.open")[-1]
    assert opened.ok
    return await bot.req.view_submission(user_id, "okr.edit.kr_modal", values)


async def test_manager_edits_title_target_owner_and_archives_with_audit(bot):
    s = await seed(bot)
    kr_id = s.kr_ids[0]
    values = {
        "title": {"title": "Signups per day"},
        "target": {"target": "250"},
        "owner": {"owner": user("U0MEMBER")},
        "weight": {"weight": "2"},
        "archive": {"archive": {"type": "checkboxes", "selected_options": [{"value": "archive"}]}},
    }
    resp = await edit_kr(bot, "U0MANAGER", kr_id, values)
    assert resp.status == 200 and not resp.body
    async with bot.db.transaction() as sess:
        kr = await okrs.get_key_result(session=sess, kr_id=kr_id)
        assert (kr.title, kr.target_value, kr.owner_id, kr.weight, kr.archived) == (
            "Signups per day",
            250,
            "U0MEMBER",
            2,
            True,
        )
        entries = await audit.entries_for(session=sess, entity="key_result", entity_id=kr_id)
    trail = {(e.field, e.old, e.new) for e in entries}
    assert ("title", "Signups per week", "Signups per day") in trail
    assert ("target_value", "100.0", "250.0") in trail
    assert ("owner_id", "U0OWNER", "U0MEMBER") in trail and ("archived", "False", "True") in trail
    assert {e.actor_id for e in entries} == {"U0MANAGER"}


async def test_owner_may_rename_but_not_retarget(bot):
    s = await seed(bot)
    kr_id = s.kr_ids[0]
    resp = await edit_kr(bot, "U0OWNER", kr_id, {"title": {"title": "Signups / week"}})
    opened = bot.fake.calls_to("views.open")[-1].args["view"]
    assert [b["block_id"] for b in opened["blocks"] if b["type"] == "input"] == ["title"]
    assert not resp.body
    resp = await bot.req.view_submission(
        "U0OWNER", "okr.edit.kr_modal", {"title": {"title": "Signups / week"}, "target": {"target": "10"}}
    )
    assert resp.body["response_action"] == "errors"
    assert "title" in json.dumps(resp.body["errors"]) or "target" in resp.body["errors"]
    async with bot.db.transaction() as sess:
        kr = await okrs.get_key_result(session=sess, kr_id=kr_id)
        assert (kr.title, kr.target_value) == ("Signups / week", 100)


async def test_edit_objective_alignment_and_archive(bot):
    s = await seed(bot)
    await bot.req.block_action("U0OTHERMGR", "okr.edit.objective", str(s.platform_objective_id), channel_id="C0X")
    assert bot.fake.calls_to("views.open")[-1].ok
    values = {
        "title": {"title": "Ship faster"},
        "parent": {"parent": sel(s.objective_id)},
        "archive": {"archive": {"type": "checkboxes", "selected_options": []}},
    }
    resp = await bot.req.view_submission("U0OTHERMGR", "okr.edit.objective_modal", values)
    assert not resp.body
    async with bot.db.transaction() as sess:
        obj = await okrs.get_objective(session=sess, objective_id=s.platform_objective_id)
        assert obj.parent_id == s.objective_id
        (entry,) = await audit.entries_for(session=sess, entity="objective", entity_id=obj.id)
        assert (entry.field, entry.old, entry.new, entry.actor_id) == (
            "parent_id",
            None,
            str(s.objective_id),
            "U0OTHERMGR",
        )
