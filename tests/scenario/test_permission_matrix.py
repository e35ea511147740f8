"""Who may do what, role x action, through signed Slack requests (see docs/commands.md for the table)."""

import json

import pytest

from storage import okrs
from tests.scenario.test_team_settings import settings_values
from tests.scenario.view_seed import seed, text_of

ROLES = {
    "admin": "U0ADMIN",
    "manager": "U0MANAGER",
    "other_manager": "U0OTHERMGR",
    "kr_owner": "U0OWNER",
    "member": "U0MEMBER",
}
ACTIONS = ["view", "create_objective", "create_kr", "edit_target", "edit_title", "archive", "settings"]
ALLOWED = {
    "admin": set(ACTIONS),
    "manager": set(ACTIONS),
    "other_manager": {"view"},
    "kr_owner": {"view", "edit_title"},
    "member": {"view"},
}


def sel(value):
    return {"type": "static_select", "selected_option": {"value": str(value)}}


async def attempt(bot, s, user: str, action: str) -> bool:
    """Try the action as `user`; True if Slack would show success (no refusal, no field errors)."""
    kr = s.kr_ids[0]
    edit_meta = json.dumps({"kr_id": kr})
    if action == "view":
        await bot.req.command("/okr", "team Growth", user_id=user)
        return "Signups per week" in text_of(bot.fake.calls_to("response_url")[-1].args.get("blocks") or [])
    if action == "create_objective":
        values = {"team": {"team": sel(s.growth_id)}, "title": {"title": "New goal"}}
        resp = await bot.req.view_submission(user, "okr.edit.new_objective", values)
    elif action == "create_kr":
        values = {
            "objective": {"objective": sel(s.objective_id)},
            "title": {"title": "New KR"},
            "kind": {"kind": sel("increase")},
            "start": {"start": "0"},
            "target": {"target": "10"},
            "owner": {"owner": {"type": "users_select", "selected_user": "U0OWNER"}},
        }
        resp = await bot.req.view_submission(user, "okr.edit.new_kr", values)
    elif action == "edit_target":
        values = {"title": {"title": "Signups per week"}, "target": {"target": "150"}}
        resp = await bot.req.view_submission(user, "okr.edit.kr_modal", values, private_metadata=edit_meta)
    elif action == "edit_title":
        resp = await bot.req.view_submission(
            user, "okr.edit.kr_modal", {"title": {"title": "Renamed"}}, private_metadata=edit_meta
        )
    elif action == "archive":
        values = {
            "title": {"title": "Signups per week"},
            "archive": {"archive": {"type": "checkboxes", "selected_options": [{"value": "archive"}]}},
        }
        resp = await bot.req.view_submission(user, "okr.edit.kr_modal", values, private_metadata=edit_meta)
    else:
        meta = json.dumps({"team_id": s.growth_id})
        resp = await bot.req.view_submission(user, "okr.settings.modal", settings_values(), private_metadata=meta)
    assert resp.status == 200
    if resp.body:
        assert resp.body["response_action"] == "errors"
        assert any(w in json.dumps(resp.body["errors"]) for w in ("managers", "owner")), resp.body
    return not resp.body


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS)
async def test_permission_matrix(bot, role, action):
    s = await seed(bot)
    allowed = await attempt(bot, s, ROLES[role], action)
    assert allowed == (action in ALLOWED[role]), f"{role} {action}"
    if action == "edit_target":
        async with bot.db.transaction() as sess:
            kr = await okrs.get_key_result(session=sess, kr_id=s.kr_ids[0])
        assert kr.target_value == (150 if allowed else 100)
