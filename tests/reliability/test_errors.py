"""Item 4: 5xx answers and dropped connections are retried with backoff by the real client
(bot/slack/client.py); a prompt that fails for good is marked failed and a later tick delivers it once."""

from datetime import timedelta

import pytest

from tests.scenario.seed import MONDAY_10_BERLIN, ledger_rows, seed


def _fault(fake, method: str, kind: str, times: int = 1) -> None:
    if kind == "drop":
        fake.drop_next(method, times=times)
    else:
        fake.fail_next(method, times=times, status=int(kind), retry_after=None)


async def _prompted(bot) -> None:
    await bot.tick(MONDAY_10_BERLIN)
    assert len(bot.dm("U0ALICE")) == 1


async def _modal(bot) -> None:
    assert (await bot.req.command("/okr", "checkin", user_id="U0ALICE")).status == 200
    assert [v["callback_id"] for v in bot.fake.open_views] == ["okr.checkin.modal"]


async def _home(bot) -> None:
    await bot.req.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"})
    assert bot.fake.home_view("U0ALICE") is not None


@pytest.mark.parametrize(
    "method,kind,action",
    [
        ("chat.postMessage", "500", _prompted),
        ("chat.postMessage", "503", _prompted),
        ("chat.postMessage", "drop", _prompted),
        ("users.list", "drop", _prompted),
        ("views.open", "500", _modal),
        ("views.publish", "drop", _home),
    ],
)
async def test_transient_errors_are_retried_and_succeed_once(bot, method, kind, action):
    await seed(bot)
    _fault(bot.fake, method, kind, times=2)
    await action(bot)
    expected_first = 0 if kind == "drop" else int(kind)
    assert [c.status for c in bot.fake.calls_to(method)] == [expected_first, expected_first, 200]
    bot.fake.assert_no_warnings()


async def test_retries_back_off(bot):
    await seed(bot)
    _fault(bot.fake, "chat.postMessage", "500", times=3)
    await _prompted(bot)
    times = [c.at for c in bot.fake.calls_to("chat.postMessage")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3 and gaps[0] > 0.2 and gaps[2] > gaps[0], gaps


async def test_a_prompt_that_fails_for_good_is_marked_failed_and_a_later_tick_sends_it_once(bot):
    await seed(bot)
    bot.fake.fail_next("chat.postMessage", times=2, status=500, retry_after=None)
    bot.fake.drop_next("chat.postMessage", times=2)  # 1 try + 3 retries: all fail
    report = await bot.tick(MONDAY_10_BERLIN)
    assert any("prompt for U0ALICE (2027-01-11) failed" in line for line in report.lines)
    assert bot.dm("U0ALICE") == []
    (row,) = [r for r in await ledger_rows(bot) if r.recipient == "U0ALICE"]
    # The last attempt's connection dropped after the request went out: it may be in Slack, so it is
    # 'unknown' and the next tick looks for it in the DM's history (not there: sent then).
    assert (row.status, row.attempts) == ("unknown", 1) and row.error

    await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=2))
    assert len(bot.dm("U0ALICE")) == 1
    (row,) = [r for r in await ledger_rows(bot) if r.recipient == "U0ALICE"]
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)
    assert [c.status for c in bot.fake.calls_to("chat.postMessage")] == [500, 500, 0, 0, 200]
