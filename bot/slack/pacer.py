"""Client-side pacing of chat.postMessage: stay under Slack's limits instead of collecting 429s.

Slack allows about 1 message/s per channel (short bursts) and "several hundred" per minute per
workspace. Sending faster only buys 429s, each costing a `Retry-After` wait of at least a second
for that message, so a fan-out of thousands of prompts goes fastest when it never hits the limit.

`Pacer` is a token bucket without burst, written as a schedule of reserved send instants (GCRA):
each caller reserves the next free workspace instant (and its channel's) and sleeps with
asyncio until then, so the event loop keeps serving requests meanwhile. Reservations are FIFO.

AIMD: the configured rate is a ceiling, not a promise. A 429 multiplies the current rate by
DECREASE; each successful send adds a small step back towards the ceiling. A ceiling set above
what Slack grants therefore settles just under the real limit instead of thrashing on 429s.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

DECREASE = 0.75  # multiplicative decrease on a 429
INCREASE = 0.005  # additive increase per success, as a fraction of the ceiling
MIN_RATE = 0.2  # messages/s; never stall completely
PRUNE_AT = 1024  # per-channel reservations kept before dropping the ones already past


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_channel: float | None = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.ceiling = rate
        self.rate = rate
        self.per_channel = per_channel
        self.rate_limited = 0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # earliest instant the workspace may send again
        self._channels: dict[str, float] = {}

    def reserve(self, channel: str | None = None) -> float:
        """Book the next free send instant for `channel`; returns how long to wait for it."""
        now = self._clock()
        at = max(now, self._next)
        # The workspace slot is booked on its own: a busy channel delays only its own message, not the queue.
        self._next = at + 1 / self.rate
        if channel is not None and self.per_channel:
            at = max(at, self._channels.get(channel, 0.0))
            self._channels[channel] = at + 1 / self.per_channel
            if len(self._channels) > PRUNE_AT:
                self._channels = {c: t for c, t in self._channels.items() if t > now}
        return at - now

    async def acquire(self, channel: str | None = None) -> None:
        """Wait (asynchronously) until this caller may send one message to `channel`."""
        wait = self.reserve(channel)
        if wait > 0:
            await self._sleep(wait)

    def rate_limited_by_slack(self) -> None:
        """Slack said 429: slow down multiplicatively (the retry handler itself waits Retry-After)."""
        self.rate_limited += 1
        self.rate = max(MIN_RATE, self.rate * DECREASE)

    def sent(self) -> None:
        """A send went through: creep back towards the configured ceiling."""
        if self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self.ceiling * INCREASE)
