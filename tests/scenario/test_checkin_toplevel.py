"""Issue 11 item 2: a check-in typed at the top of the DM (not in the prompt's thread) is recorded for the
person's open prompt and confirmed in its thread; anything else gets a short "how to check in", at most once
an hour. And the unsure reply's Edit: submitting its form, then clicking Confirm, records nothing twice."""

from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn, PendingReply
from tests.fakes.state import buttons
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

MODAL = "okr.checkin.modal"
HOUR = timedelta(hours=1)
SECOND_KR = {"title": "Docs pages to 10", "owner": "U0ALICE", "start": 0, "target": 10}


def select_value(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value}}


def top_level(bot, user_id: str = "U0ALICE") -> list:
    """The bot's messages at the top of a person's DM (not in any thread), oldest first."""
    return [m for m in bot.dm(user_id) if m.thread_ts is None]


def last_said(bot) -> str:
    return bot.fake.calls_to("response_url")[-1].args["text"]


async def rows(bot, model) -> list:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(model).order_by(model.id))).all())


async def prompted(bot, data=None):
    await seed(bot, data)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + HOUR)
    return prompt


def edited(channel: str, ts: str, old: str, new: str, user: str = "U0ALICE") -> dict:
    """Slack's message_changed event for an edit of a top-level DM message."""
    message = {"type": "message", "user": user, "text": new, "ts": ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": channel,
        "channel_type": "im",
        "message": message,
        "previous_message": {**message, "text": old},
        "ts": ts + "1",
    }


@pytest.fixture
async def prompt(bot):
    return await prompted(bot)


async def test_a_top_level_check_in_is_recorded_and_confirmed_in_the_prompts_thread(bot, prompt):
    ts = bot.fake.new_ts()
    assert (await bot.req.message_im("U0ALICE", "42 at risk, waiting on legal", ts=ts)).status == 200
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.comment, ci.source) == (42, "at_risk", "waiting on legal", "thread")
    assert (ci.source_channel, ci.source_ts) == (prompt.channel, ts)  # tied to the message, so edits find it
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)  # the thread stays the record
    assert confirmation.text.startswith("Recorded") and "42%" in confirmation.text
    (pointer,) = top_level(bot)[1:]  # after the prompt: one short pointer where Alice typed
    assert "Recorded" in pointer.text and "thread of your check-in prompt" in pointer.text
    # The confirmation's buttons work like a thread reply's: Edit (and submit its form), then Undo.
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.edit", buttons(confirmation)["okr.checkin.edit"], message=confirmation
    )
    await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": "43"}, "confidence": {"confidence": select_value("on_track")}}
    )
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence) == (43, "on_track") and ci.edited_at is not None
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.undo", buttons(confirmation)["okr.checkin.undo"], message=confirmation
    )
    (ci,) = await rows(bot, CheckIn)
    assert ci.undone_at is not None
    bot.fake.assert_no_warnings()


async def test_a_slack_retry_of_the_top_level_message_records_once(bot, prompt):
    ts = bot.fake.new_ts()
    await bot.req.message_im("U0ALICE", "42", ts=ts, event_id="Ev0TOP1")
    await bot.req.message_im("U0ALICE", "42", ts=ts, event_id="Ev0TOP2")  # the inbox redoing the same message
    assert len(await rows(bot, CheckIn)) == 1
    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 1


async def test_editing_the_top_level_message_updates_its_check_in(bot, prompt):
    ts = bot.fake.new_ts()
    await bot.req.message_im("U0ALICE", "40 on track", ts=ts)
    await bot.req.event(edited(prompt.channel, ts, "40 on track", "44 at risk, legal again"))
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.comment) == (44, "at_risk", "legal again")
    assert "Updated" in bot.fake.messages("U0ALICE", thread_ts=prompt.ts)[-1].text
    assert "Updated" in top_level(bot)[-1].text


async def test_an_edit_that_changes_no_words_is_ignored(bot, prompt):
    """Slack sends message_changed when a link unfurls: the check-in is not amended again, nothing is said."""
    reply_ts = bot.fake.new_ts()
    await bot.req.message_im("U0ALICE", "40 see https://x.example", thread_ts=prompt.ts, ts=reply_ts)
    before = len(bot.dm("U0ALICE"))
    event = edited(prompt.channel, reply_ts, "40 see https://x.example", "40 see https://x.example")
    event["message"]["thread_ts"] = event["previous_message"]["thread_ts"] = prompt.ts
    await bot.req.event(event)
    assert len(bot.dm("U0ALICE")) == before
    (ci,) = await rows(bot, CheckIn)
    assert ci.edited_at is None


async def test_several_krs_at_the_top_level_use_the_prompts_numbers(bot):
    prompt = await prompted(bot, okr_data(extra_krs=[SECOND_KR]))
    await bot.req.message_im("U0ALICE", "1: 42 on track")
    await bot.req.message_im("U0ALICE", "2: 7 at risk")  # the prompt is still open: KR 2 had no answer yet
    got = {(c.kr_id, c.value, c.confidence) for c in await rows(bot, CheckIn)}
    assert {(v, c) for _, v, c in got} == {(42, "on_track"), (7, "at_risk")}
    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 2
    # Now every KR of the prompt is answered: nothing is open, so a third message is not recorded.
    await bot.req.message_im("U0ALICE", "2: 8")
    assert len(await rows(bot, CheckIn)) == 2
    assert "no check-in prompt of yours is waiting" in top_level(bot)[-1].text


async def test_an_unsure_top_level_reply_asks_in_the_thread_and_confirm_records_once(bot, prompt):
    ts = bot.fake.new_ts()
    await bot.req.message_im("U0ALICE", "95, not on track", ts=ts)
    assert await rows(bot, CheckIn) == []
    (question,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert "not sure" in question.text.lower() or "not recorded" in question.text.lower()
    assert "Confirm or Edit" in top_level(bot)[-1].text
    values = buttons(question)
    assert set(values) == {"okr.checkin.confirm_reply", "okr.checkin.edit_reply.1"}
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.confirm_reply", values["okr.checkin.confirm_reply"], message=question
    )
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.source_ts) == (95, ts)
    assert bot.fake.messages("U0ALICE", thread_ts=prompt.ts)[-1].text.startswith("Recorded")
    # Edit on the same question, after Confirm: the kept reply is used up, and Alice is told so.
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.edit_reply.1", values["okr.checkin.edit_reply.1"], message=question
    )
    assert "already recorded" in last_said(bot)
    assert len(await rows(bot, CheckIn)) == 1


async def test_chatter_gets_how_to_check_in_at_most_once_an_hour(bot, prompt):
    await bot.req.message_im("U0ALICE", "thanks!")
    assert await rows(bot, CheckIn) == [] and await rows(bot, PendingReply) == []
    (help_,) = top_level(bot)[1:]
    assert "didn't record that" in help_.text and "/okr checkin" in help_.text and "thread" in help_.text
    assert "30%, on track" in help_.text  # an example built from Alice's own KR
    await bot.req.message_im("U0ALICE", "ok, see you")
    await bot.req.message_im("U0ALICE", "bye")
    assert len(top_level(bot)) == 2  # still the prompt and one answer
    bot.svc.clock = at(MONDAY_10_BERLIN + 2 * HOUR)
    await bot.req.message_im("U0ALICE", "hello again")
    assert len(top_level(bot)) == 3
    bot.fake.assert_no_warnings()


async def test_with_no_prompt_waiting_it_says_how_to_check_in(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - HOUR)  # before the first prompt
    await bot.req.message_im("U0ALICE", "42 on track")
    assert await rows(bot, CheckIn) == []
    (help_,) = top_level(bot)
    assert "no check-in prompt of yours is waiting" in help_.text and "/okr checkin" in help_.text


async def test_a_prompt_from_last_week_is_not_open(bot, prompt):
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(days=7, hours=1))  # past its weekly period, no new prompt
    await bot.req.message_im("U0ALICE", "42")
    assert await rows(bot, CheckIn) == []
    assert "no check-in prompt of yours is waiting" in top_level(bot)[-1].text


async def test_a_biweekly_prompt_stays_open_for_its_two_weeks(bot):
    checkin = {"day": "monday", "time": "10:00", "cadence": "biweekly"}
    await seed(bot, okr_data(team={"checkin": checkin}))
    await bot.tick(MONDAY_10_BERLIN + timedelta(days=7))  # biweekly from the cycle's start: the 18th, not the 11th
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(days=16))  # in its second week
    await bot.req.message_im("U0ALICE", "42 on track")
    (ci,) = await rows(bot, CheckIn)
    assert ci.value == 42
    assert bot.fake.messages("U0ALICE", thread_ts=prompt.ts)[0].text.startswith("Recorded")


async def test_a_co_owners_answer_closes_the_prompt_for_the_other_owner(bot):
    data = okr_data()
    data["objectives"][0]["key_results"][0]["co_owners"] = ["U0EVE"]
    prompt = await prompted(bot, data)
    (eves,) = bot.dm("U0EVE")
    await bot.req.message_im("U0EVE", "41 on track")  # Eve, at the top of her DM
    (ci,) = await rows(bot, CheckIn)
    assert (ci.author_id, ci.value) == ("U0EVE", 41)
    assert len(bot.fake.messages("U0EVE", thread_ts=eves.ts)) == 1
    await bot.req.message_im("U0ALICE", "42")  # the KR is answered for both owners: nothing open for Alice
    assert len(await rows(bot, CheckIn)) == 1
    assert bot.fake.messages("U0ALICE", thread_ts=prompt.ts) == []
    assert "no check-in prompt of yours is waiting" in top_level(bot)[-1].text


async def test_two_open_prompts_in_one_dm_are_not_guessed(bot):
    """Bob covers for Alice: his DM holds his own prompt and hers. A top-level message could be for either."""
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - timedelta(days=2))
    await bot.req.command("/okr", "away until 2027-01-15 delegate <@U0BOB|bob>", user_id="U0ALICE")
    await bot.tick(MONDAY_10_BERLIN + timedelta(hours=6))  # 10:00 in New York: both prompts
    assert len(bot.dm("U0BOB")) == 2
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=7))
    await bot.req.message_im("U0BOB", "41 on track")
    assert await rows(bot, CheckIn) == []
    assert "2 check-in prompts are waiting" in top_level(bot, "U0BOB")[-1].text


async def test_bots_subtypes_and_channels_are_never_answered(bot, prompt):
    channel = prompt.channel
    base = {"type": "message", "channel": channel, "channel_type": "im", "text": "42", "user": "U0ALICE"}
    await bot.req.event({**base, "ts": bot.fake.new_ts(), "bot_id": "B0OTHER"})
    await bot.req.event({**base, "ts": bot.fake.new_ts(), "subtype": "file_share"})
    await bot.req.event({**base, "ts": bot.fake.new_ts(), "subtype": "message_deleted"})
    await bot.req.event({**base, "ts": bot.fake.new_ts(), "channel": "C0GENERAL", "channel_type": "channel"})
    assert await rows(bot, CheckIn) == [] and len(bot.dm("U0ALICE")) == 1
    await bot.req.event({**base, "ts": bot.fake.new_ts()})  # the same message from Alice herself is recorded
    assert len(await rows(bot, CheckIn)) == 1


# ---- the defect: Edit on an unsure reply, submit the form, then Confirm ------------------------------------


async def test_confirm_after_edit_and_submit_records_nothing_twice(bot, prompt):
    await bot.req.message_im("U0ALICE", "95, not on track", thread_ts=prompt.ts)
    (question,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    values = buttons(question)
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.edit_reply.1", values["okr.checkin.edit_reply.1"], message=question
    )
    await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": "95"}, "confidence": {"confidence": select_value("off_track")}}
    )
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.source) == (95, "off_track", "modal")
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.confirm_reply", values["okr.checkin.confirm_reply"], message=question
    )
    assert len(await rows(bot, CheckIn)) == 1
    assert "already recorded" in last_said(bot)
    assert await rows(bot, PendingReply) == []  # the kept reply is used up
    bot.fake.assert_no_warnings()


async def test_confirm_after_editing_one_line_records_only_the_others(bot):
    prompt = await prompted(bot, okr_data(extra_krs=[SECOND_KR]))
    await bot.req.message_im("U0ALICE", "1: 95, not on track\n2: 7 at risk", thread_ts=prompt.ts)
    (question,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    values = buttons(question)
    assert set(values) == {"okr.checkin.confirm_reply", "okr.checkin.edit_reply.1"}
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.edit_reply.1", values["okr.checkin.edit_reply.1"], message=question
    )
    await bot.req.view_submission(
        "U0ALICE", MODAL, {"value": {"value": "40"}, "confidence": {"confidence": select_value("off_track")}}
    )
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.confirm_reply", values["okr.checkin.confirm_reply"], message=question
    )
    got = sorted((c.value, c.confidence) for c in await rows(bot, CheckIn))
    assert got == [(7, "at_risk"), (40, "off_track")]  # line 1 from the form once, line 2 from Confirm
    await bot.req.block_action(
        "U0ALICE", "okr.checkin.confirm_reply", values["okr.checkin.confirm_reply"], message=question
    )
    assert len(await rows(bot, CheckIn)) == 2
    assert "already recorded" in last_said(bot)
