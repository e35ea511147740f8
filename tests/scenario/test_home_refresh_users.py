"""Issue 15 item 2: after a check-in, the Home tab is refreshed only for people who have opened it lately.

Most people never open the Home tab, and rebuilding and publishing it was most of a reply's cost. Opening Home
records the open (at most once a day) and rebuilds the tab in full, so skipping the others hides nothing.
Through the real app: a signed app_home_opened event, a signed thread reply, then the waiting effects run.
"""

from datetime import timedelta

from bot.services import home
from storage import people
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed


async def _prompted(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    bot.fake.reset_calls()
    return prompt


async def _open_home(bot, user_id: str) -> None:
    await bot.req.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"})
    await bot.settle()


async def _opened_at(bot, user_id: str):
    async with bot.db.read() as session:
        return await people.home_opened_at(session=session, person_id=user_id)


async def test_a_person_who_never_opened_home_gets_no_home_publish_after_a_check_in(bot):
    prompt = await _prompted(bot)
    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)
    await bot.settle()

    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 1  # recorded and confirmed
    assert bot.fake.calls_to("views.publish") == []
    assert await _opened_at(bot, "U0ALICE") is None


async def test_a_person_who_opened_home_gets_it_refreshed_after_a_check_in(bot):
    prompt = await _prompted(bot)
    await _open_home(bot, "U0ALICE")
    assert await _opened_at(bot, "U0ALICE") == bot.svc.now()
    (opened,) = bot.fake.calls_to("views.publish")
    assert opened.args["user_id"] == "U0ALICE" and "40%" not in str(bot.fake.home_view("U0ALICE"))
    bot.fake.reset_calls()

    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)
    await bot.settle()

    (publish,) = bot.fake.calls_to("views.publish")
    assert publish.args["user_id"] == "U0ALICE" and "40%" in str(bot.fake.home_view("U0ALICE"))


async def test_an_open_is_recorded_once_a_day_and_lapses_after_ninety_days(bot):
    prompt = await _prompted(bot)
    first = bot.svc.now()
    await _open_home(bot, "U0ALICE")
    bot.svc.clock = at(first + timedelta(hours=5))
    await _open_home(bot, "U0ALICE")  # rebuilt again, but the open is not written again the same day
    assert await _opened_at(bot, "U0ALICE") == first
    assert len(bot.fake.calls_to("views.publish")) == 2
    bot.svc.clock = at(first + timedelta(days=2))
    await _open_home(bot, "U0ALICE")
    assert await _opened_at(bot, "U0ALICE") == first + timedelta(days=2)

    bot.svc.clock = at(first + timedelta(days=2) + home.HOME_USER_WINDOW + timedelta(minutes=1))
    bot.fake.reset_calls()
    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)
    await bot.settle()
    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 1
    assert bot.fake.calls_to("views.publish") == []  # not opened for 90 days: no longer refreshed
