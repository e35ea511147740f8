"""Issue 15 item 2: a check-in's Home-tab refresh and posted-digest edit are coalesced, durable and up to date.

A check-in only marks the Home tab and the digest stale (in its own transaction); a runner refreshes each a few
seconds later, once, with the state as it is then. Through the real app: signed thread replies, the fake Slack
counting views.publish and chat.update. The scenario clock is frozen, so the coalescing delay never passes on
its own: the harness's settle (or an explicit run) is what runs the waiting effects.
"""

from datetime import timedelta

from sqlmodel import func, select

from bot.services.kernel import effects_due
from storage.models import CheckIn, EffectDue
from tests.fakes.signing import SlackRequests
from tests.harness import SIGNING_SECRET, running_bot
from tests.scenario.digest_seed import texts
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, opens_home, seed
from tests.scenario.test_late_checkin_effects import FRIDAY_16_BERLIN

AFTER_DIGEST = FRIDAY_16_BERLIN + timedelta(hours=1)


async def _prompt_and_digest(bot):
    await seed(bot, okr_data(team={"channel": "C0GROWTH"}))
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    await bot.tick(FRIDAY_16_BERLIN)
    (digest,) = bot.fake.messages("C0GROWTH")
    bot.svc.clock = at(AFTER_DIGEST)
    await opens_home(bot, "U0ALICE")  # Home is refreshed after check-ins only for people who use it
    bot.fake.reset_calls()
    return prompt, digest


async def _count(bot, model) -> int:
    async with bot.db.read() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_a_burst_of_twenty_replies_publishes_the_home_tab_once_and_edits_the_digest_once(bot):
    prompt, digest = await _prompt_and_digest(bot)
    unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)  # Slack's pace: no waiting in between
    for value in range(31, 51):
        assert (await unsettled.message_im("U0ALICE", f"{value} on track", thread_ts=prompt.ts)).status == 200
    await bot.settle()

    assert await _count(bot, CheckIn) >= 20 and len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 20
    (publish,) = bot.fake.calls_to("views.publish")  # one Home tab, with the final state
    assert publish.args["user_id"] == "U0ALICE" and "50%" in str(bot.fake.home_view("U0ALICE"))
    (update,) = bot.fake.calls_to("chat.update")  # one edit of the posted digest, with the final state
    assert update.args["ts"] == digest.ts
    assert "50% / 45%" in texts(bot.fake.message(digest.channel, digest.ts))
    assert await _count(bot, EffectDue) == 0
    bot.fake.assert_no_warnings()


async def test_nothing_runs_before_it_is_due_and_each_target_runs_once_when_it_is(bot):
    prompt, digest = await _prompt_and_digest(bot)
    unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)
    await unsettled.message_im("U0ALICE", "40 on track", thread_ts=prompt.ts)
    await unsettled.message_im("U0ALICE", "41 at risk", thread_ts=prompt.ts)
    await bot.inbox.wait_idle()  # both check-ins stored and confirmed; their effects wait
    assert len(bot.fake.messages("U0ALICE", thread_ts=prompt.ts)) == 2
    assert await effects_due.run_due(bot.svc, owner="test") == 0  # not due yet: nothing claimed
    assert bot.fake.calls_to("views.publish") == [] and bot.fake.calls_to("chat.update") == []
    assert await _count(bot, EffectDue) == 2  # one row per target: Alice's Home tab, Growth's digest

    bot.svc.clock = at(AFTER_DIGEST + effects_due.DELAY)
    while await effects_due.run_due(bot.svc, owner="test"):  # (the runner may take some itself: same outcome)
        pass
    await effects_due.flush_now(bot.svc)  # waits for any the background runner holds
    assert len(bot.fake.calls_to("views.publish")) == 1 and len(bot.fake.calls_to("chat.update")) == 1
    assert "41% / 45%" in texts(bot.fake.message(digest.channel, digest.ts))
    assert await _count(bot, EffectDue) == 0


async def test_effects_a_stopped_process_left_behind_run_after_the_restart(fake_slack, tmp_path):
    db_path = tmp_path / "bot.db"
    async with running_bot(fake_slack, db_path) as bot:
        prompt, digest = await _prompt_and_digest(bot)
        unsettled = SlackRequests(bot.app_url, SIGNING_SECRET, fake=bot.fake)
        await unsettled.message_im("U0ALICE", "44 at risk, waiting on legal", thread_ts=prompt.ts)
        await bot.inbox.wait_idle()
        assert await _count(bot, EffectDue) == 2
    assert fake_slack.calls_to("views.publish") == [] and fake_slack.calls_to("chat.update") == []

    async with running_bot(fake_slack, db_path) as bot:  # a new process on the same database
        bot.svc.clock = at(AFTER_DIGEST + effects_due.DELAY)
        await effects_due.flush_now(bot.svc)
        assert len(fake_slack.calls_to("views.publish")) == 1 and "44%" in str(fake_slack.home_view("U0ALICE"))
        (update,) = fake_slack.calls_to("chat.update")
        assert update.args["ts"] == digest.ts and "waiting on legal" in texts(
            fake_slack.message(digest.channel, digest.ts)
        )
        assert await _count(bot, EffectDue) == 0
