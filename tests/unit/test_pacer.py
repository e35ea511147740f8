"""The chat.postMessage pacer: spacing per workspace and per channel, asyncio-only waits, AIMD on 429s."""

import asyncio

import pytest

from bot.slack.pacer import DECREASE, MIN_RATE, Pacer


class FakeClock:
    """Virtual time: sleep() records the wait and yields to the loop; tests move `now` themselves."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def pacer(rate: float, per_channel: float | None = None) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(rate, per_channel=per_channel, clock=clock, sleep=clock.sleep), clock


def test_first_send_goes_at_once_then_one_per_interval():
    p, _ = pacer(10)
    waits = [p.reserve(f"D{i}") for i in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])


def test_idle_time_does_not_build_a_burst():
    p, clock = pacer(10)
    p.reserve()
    clock.now += 60  # a quiet minute must not allow 600 sends at once
    assert p.reserve() == 0.0
    assert p.reserve() == pytest.approx(0.1)


def test_same_channel_waits_a_second_without_holding_up_other_channels():
    p, _ = pacer(100, per_channel=1.0)
    assert p.reserve("D1") == 0.0
    assert p.reserve("D1") == pytest.approx(1.0)
    assert p.reserve("D2") == pytest.approx(0.02)


def test_acquire_sleeps_on_the_event_loop_for_the_reserved_time():
    p, clock = pacer(4)

    async def send_all() -> None:
        await asyncio.gather(*(p.acquire(f"D{i}") for i in range(4)))

    asyncio.run(send_all())
    assert sorted(clock.slept) == pytest.approx([0.25, 0.5, 0.75])  # the first went at once


def test_real_sleep_does_not_block_the_loop():
    p = Pacer(20)  # real clock and asyncio.sleep

    async def run() -> int:
        ticks = 0

        async def other_work() -> None:
            nonlocal ticks
            for _ in range(5):
                await asyncio.sleep(0.01)
                ticks += 1

        await asyncio.gather(other_work(), *(p.acquire() for _ in range(3)))
        return ticks

    assert asyncio.run(run()) == 5


def test_429_slows_down_multiplicatively_and_successes_creep_back_to_the_ceiling():
    p, _ = pacer(100)
    p.rate_limited_by_slack()
    assert p.rate == pytest.approx(100 * DECREASE)
    assert p.rate_limited == 1
    for _ in range(1000):
        p.sent()
    assert p.rate == 100  # never above the configured ceiling


def test_too_high_ceiling_converges_under_the_real_limit():
    """Simulate a Slack that grants 50/s against a ceiling of 200/s: the sent rate settles near 50/s."""
    p, clock = pacer(200)
    slack_next = 0.0
    sent_at: list[float] = []
    for _ in range(3000):
        clock.now += p.reserve()
        if clock.now < slack_next:  # Slack's own bucket: 50/s, no burst
            p.rate_limited_by_slack()
            continue
        slack_next = clock.now + 1 / 50
        p.sent()
        sent_at.append(clock.now)
    last = sent_at[-500:]
    achieved = (len(last) - 1) / (last[-1] - last[0])
    assert 35 <= achieved <= 50
    assert p.rate_limited < 600  # converged: most attempts went through


def test_rate_never_drops_to_zero():
    p, _ = pacer(5)
    for _ in range(100):
        p.rate_limited_by_slack()
    assert p.rate == MIN_RATE


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        Pacer(0)
