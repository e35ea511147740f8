"""Issue 9 item 11 (Slack side): NaN and the infinities are refused wherever a person types a number.

Every number typed in Slack goes through bot/okr/numbers.py (`parse_number` / `number_from_match`). The
check-in modal (from a prompt or `/okr checkin`, one callback) and plain-words thread replies were already
guarded and are covered row by row in tests/reliability/test_bad_input.py (reply-nan, modal-inf, ...).
These stories cover the rest, with signed requests into the running bot, checking that nothing is stored.
"""

from datetime import UTC, datetime

import pytest

from bot.slack.ids import DigestId
from storage import okrs
from storage.models import KeyResult
from tests.scenario import view_seed
from tests.scenario.digest_seed import kr_id, texts
from tests.scenario.digest_seed import seed as digest_seed


@pytest.mark.parametrize("field", ["start", "target", "weight"])
async def test_kr_create_modal_says_which_field_is_not_finite(bot, field):
    s = await view_seed.seed(bot)
    await bot.req.command("/okr", "new kr", user_id="U0MANAGER")
    assert bot.fake.calls_to("views.open")[-1].ok
    values = {
        "objective": {"objective": {"type": "static_select", "selected_option": {"value": str(s.objective_id)}}},
        "title": {"title": "Weekly active users"},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "increase"}}},
        "start": {"start": "0"},
        "target": {"target": "500"},
        "owner": {"owner": {"type": "users_select", "selected_user": "U0OWNER"}},
        "weight": {"weight": "1"},
    }
    values[field] = {field: "inf"}
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", values)
    assert resp.body["response_action"] == "errors" and set(resp.body["errors"]) == {field}
    assert "not a finite number" in resp.body["errors"][field]
    async with bot.db.transaction() as sess:
        assert len(await okrs.key_results_owned_by(session=sess, person_id="U0OWNER", cycle_id=s.cycle_id)) == 2


async def test_kr_edit_modal_refuses_a_target_that_overflows(bot):
    s = await view_seed.seed(bot)
    await bot.req.block_action("U0MANAGER", "okr.edit.kr", str(s.kr_ids[0]), channel_id="C0GENERAL")
    assert bot.fake.calls_to("views.open")[-1].ok
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.kr_modal", {"target": {"target": "1e309"}})
    assert resp.body["response_action"] == "errors" and "too large" in resp.body["errors"]["target"]
    async with bot.db.transaction() as sess:
        assert (await okrs.get_key_result(session=sess, kr_id=s.kr_ids[0])).target_value == 100


@pytest.mark.parametrize("picked", ["lots", "0.5.5"])  # NaN and inf were already out of range
async def test_score_pick_with_a_tampered_value_is_refused(bot, picked):
    await digest_seed(bot)
    await bot.tick(datetime(2027, 3, 29, 9, 0, tzinfo=UTC))  # the final week: score prompts go out
    (prompt,) = [m for m in bot.fake.messages("U0ALICE") if "Time to score" in texts(m)]
    activation = await kr_id(bot, "Activation")
    option = {"value": f"{activation}:{picked}"}
    assert (
        await bot.req.block_action("U0ALICE", DigestId.SCORE_PICK, message=prompt, selected_option=option)
    ).status == 200
    assert "A score is between 0.0 and 1.0." in bot.fake.calls_to("response_url")[-1].args["text"]
    async with bot.db.transaction() as s:
        assert (await s.get(KeyResult, activation)).score is None
