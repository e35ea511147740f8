"""The ways to answer a prompt: Update (modal), No change, /okr checkin, Edit and Undo, and refusals."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn, KeyResult
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

MODAL = "okr.checkin.modal"


def select_value(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value}}


def button(message, action_id: str) -> str:
    return next(
        e["value"]
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


async def checkins(bot) -> list[CheckIn]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(CheckIn).order_by(CheckIn.id))).all())


async def kr(bot, title_part: str) -> KeyResult:
    async with bot.db.transaction() as s:
        return next(k for k in (await s.exec(select(KeyResult))).all() if title_part in k.title)


@pytest.fixture
async def prompted(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    (prompt,) = bot.dm("U0ALICE")
    return prompt


async def test_update_button_opens_prefilled_modal_and_submit_records(bot, prompted):
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.update", button(prompted, "okr.checkin.update"), message=prompted
    )
    view = bot.fake.open_views[-1]
    value_block = next(b for b in view["blocks"] if b.get("block_id") == "value")
    assert value_block["element"]["initial_value"] == "30"
    assert json.loads(view["private_metadata"])["ledger"]
    resp = await bot.req.view_submission(
        "U0ALICE",
        MODAL,
        {
            "value": {"value": "38.5"},
            "confidence": {"confidence": select_value("at_risk")},
            "comment": {"comment": "legal review"},
        },
    )
    assert resp.status == 200
    (ci,) = await checkins(bot)
    assert (ci.value, ci.confidence, ci.comment, ci.source) == (38.5, "at_risk", "legal review", "modal")
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompted.ts)
    assert "38.5%" in confirmation.text
    bot.fake.assert_no_warnings()


@pytest.mark.parametrize("typed", ["abc", "NaN", "1e309", ""])
async def test_invalid_values_come_back_as_field_errors(bot, prompted, typed):
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.update", button(prompted, "okr.checkin.update"), message=prompted
    )
    resp = await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": typed}, "confidence": {"confidence": select_value("on_track")}}
    )
    assert resp.status == 200
    assert resp.body["response_action"] == "errors"
    assert resp.body["errors"]["value"]
    assert await checkins(bot) == []


async def test_no_change_button_records_same_value(bot, prompted):
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.no_change", button(prompted, "okr.checkin.no_change"), message=prompted
    )
    (ci,) = await checkins(bot)
    assert (ci.value, ci.source) == (30, "button")
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompted.ts)
    assert "No change" in confirmation.text


async def test_edit_then_undo_the_latest_checkin(bot, prompted):
    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=prompted.ts)
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompted.ts)
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.edit", button(confirmation, "okr.checkin.edit"), message=confirmation
    )
    view = bot.fake.open_views[-1]
    assert next(b for b in view["blocks"] if b.get("block_id") == "value")["element"]["initial_value"] == "40"
    await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": "41"}, "confidence": {"confidence": select_value("at_risk")}}
    )
    (ci,) = await checkins(bot)
    assert (ci.value, ci.confidence) == (41, "at_risk") and ci.edited_at is not None
    assert (await kr(bot, "Activation")).current_value == 41
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.undo", button(confirmation, "okr.checkin.undo"), message=confirmation
    )
    (ci,) = await checkins(bot)
    assert ci.undone_at is not None
    restored = await kr(bot, "Activation")
    assert (restored.current_value, restored.confidence, restored.last_checkin_at) == (30, None, None)
    assert "Undone" in bot.fake.messages("U0ALICE", thread_ts=prompted.ts)[-1].text


async def test_edited_reply_updates_its_checkin(bot, prompted):
    reply_ts = bot.fake.new_ts()
    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=prompted.ts, ts=reply_ts)
    event = {
        "type": "message",
        "subtype": "message_changed",
        "channel": prompted.channel,
        "channel_type": "im",
        "message": {
            "type": "message",
            "user": "U0ALICE",
            "text": "44 at risk, legal again",
            "ts": reply_ts,
            "thread_ts": prompted.ts,
        },
        "ts": bot.fake.new_ts(),
    }
    await bot.req.event(event)
    (ci,) = await checkins(bot)
    assert (ci.value, ci.confidence, ci.comment) == (44, "at_risk", "legal again")
    assert (await kr(bot, "Activation")).current_value == 44


async def test_reply_comment_is_stored_as_typed_after_slack_escaping(bot, prompted):
    # Slack escapes & < > in message text; the DM adapter undoes it once (a typed "&lt;" stays literal).
    await bot.req.message_im("U0ALICE", "42, R&amp;D &lt;3 &gt; ops &amp;lt;", thread_ts=prompted.ts)
    (ci,) = await checkins(bot)
    assert (ci.value, ci.comment) == (42, "R&D <3 > ops &lt;")


async def test_unparseable_reply_explains_and_can_be_used_as_comment(bot, prompted):
    await bot.req.message_im("U0ALICE", "talked to the team about it", thread_ts=prompted.ts)
    assert await checkins(bot) == []
    (answer,) = bot.fake.messages("U0ALICE", thread_ts=prompted.ts)
    assert "talked to the team about it" in answer.text and "Reply like" in answer.text
    assert "30%, on track" in str(answer.blocks)  # example built from Alice's own KR
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.use_as_comment", button(answer, "okr.checkin.use_as_comment"), message=answer
    )
    (ci,) = await checkins(bot)
    assert (ci.value, ci.comment) == (30, "talked to the team about it")
    bot.fake.assert_no_warnings()


async def test_checkin_command_single_kr_opens_the_modal(bot):
    await seed(bot)
    await bot.req.command("/okr", "checkin", user_id="U0ALICE")
    view = bot.fake.open_views[-1]
    assert json.loads(view["private_metadata"])["kr"] == (await kr(bot, "Activation")).id
    await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": "33"}, "confidence": {"confidence": select_value("on_track")}}
    )
    (ci,) = await checkins(bot)
    assert (ci.value, ci.source) == (33, "command")


async def test_checkin_command_with_several_krs_shows_a_picker(bot):
    extra = [{"title": "Ship the guided setup", "owner": "U0ALICE", "kind": "binary"}]
    await seed(bot, okr_data(extra_krs=extra))
    await bot.req.command("/okr", "checkin 2", user_id="U0ALICE")
    view = bot.fake.open_views[-1]
    picker = next(b for b in view["blocks"] if b.get("block_id") == "kr")
    setup = await kr(bot, "guided setup")
    assert picker["element"]["initial_option"]["value"] == str(setup.id)
    await bot.req.view_submission(
        "U0ALICE",
        MODAL,
        {
            "kr": {"kr": select_value(str(setup.id))},
            "value": {"value": "done"},
            "confidence": {"confidence": select_value("on_track")},
        },
    )
    (ci,) = await checkins(bot)
    assert (ci.kr_id, ci.value) == (setup.id, 1.0)


async def test_someone_else_is_refused_on_button_and_command(bot, prompted):
    await bot.req.block_action(
        "U0EVE", "okr.checkin.no_change", button(prompted, "okr.checkin.no_change"), message=prompted
    )
    await bot.req.command("/okr", "checkin activation", user_id="U0EVE")
    assert await checkins(bot) == []
    refusals = [c.args["text"] for c in bot.fake.calls_to("response_url")]
    assert len([t for t in refusals if "Only this KR's owner" in t]) == 2


async def test_manager_may_check_in_for_the_team(bot, prompted):
    await bot.req.command("/okr", "checkin activation", user_id="U0MANAGER")
    await bot.req.view_submission(
        "U0MANAGER", MODAL, {"value": {"value": "35"}, "confidence": {"confidence": select_value("on_track")}}
    )
    (ci,) = await checkins(bot)
    assert (ci.author_id, ci.value) == ("U0MANAGER", 35)


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]"])
async def test_a_stale_or_tampered_modal_gets_a_field_error_not_a_crash(bot, prompted, metadata):
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.update", button(prompted, "okr.checkin.update"), message=prompted
    )
    resp = await bot.req.view_submission(
        "U0ALICE",
        MODAL,
        {"value": {"value": "42"}, "confidence": {"confidence": select_value("on_track")}},
        private_metadata=metadata,
    )
    assert resp.status == 200
    assert resp.body["response_action"] == "errors"
    assert "out of date" in resp.body["errors"]["value"]
    assert await checkins(bot) == []
