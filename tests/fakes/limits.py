"""Injected faults and optional Slack-style rate limiting for the fake server."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    kind: str  # "fail" (answer status), "hang" (delay then answer normally), "drop" (close the connection)
    status: int = 429
    retry_after: int | None = 1
    seconds: float = 0.0


class Faults:
    """Per-method FIFO of faults; each incoming call of that method consumes one."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault, times: int) -> None:
        self._queues.setdefault(method, deque()).extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        queue = self._queues.get(method)
        return queue.popleft() if queue else None

    def clear(self) -> None:
        self._queues.clear()


class TokenBucket:
    """Continuous token bucket: refills at ``rate`` tokens/second and holds at most ``capacity`` tokens.

    ``wait()`` says how long until one token is available without consuming; ``take()`` consumes one.
    """

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimits:
    """Slack-like limits, off unless ``FakeSlack.enforce_limits`` is called.

    * ``per_channel_per_sec``: chat.postMessage per channel (Slack's "1 message per second per channel").
      The bucket holds ``max(1, rate)`` tokens, so at 1.0/s there is no burst at all - stricter than Slack's
      "short bursts allowed", which is the safe side for benchmarks.
    * ``workspace_per_sec``: every Web API call together (not response_url posts); burst of ``max(1, rate)``.
    * ``conversations_open_per_min``: conversations.open; burst of one minute's worth (tier-style limits).

    Over a limit the call is answered 429 ``{"ok": false, "error": "ratelimited"}`` with an *integer*
    ``Retry-After`` = ceil(seconds until a token is free), at least 1. We deliberately do not send fractional
    values: Slack never does and slack_sdk's retry handler parses the header with ``int()``.
    A rejected call consumes no tokens.
    """

    def __init__(
        self,
        per_channel_per_sec: float | None,
        workspace_per_sec: float | None,
        conversations_open_per_min: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (
            ("per_channel_per_sec", per_channel_per_sec),
            ("workspace_per_sec", workspace_per_sec),
            ("conversations_open_per_min", conversations_open_per_min),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive or None")
        self._per_channel = per_channel_per_sec
        self._clock = clock
        now = clock()
        self._workspace = (
            TokenBucket(workspace_per_sec, max(1.0, workspace_per_sec), now) if workspace_per_sec else None
        )
        self._open = (
            TokenBucket(conversations_open_per_min / 60, max(1.0, conversations_open_per_min), now)
            if conversations_open_per_min
            else None
        )
        self._channels: dict[str, TokenBucket] = {}

    def check(self, method: str, channel: str | None) -> int | None:
        """Return a Retry-After in whole seconds if the call must be refused, else consume and return None."""
        now = self._clock()
        buckets: list[TokenBucket] = []
        if self._workspace is not None and method != "response_url":
            buckets.append(self._workspace)
        if self._open is not None and method == "conversations.open":
            buckets.append(self._open)
        if self._per_channel is not None and method == "chat.postMessage" and channel:
            rate = self._per_channel
            buckets.append(self._channels.setdefault(channel, TokenBucket(rate, max(1.0, rate), now)))
        wait = max((b.wait(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take(now)
        return None
