"""Issue 9 item 14: `/okr away until` is bounded: not in the past, not past the active cycle (or a year).

`/okr away until 9999-12-31` used to be stored, and then `/okr next` and the tick computed "the day after"
and raised OverflowError. Every step here is a signed /okr command into the running bot.
"""

from storage.models import Person
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

CLOSED = okr_data()
CLOSED["cycle"] = {**CLOSED["cycle"], "state": "closed"}


def last_reply(bot) -> str:
    return bot.fake.calls_to("response_url")[-1].args["text"]


async def away_until(bot, user_id: str = "U0ALICE"):
    async with bot.db.transaction() as s:
        return (await s.get(Person, user_id)).away_until


async def test_far_future_date_is_refused_naming_the_cycle_end_and_next_still_works(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    assert (await bot.req.command("/okr", "away until 9999-12-31", user_id="U0ALICE")).status == 200
    refusal = last_reply(bot)
    assert "too far ahead" in refusal and "Fri 2 Apr 2027" in refusal and "2027-Q1" in refusal
    assert await away_until(bot) is None
    await bot.req.command("/okr", "next", user_id="U0ALICE")
    assert "Your next check-in" in last_reply(bot)
    await bot.tick(MONDAY_10_BERLIN)
    assert len(bot.dm("U0ALICE")) == 1  # the prompt still goes out: nothing was stored, nothing overflows
    bot.fake.assert_no_warnings()


async def test_the_cycle_end_itself_is_accepted_and_next_says_no_more_checkins(bot):
    await seed(bot)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    await bot.req.command("/okr", "away until 2027-04-02", user_id="U0ALICE")
    assert "away through Friday 2 April 2027" in last_reply(bot)
    await bot.req.command("/okr", "next", user_id="U0ALICE")
    assert "No more check-ins this cycle" in last_reply(bot)
    await bot.req.command("/okr", "away until 2027-04-03", user_id="U0ALICE")
    assert "too far ahead" in last_reply(bot)
    assert str(await away_until(bot)) == "2027-04-02"


async def test_without_an_active_cycle_the_limit_is_a_year_ahead(bot):
    await seed(bot, CLOSED)
    bot.svc.clock = at(MONDAY_10_BERLIN)  # 2027-01-11
    await bot.req.command("/okr", "away until 2028-01-12", user_id="U0ALICE")
    refusal = last_reply(bot)
    assert "too far ahead" in refusal and "Tue 11 Jan 2028" in refusal and "a year from today" in refusal
    await bot.req.command("/okr", "away until 2028-01-11", user_id="U0ALICE")
    assert "away through" in last_reply(bot)
    await bot.req.command("/okr", "away until 2027-01-10", user_id="U0ALICE")
    assert "in the past" in last_reply(bot)
    assert str(await away_until(bot)) == "2028-01-11"
