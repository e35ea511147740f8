"""The chat.postMessage pacer on a fake clock: headroom, slots per workspace and channel, 429 holds, retries."""

import asyncio

import pytest

from bot.slack.pacer import BURST, DECREASE, HEADROOM, INCREASE, MIN_RATE, Pacer, pace_retry


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


def sends_per_second(waits: list[float]) -> float:
    return (len(waits) - 1) / (max(waits) - min(waits))


def test_aims_just_under_the_configured_rate():
    p, _ = pacer(10)
    waits = [p.reserve(f"D{i}") for i in range(1001)]
    assert waits[0] == 0.0  # the first goes at once
    assert sends_per_second(waits) == pytest.approx(10 * HEADROOM, rel=0.002)
    assert 0.9 <= HEADROOM < 1


def test_spacing_is_by_slot_not_exact_and_never_bunches():
    p, clock = pacer(10)
    waits = [p.reserve(f"D{i}") for i in range(50)]
    instants = sorted(clock.now + w for w in waits)
    gap = 1 / (10 * HEADROOM)
    # one send per slot: any window of one second holds at most rate x HEADROOM + 1 sends
    assert all(b - a >= 10 * gap - 1e-9 for a, b in zip(instants, instants[10:], strict=False))
    assert 0 < waits[1] <= gap + 1e-9  # the second takes the next slot, which may start sooner than a full gap


def test_idle_time_does_not_build_a_burst():
    p, clock = pacer(10)
    p.reserve()
    clock.now += 60  # a quiet minute must not allow 600 sends at once
    assert p.reserve() == 0.0
    assert 0 < p.reserve() <= 1 / (10 * HEADROOM) + 1e-9


def test_same_channel_waits_its_gap_without_holding_up_other_channels():
    p, _ = pacer(100, per_channel=1.0)
    assert p.reserve("D1") == 0.0
    assert p.reserve("D1") == pytest.approx(1 / HEADROOM, abs=0.011)  # ~1.03 s, to the next slot after it
    assert p.reserve("D2") <= 2 / (100 * HEADROOM)  # D2 takes a slot the busy channel left free


def test_acquire_sleeps_on_the_event_loop_for_the_reserved_slot():
    p, clock = pacer(4)

    async def send_all() -> None:
        await asyncio.gather(*(p.acquire(f"D{i}") for i in range(4)))

    asyncio.run(send_all())
    gap = 1 / (4 * HEADROOM)
    assert len(clock.slept) == 3  # the first went at once, in the slot already started
    assert 2 * gap < max(clock.slept) <= 3 * gap + 1e-9  # the fourth, three slots on


def test_429_on_one_channel_holds_that_channel_and_does_not_slow_the_others():
    p, clock = pacer(10, per_channel=1.0)
    p.reserve("C1")
    clock.now += 1.1
    p.reserve("C1")  # a second post to C1 a second later: its 429 is C1's own limit

    async def retry() -> None:
        await p.retry("C1", retry_after=30)

    asyncio.run(retry())
    assert p.rate == p.ceiling and p.workspace_holds == 0 and p.rate_limited == 1
    assert clock.slept[-1] >= 30  # the retry waits Retry-After, for C1 only
    assert p.reserve("D2") <= 1 / p.ceiling  # other channels go at the full rate
    assert p.reserve("C1") >= 30  # C1 stays held


def test_429_on_a_quiet_channel_holds_the_workspace_once_and_the_rate_recovers():
    p, clock = pacer(10, per_channel=1.0)
    for i in range(5):
        p.reserve(f"D{i}")  # each DM got one message: their 429s can only be the workspace's limit

    async def retries() -> None:
        await asyncio.gather(*(p.retry(f"D{i}", retry_after=2) for i in range(5)))

    asyncio.run(retries())
    assert p.rate_limited == 5 and p.workspace_holds == 1  # five 429s of one hold lower the rate once
    assert p.rate == pytest.approx(p.ceiling * DECREASE)
    assert p.reserve("D9") >= 2  # everyone waits out the workspace's Retry-After
    for _ in range(round((1 - DECREASE) / INCREASE)):
        p.sent()
    assert p.rate == pytest.approx(p.ceiling)


def test_many_channels_limited_at_once_is_taken_as_the_workspace_limit():
    p, clock = pacer(10, per_channel=1.0)
    for c in ("C1", "C2", "C3"):
        p.reserve(c)
    clock.now += 2
    for c in ("C1", "C2", "C3"):
        p.reserve(c)  # each was posted to just before: on its own, a 429 would be the channel's

    async def retries() -> None:
        await asyncio.gather(*(p.retry(c, retry_after=1) for c in ("C1", "C2", "C3")))

    asyncio.run(retries())
    assert p.workspace_holds == 1
    assert p.reserve("D9") >= 1


def test_retries_take_slots_instead_of_all_going_after_retry_after():
    p, clock = pacer(10)
    queued = [p.reserve(f"D{i}") for i in range(20)]  # two seconds of sends already booked

    async def retries() -> None:
        await asyncio.gather(*(p.retry(f"R{i}", retry_after=1) for i in range(5)))

    asyncio.run(retries())
    gap = 1 / p.ceiling
    retried = sorted(clock.slept)
    assert retried[0] >= max(queued)  # the slots after Retry-After were taken: the retries queue behind them
    assert all(b - a >= gap * 0.99 for a, b in zip(retried, retried[1:], strict=False))  # one slot each


def test_a_sender_booked_before_a_workspace_hold_waits_it_out():
    p, clock = pacer(10)
    p.reserve("D0")

    async def run() -> None:
        sender = asyncio.create_task(p.acquire("D1"))  # books the next slot and sleeps
        await asyncio.sleep(0)
        await p.retry("D0", retry_after=5)  # meanwhile a workspace 429
        await sender

    asyncio.run(run())
    assert max(clock.slept) >= 5  # the early booking was replaced by one after the hold


def stalled(p: Pacer, clock: FakeClock, after_sleepers: int, stall: float) -> None:
    """Make the event loop 'busy' for `stall` seconds once `after_sleepers` senders are asleep."""

    async def stalling_sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        if len(clock.slept) == after_sleepers:
            clock.now += stall  # every sleeper wakes late
        await asyncio.sleep(0)

    p._sleep = stalling_sleep


def test_senders_woken_late_catch_up_a_burst_then_take_new_slots():
    p, clock = pacer(10)
    stalled(p, clock, after_sleepers=9, stall=2)  # ten senders: the first goes at once, nine sleep, then a stall

    async def send_all() -> None:
        await asyncio.gather(*(p.acquire(f"D{i}") for i in range(10)))

    asyncio.run(send_all())
    assert p.caught_up == BURST  # the slots slept through were unused: a small burst makes up for them ...
    assert p.late_rebooked == 9 - BURST  # ... the rest booked again instead of all going at once
    rebooked = sorted(clock.slept[9:])
    gap = 1 / p.ceiling
    assert all(b - a >= gap * 0.99 for a, b in zip(rebooked, rebooked[1:], strict=False))  # one slot apart


def test_a_late_waker_does_not_catch_up_into_its_own_channels_next_message():
    p, clock = pacer(10, per_channel=1.0)
    stalled(p, clock, after_sleepers=3, stall=3)

    async def send_all() -> None:
        await asyncio.gather(*(p.acquire(c) for c in ("D0", "C1", "C1", "D2")))  # C1's two a second apart

    asyncio.run(send_all())
    assert p.caught_up == 1  # D2 went at once; C1's first had a later C1 send booked, so it kept the spacing
    assert p.late_rebooked == 2


def test_client_retry_hook_paces_only_the_booked_method():
    p, clock = pacer(10, per_channel=1.0)

    async def run() -> tuple[bool, bool, bool]:
        unbooked = await pace_retry("chat.postMessage", 1)
        await p.acquire("D1")
        other_method = await pace_retry("chat.update", 1)
        paced = await pace_retry("chat.postMessage", 1)
        return unbooked, other_method, paced

    assert asyncio.run(run()) == (False, False, True)
    assert p.rate_limited == 1 and clock.slept[-1] >= 1


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


def test_rate_never_drops_below_the_minimum():
    p, clock = pacer(5)

    async def limited() -> None:
        for _ in range(100):
            await p.retry(None, retry_after=1)
            clock.now += 2  # each 429 a new hold

    asyncio.run(limited())
    assert p.rate == MIN_RATE


def test_rate_and_headroom_must_be_sensible():
    with pytest.raises(ValueError):
        Pacer(0)
    with pytest.raises(ValueError):
        Pacer(10, headroom=1.5)
