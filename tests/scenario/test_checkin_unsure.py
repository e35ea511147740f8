"""Issue 11 item 3: a thread reply the bot is not sure it read right is not recorded: it answers with what it
understood, Confirm records exactly that, Edit opens the check-in form prefilled with it."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn, PendingReply
from tests.fakes.state import buttons
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

MODAL = "okr.checkin.modal"
UNSURE_REPLY = "1: 95, not on track"  # a negated confidence: the parser must not guess it


def last_said(bot) -> str:
    """The text of the bot's last answer to Alice: a message, or an ephemeral reply through response_url."""
    return bot.fake.calls_to("response_url")[-1].args["text"]


async def rows(bot, model) -> list:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(model).order_by(model.id))).all())


@pytest.fixture
async def asked(bot):
    """Alice answers her prompt in its thread with a reply the parser is unsure of; the bot's answer."""
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await bot.req.message_im("U0ALICE", UNSURE_REPLY, thread_ts=prompt.ts)
    (answer,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    return prompt, answer


async def test_an_unsure_reply_is_asked_not_recorded(bot, asked):
    prompt, answer = asked
    assert await rows(bot, CheckIn) == []
    assert "not sure" in answer.text.lower() or "not recorded" in answer.text.lower()
    body = " ".join(b["text"]["text"] for b in answer.blocks if b["type"] == "section")
    assert "95" in body and "confidence not stated" in body and "Not sure:" in body
    assert set(buttons(answer)) == {"okr.checkin.confirm_reply", "okr.checkin.edit_reply.1"}
    bot.fake.assert_no_warnings()


async def test_confirm_records_exactly_what_was_shown_once(bot, asked):
    prompt, answer = asked
    value = buttons(answer)["okr.checkin.confirm_reply"]
    resp = await bot.req.block_action("U0ALICE", "okr.checkin.confirm_reply", value, message=answer)
    assert resp.status == 200
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.source) == (95, "on_track", "thread")  # the last confidence, not a guess
    assert await rows(bot, PendingReply) == []
    confirmation = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)[-1]
    assert confirmation.text.startswith("Recorded") or "95" in confirmation.text
    # A second click (or Slack's retry) records nothing more and says why.
    await bot.req.block_action("U0ALICE", "okr.checkin.confirm_reply", value, message=answer)
    assert len(await rows(bot, CheckIn)) == 1
    assert "already recorded" in last_said(bot)


async def test_confirm_refuses_when_the_reading_changed(bot, asked):
    prompt, answer = asked
    value = json.loads(buttons(answer)["okr.checkin.confirm_reply"])
    value["c"] = "0" * 16  # as if the KRs changed since the reply was read
    await bot.req.block_action("U0ALICE", "okr.checkin.confirm_reply", json.dumps(value), message=answer)
    assert await rows(bot, CheckIn) == []
    assert "changed since" in last_said(bot)


async def test_someone_else_cannot_confirm(bot, asked):
    prompt, answer = asked
    value = buttons(answer)["okr.checkin.confirm_reply"]
    await bot.req.block_action("U0BOB", "okr.checkin.confirm_reply", value, message=answer)
    assert await rows(bot, CheckIn) == []
    assert len(await rows(bot, PendingReply)) == 1


async def test_edit_opens_the_form_prefilled_and_its_submission_records(bot, asked):
    prompt, answer = asked
    value = buttons(answer)["okr.checkin.edit_reply.1"]
    resp = await bot.req.block_action("U0ALICE", "okr.checkin.edit_reply.1", value, message=answer)
    assert resp.status == 200
    view = bot.fake.open_views[-1]
    value_block = next(b for b in view["blocks"] if b.get("block_id") == "value")
    assert value_block["element"]["initial_value"] == "95"
    resp = await bot.req.view_submission(
        "U0ALICE",
        MODAL,
        {
            "value": {"value": "95"},
            "confidence": {"confidence": {"type": "static_select", "selected_option": {"value": "off_track"}}},
        },
    )
    assert resp.status == 200
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.source) == (95, "off_track", "modal")
    bot.fake.assert_no_warnings()


async def test_a_sure_reply_is_still_recorded_at_once(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await bot.req.message_im("U0ALICE", "1: 42 at risk", thread_ts=prompt.ts)
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence) == (42, "at_risk")
