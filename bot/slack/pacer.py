"""Client-side pacing of chat.postMessage: reach Slack's limit without collecting 429s.

Slack allows about 1 message/s per channel (short bursts) and "several hundred" a minute per workspace, and
answers 429 + `Retry-After` past that. A 429 costs its message at least a second, so a fan-out is fastest when
it runs just under the limit and never trips it.

* **Headroom**: the pacer aims at HEADROOM (97 %) of the configured rate, per workspace and per channel. Sitting
  exactly at the cap trips 429s on jitter (a delayed request followed by a punctual one arrive together); 3 %
  under it, Slack's own burst allowance refills (0.3 messages/s at 10/s) and absorbs that jitter. More headroom
  would cost efficiency one for one: at 95 % a fan-out can reach at best 0.95 of the ideal time.
* **Smooth, not exact spacing**: the workspace's time is cut into slots of 1/(rate x HEADROOM) seconds, one send
  per slot. A sender that wakes late still uses its slot (a free slot already started is used at once) instead
  of pushing every later send back, and a message that must wait (its channel is busy, or it is a retry) takes
  the first free slot after that, leaving the earlier ones to other channels. Slots left unused in the past are
  gone: an idle minute does not build a burst.
* **Stalls are caught up, a little**: a sender that wakes more than a slot late (the event loop was busy) would
  go out together with everyone else whose slot passed meanwhile, so it takes the next free slot instead; but
  the first BURST of them go at once, from an allowance kept like Slack's own bucket (every send takes one, it
  refills at the configured rate, it holds BURST). The slots slept through were never used, so Slack's bucket
  refilled meanwhile; BURST is well below Slack's burst (the fake's: a second's worth), so it cannot trip it.
* **A 429 holds the bucket it came from, for `Retry-After`** (see `retry`). Slack limits chat.postMessage per
  channel and per workspace, and its 429 does not say which. We call it a channel's 429 when we posted to that
  channel moments before (the channel limit is the plausible cause) and fewer than WIDE_CHANNELS channels were
  limited within WIDE_WINDOW; otherwise (a fresh DM, or many channels at once) it is the workspace's. A channel's
  429 holds that channel only; a workspace 429 holds every send for `Retry-After` and lowers the rate by
  DECREASE once per hold (not once per 429: the 429s of one hold are one event), and each success wins back
  INCREASE of the aimed rate. So one 429 never cascades into a collapsed global rate.
* **Retries take a slot**: slack_sdk's 429 retry handler (bot/slack/client.py) awaits `pace_retry`, which books
  the retry like any other send, after `Retry-After`. The retry handler sees the URL but not the JSON body, so
  the channel of the message being retried comes from a context variable set by `acquire` in the sending task.
"""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

HEADROOM = 0.97  # aim at this fraction of the configured rates (workspace and channel)
PACED_METHOD = "chat.postMessage"
DECREASE = 0.9  # a workspace-wide 429 multiplies the rate by this, once per hold
INCREASE = 0.002  # each success adds this fraction of the aimed rate back
MIN_RATE = 0.2  # messages/s; never stall completely
WIDE_CHANNELS = 3  # this many distinct channels limited within WIDE_WINDOW seconds: the workspace's limit
WIDE_WINDOW = 1.0
CHANNEL_RECENT = 3.0  # a 429 on a channel we posted to within this many seconds is the channel's own
EPS = 1e-9  # in slots
BURST = 4  # sends a stall's late wakers may make at once, from a Slack-like allowance (see `_catch_up`)
PRUNE_AT = 1024  # per-channel and slot entries kept before dropping the ones already past

# (pacer, channel) of the chat.postMessage the current task booked last: read by the client's retry handler.
_booking: ContextVar[tuple["Pacer", str | None] | None] = ContextVar("okrbot_pacer_booking", default=None)


class _Slots:
    """The workspace's send slots (one send each, `gap` seconds long), with a next-free-slot lookup that is
    amortised O(1) (union-find with path compression), so booking 10,000 sends ahead stays cheap."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._taken: dict[int, int] = {}  # taken slot -> a later slot that was free when last looked at
        self._prune_at = PRUNE_AT

    def take_first_free(self, k: int) -> int:
        path = []
        while k in self._taken:
            path.append(k)
            k = self._taken[k]
        for p in path:
            self._taken[p] = k
        self._taken[k] = k + 1
        return k

    def prune(self, now: float) -> None:
        """Forget slots before `now` (lookups never start there; pointers only go forward)."""
        if len(self._taken) > self._prune_at:
            current = math.floor(now / self.gap + EPS)
            self._taken = {k: v for k, v in self._taken.items() if k >= current}
            self._prune_at = max(PRUNE_AT, 2 * len(self._taken))  # amortised: many slots may be booked ahead


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        per_channel: float | None = 1.0,
        headroom: float = HEADROOM,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self.ceiling = rate * headroom  # messages/s aimed at
        self.rate = self.ceiling  # lower than the ceiling only after a workspace-wide 429
        self.channel_gap = 1 / (per_channel * headroom) if per_channel else 0.0
        self.rate_limited = 0  # 429s retried through this pacer
        self.workspace_holds = 0  # of which were taken as the workspace's limit
        self.late_rebooked = 0  # sends that woke after their slot had passed and took a later one
        self.caught_up = 0  # sends that woke late and went at once, from the burst allowance
        self._clock = clock
        self._sleep = sleep
        self._slots = _Slots(1 / self.ceiling)
        self._burn = 0.0  # slots still owed while the rate is below the ceiling
        self._workspace_hold = 0.0  # no send before this instant (a workspace 429's Retry-After)
        self._channel_hold: dict[str, float] = {}
        self._channel_next: dict[str, float] = {}  # channel -> earliest next send
        self._channel_prev: dict[str, float] = {}  # channel -> the booking before its latest
        self._limited_at: dict[str | None, float] = {}  # channel -> its latest 429 (for WIDE_CHANNELS)
        self._holds = 0  # bumped on every hold, so sleepers re-check theirs
        self._prune_channels_at = PRUNE_AT
        self._allowed = rate  # Slack's rate, which the allowance refills at
        self._allowance = float(BURST)
        self._allowance_at = clock()

    def reserve(self, channel: str | None = None, *, earliest: float = 0.0) -> float:
        """Book the next free send slot for `channel` (not before `earliest`); returns how long to wait for it."""
        now = self._clock()
        ready = max(now, earliest, self._workspace_hold)
        if channel is not None and self.channel_gap:
            ready = max(ready, self._channel_next.get(channel, 0.0), self._channel_hold.get(channel, 0.0))
        gap = self._slots.gap
        # EPS: float error must not make a slot that starts now look like one that started in the past
        first = math.floor(now / gap + EPS) if ready <= now else math.ceil(ready / gap - EPS)
        at = max(ready, self._slots.take_first_free(first) * gap)
        at = ready if at - ready < EPS * gap else at
        self._burn_slots(first)
        if channel is not None and self.channel_gap:
            if channel in self._channel_next:
                self._channel_prev[channel] = self._channel_next[channel] - self.channel_gap
            self._channel_next[channel] = at + self.channel_gap
        self._prune(now)
        return at - now

    def _burn_slots(self, first: int) -> None:
        """Below the ceiling (after a workspace 429), leave slots unused so sends average `self.rate`."""
        self._burn += self.ceiling / self.rate - 1
        while self._burn >= 1:
            self._slots.take_first_free(first)
            self._burn -= 1

    def _prune(self, now: float) -> None:
        self._slots.prune(now)
        if len(self._channel_next) > self._prune_channels_at:
            self._channel_next = {c: t for c, t in self._channel_next.items() if t > now - CHANNEL_RECENT}
            self._channel_prev = {c: t for c, t in self._channel_prev.items() if c in self._channel_next}
            self._channel_hold = {c: t for c, t in self._channel_hold.items() if t > now}
            self._prune_channels_at = max(PRUNE_AT, 2 * len(self._channel_next))

    async def acquire(self, channel: str | None = None) -> None:
        """Wait (asynchronously) until this caller may send one message to `channel`."""
        _booking.set((self, channel))
        await self._wait(channel, 0.0)

    async def _wait(self, channel: str | None, earliest: float) -> None:
        while True:
            holds = self._holds
            wait = self.reserve(channel, earliest=earliest)
            planned = self._clock() + wait
            if wait > 0:
                await self._sleep(wait)
            # A 429 elsewhere may have put a hold on our bucket while we slept: then book again, past it.
            held = holds != self._holds and self._held(channel)
            # Woken more than a slot late (the event loop was busy): the senders whose slots passed meanwhile
            # would all go at once, a burst Slack answers with 429s. Take the next free slot instead, unless the
            # small catch-up allowance lets this one go now.
            late = self._clock() - planned > self._slots.gap and not self._catch_up(channel, planned)
            if not (held or late):
                self._spend()
                return
            self.late_rebooked += late

    def _spend(self) -> None:
        """Count a send against the allowance, which refills at Slack's rate up to BURST: sending at HEADROOM
        keeps it full; a catch-up burst empties it, and only time without sends (a stall) or headroom refill it."""
        now = self._clock()
        self._allowance = min(BURST, self._allowance + (now - self._allowance_at) * self._allowed) - 1
        self._allowance_at = now

    def _catch_up(self, channel: str | None, planned: float) -> bool:
        """A late waker may go at once (the slots it slept through went unused, so Slack's bucket did not spend
        them) while the allowance lasts, at the full rate, and when no later send to its channel is booked.
        Slack's own burst allowance is larger (the fake's: a second's worth, 10 at 10/s), so this never
        outruns it; without it every event-loop stall was lost time."""
        now = self._clock()
        refilled = min(BURST, self._allowance + (now - self._allowance_at) * self._allowed)
        if refilled < 1 or self.rate < self.ceiling or self._held(channel):
            return False
        if channel is not None and self.channel_gap:
            if self._channel_next.get(channel, 0.0) > planned + self.channel_gap + EPS:
                return False  # another send to this channel is booked after ours: keep their spacing
            self._channel_next[channel] = max(self._channel_next.get(channel, 0.0), now + self.channel_gap)
        self.caught_up += 1
        return True

    def _held(self, channel: str | None) -> bool:
        now = self._clock()
        return now < self._workspace_hold or (channel is not None and now < self._channel_hold.get(channel, 0.0))

    async def retry(self, channel: str | None, retry_after: float) -> None:
        """Slack answered 429 for a message to `channel`: hold the bucket it came from for `retry_after`
        seconds, then wait for a regular slot after that (the retry counts against the rate like any send)."""
        now = self._clock()
        self.rate_limited += 1
        self._hold(channel, now, retry_after)
        await self._wait(channel, now + retry_after)

    def _hold(self, channel: str | None, now: float, retry_after: float) -> None:
        self._holds += 1
        if self._workspace_wide(channel, now):
            if now >= self._workspace_hold:  # a new hold: lower the rate once for all the 429s it covers
                self.workspace_holds += 1
                self.rate = max(MIN_RATE, self.rate * DECREASE)
            self._workspace_hold = max(self._workspace_hold, now + retry_after)
        else:
            self._channel_hold[channel] = max(self._channel_hold.get(channel, 0.0), now + retry_after)

    def _workspace_wide(self, channel: str | None, now: float) -> bool:
        self._limited_at = {c: t for c, t in self._limited_at.items() if t > now - WIDE_WINDOW}
        self._limited_at[channel] = now
        if channel is None or not self.channel_gap or len(self._limited_at) >= WIDE_CHANNELS:
            return True
        # Only a channel we just posted to can have hit its own limit; a quiet one was limited by the workspace.
        return self._channel_prev.get(channel, -math.inf) <= now - CHANNEL_RECENT

    def rate_limited_by_slack(self) -> None:
        """Kept for listeners registered with bot.slack.client.on_rate_limited: the 429 itself is handled by
        `retry`, which the client's retry handler awaits; counting it here too would count it twice."""

    def sent(self) -> None:
        """A send went through: creep back towards the aimed rate, and end this task's booking."""
        if self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self.ceiling * INCREASE)
        _booking.set(None)


async def pace_retry(method: str, retry_after: float) -> bool:
    """Called by the client's 429 retry handler before it re-sends: if the current task's `method` call was
    paced, wait for a pacer slot after `retry_after` and return True; otherwise return False (not paced)."""
    booking = _booking.get()
    if method != PACED_METHOD or booking is None:
        return False
    pacer, channel = booking
    await pacer.retry(channel, retry_after)
    return True
