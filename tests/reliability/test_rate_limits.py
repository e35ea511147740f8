"""Item 3: a 429 with Retry-After is waited out and retried (2 attempts, 1 success), nothing lost or doubled,
and the event loop keeps answering other requests while a send waits."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.services.digests.team import refresh_posted_digests
from tests.harness import running_bot
from tests.reliability.helpers import wait_for
from tests.scenario import digest_seed
from tests.scenario.seed import MONDAY_10_BERLIN, at, ledger_rows, seed

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)


async def _prompt(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    assert len(bot.dm("U0ALICE")) == 1
    assert [(r.recipient, r.status) for r in await ledger_rows(bot) if r.period == "2027-01-11"] == [
        ("U0ALICE", "sent")
    ]


async def _users_list(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    assert [r.status for r in await ledger_rows(bot, "tz_refresh")] == ["sent"]


async def _views_open(bot):
    await seed(bot)
    resp = await bot.req.command("/okr", "checkin", user_id="U0ALICE")
    assert resp.status == 200
    (modal,) = bot.fake.open_views
    assert modal["callback_id"] == "okr.checkin.modal"


async def _views_publish(bot):
    await seed(bot)
    await bot.req.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"})
    assert "Activation rate" in str(bot.fake.home_view("U0ALICE"))


async def _chat_update(bot):
    """No HTTP path calls chat.update today (see docs/reliability.md), so the digest refresh service is called."""
    await digest_seed.seed(bot)
    await bot.tick(FRIDAY_DUE)
    (digest,) = bot.fake.messages("C0GROWTH")
    kr = await digest_seed.kr_id(bot, "Ship the guided setup")
    late = FRIDAY_DUE + timedelta(hours=2)
    await digest_seed.check_in(bot, kr, 1, late)
    bot.svc.clock = at(late)
    bot.fake.fail_next("chat.update", status=429, retry_after=1)
    await refresh_posted_digests(bot.svc, kr_id=kr)
    assert len(bot.fake.message(digest.channel, digest.ts).edits) == 1


CASES = {
    "chat.postMessage": _prompt,
    "users.list": _users_list,
    "views.open": _views_open,
    "views.publish": _views_publish,
    "chat.update": _chat_update,
}


@pytest.mark.parametrize("method", list(CASES))
async def test_429_is_waited_out_and_retried_once(bot, method):
    if method != "chat.update":  # the digest must be posted first; that case injects its own fault
        bot.fake.fail_next(method, status=429, retry_after=1)
    await CASES[method](bot)
    attempts = bot.fake.calls_to(method)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # Retry-After was honoured
    assert attempts[1].ok
    bot.fake.assert_no_warnings()


async def test_the_loop_serves_health_and_commands_while_a_send_waits_out_a_429(fake_slack, tmp_path):
    async with running_bot(fake_slack, tmp_path / "prod.db") as bot:
        await seed(bot)
        bot.fake.fail_next("chat.postMessage", status=429, retry_after=2)
        tick = asyncio.create_task(bot.tick(MONDAY_10_BERLIN))
        await wait_for(lambda: bot.fake.calls_to("chat.postMessage"))  # the 429 came back; the wait began
        waiting_since = time.monotonic()

        async with aiohttp.ClientSession() as http, http.get(f"{bot.app_url}/healthz") as health:
            assert health.status == 200
        assert (await bot.req.command("/okr", "help", user_id="U0BOB")).status == 200
        await wait_for(lambda: bot.fake.calls_to("response_url"))
        answered_after = time.monotonic() - waiting_since

        assert answered_after < 1.0, answered_after  # well inside the 2 s Retry-After
        assert [c.status for c in bot.fake.calls_to("chat.postMessage")] == [429]  # the send is still waiting
        assert "okrbot help" in bot.fake.calls_to("response_url")[0].args["text"]

        await asyncio.wait_for(tick, timeout=10)
        assert [c.status for c in bot.fake.calls_to("chat.postMessage")] == [429, 200]
        assert len(bot.dm("U0ALICE")) == 1


@pytest.mark.sqlite_only(reason="builds the org as an SQLite file (benchmarks.org)")
async def test_a_slow_send_does_not_hold_up_the_prompts_after_its_half_batch(fake_slack, tmp_path):
    """The fan-out claims the next half-batch while the previous one sends: one slow answer holds up only the
    prompts claimed with it (before, the next claim waited for the whole batch, leaving the pacer idle)."""
    import sqlite3

    from benchmarks.org import build_org
    from bot.app import build_services
    from bot.services.checkins import prompts
    from bot.services.kernel.tick import run_tick
    from tests import harness

    org = build_org(tmp_path / "org.db", teams=4, krs_per_team=25, checkins_per_kr=0)
    with sqlite3.connect(org.path) as db:  # everyone in UTC: all 100 prompts due at once
        db.execute("UPDATE person SET tz = 'UTC'")
    hang = 5
    slow = prompts.CHUNK + 1  # the first prompt of the second half-batch
    fake_slack.hang_next("chat.postMessage", times=slow - 1, seconds=0)
    fake_slack.hang_next("chat.postMessage", seconds=hang)
    svc = build_services(harness.test_settings(fake_slack, org.path))
    try:
        await run_tick(svc, datetime(2027, 1, 11, 10, 0, tzinfo=UTC))
    finally:
        await svc.db.dispose()
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.status == 200]  # in the order answered
    assert len({c.args["channel"] for c in posts}) == org.people == len(posts)  # none lost, none doubled
    # The first answer `hang` seconds after the start is the slow one (or later): before it, its own half (less
    # itself) and the first half were answered, and so was some of the third half, claimed meanwhile.
    slow_answered = next(i for i, c in enumerate(posts) if c.at - posts[0].at >= hang)
    assert slow_answered >= 2 * prompts.CHUNK
