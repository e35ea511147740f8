"""Nudges (once, never after an answer, snooze, off) and away / delegate / back / next."""

import json
from datetime import timedelta

from tests.scenario.seed import MONDAY_10_BERLIN, at, ledger_rows, okr_data, seed

DAY = timedelta(days=1)


def thread(bot, prompt):
    return bot.fake.messages("U0ALICE", thread_ts=prompt.ts)


async def prompted(bot, data=None):
    await seed(bot, data)
    await bot.tick(MONDAY_10_BERLIN)
    return bot.dm("U0ALICE")[0]


async def test_one_nudge_after_nudge_hours(bot):
    prompt = await prompted(bot)
    await bot.tick(MONDAY_10_BERLIN + timedelta(hours=23))
    assert thread(bot, prompt) == []
    await bot.tick(MONDAY_10_BERLIN + DAY)
    await bot.tick(MONDAY_10_BERLIN + DAY + timedelta(hours=1))
    (nudge,) = thread(bot, prompt)
    assert "Activation rate" in nudge.text
    bot.fake.assert_no_warnings()


async def test_no_nudge_after_an_answer(bot):
    prompt = await prompted(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=2))
    await bot.req.message_im("U0ALICE", "40", thread_ts=prompt.ts)
    await bot.tick(MONDAY_10_BERLIN + DAY)
    assert len(thread(bot, prompt)) == 1  # only the confirmation
    (nudge_row,) = [r for r in await ledger_rows(bot, "nudge") if r.recipient == "U0ALICE"]
    assert (nudge_row.status, nudge_row.error) == ("skipped", "answered")


async def test_remind_me_tomorrow_moves_the_nudge(bot):
    prompt = await prompted(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=12))
    snooze = next(
        e
        for b in prompt.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "okr.checkin.snooze"
    )
    await bot.req.block_action("U0ALICE", "okr.checkin.snooze", snooze["value"], message=prompt)
    await bot.req.block_action("U0ALICE", "okr.checkin.snooze", snooze["value"], message=prompt)
    texts = [c.args["text"] for c in bot.fake.calls_to("response_url")]
    assert "remind you" in texts[0] and "already snoozed" in texts[1]
    await bot.tick(MONDAY_10_BERLIN + DAY)
    assert thread(bot, prompt) == []
    await bot.tick(MONDAY_10_BERLIN + timedelta(hours=36))
    assert len(thread(bot, prompt)) == 1


async def test_nudges_off_with_zero(bot):
    prompt = await prompted(bot, okr_data(team={"nudge_hours": 0}))
    await bot.tick(MONDAY_10_BERLIN + 2 * DAY)
    assert thread(bot, prompt) == []


async def test_away_pauses_prompts_and_back_resumes(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - 2 * DAY)
    await bot.req.command("/okr", "away until 2027-01-12", user_id="U0ALICE")
    await bot.tick(MONDAY_10_BERLIN)
    assert bot.dm("U0ALICE") == []
    await bot.req.command("/okr", "back", user_id="U0ALICE")
    await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    assert len(bot.dm("U0ALICE")) == 1


async def test_delegate_gets_the_prompt_in_their_timezone(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - 2 * DAY)
    await bot.req.command("/okr", "away until 2027-01-15 delegate <@U0BOB|bob>", user_id="U0ALICE")
    await bot.tick(MONDAY_10_BERLIN)
    assert bot.dm("U0ALICE") == [] and bot.dm("U0BOB") == []
    await bot.tick(MONDAY_10_BERLIN + timedelta(hours=6))  # 10:00 in New York
    covering = [m for m in bot.dm("U0BOB") if "covering for Alice" in m.text]
    assert len(covering) == 1
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=7))
    await bot.req.message_im("U0BOB", "41 on track", thread_ts=covering[0].ts)
    assert "41%" in bot.fake.messages("U0BOB", thread_ts=covering[0].ts)[0].text


async def test_away_in_the_past_or_malformed_is_refused(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    await bot.req.command("/okr", "away until 2027-01-01", user_id="U0ALICE")
    await bot.req.command("/okr", "away until someday", user_id="U0ALICE")
    texts = [c.args["text"] for c in bot.fake.calls_to("response_url")]
    assert "in the past" in texts[0] and "not a date" in texts[1]


async def test_next_tells_when_in_local_time(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - 2 * DAY)
    await bot.req.command("/okr", "next", user_id="U0ALICE")
    (call,) = bot.fake.calls_to("response_url")
    assert "Monday 11 Jan at 10:00 (Europe/Berlin)" in call.args["text"]
    assert "Activation rate" in call.args["text"]


async def test_away_with_a_delegate_confirms_with_a_real_mention(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN - 2 * DAY)
    await bot.req.command("/okr", "away until 2027-01-15 delegate <@U0BOB|bob smith>", user_id="U0ALICE")
    (call,) = bot.fake.calls_to("response_url")
    text = call.args["text"] + json.dumps(call.args["blocks"])
    assert "You're away through Friday 15 January 2027. <@U0BOB> gets your check-in prompts" in call.args["text"]
    assert "&lt;@" not in text and "&gt;" not in text  # was "&lt;@U0BOB&gt;": a mention escaped as text
