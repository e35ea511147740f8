"""Fan-out efficiency under Slack-like limits: the paced sender vs a naive conversations.open + postMessage loop.

The fake enforces CAP calls/s per workspace (burst of one second's worth), 1 message/s per channel and Tier 3's
50/min on conversations.open, answering 429 + Retry-After past them, and every call takes LATENCY seconds (half
before the limits are checked, half after: the way there and back). okrbot is configured at the cap
(SLACK_MAX_MESSAGES_PER_SECOND = CAP) and its pacer aims HEADROOM under it. Efficiency = ideal time (N / CAP) /
measured time of the tick.
"""

import asyncio
import tempfile
import time
from pathlib import Path

from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.bench_fanout import ZONE, deliveries, prompt_everyone, services
from benchmarks.org import build_org
from benchmarks.report import Result
from bot.runtime import close
from bot.slack.pacer import HEADROOM
from tests.fakes.slack_api import FakeSlack

CAP = 10.0  # messages/s per workspace, the fake's and okrbot's configured rate
LATENCY = 0.2  # seconds per call
OPEN_PER_MIN = 50  # conversations.open, Tier 3


class SlowSlack(FakeSlack):
    """The fake Slack with a fixed round trip per Web API call."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency

    async def _handle_api(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency / 2)
        response = await super()._handle_api(request)
        await asyncio.sleep(self.latency / 2)
        return response


async def _loop_lag(lags: list[float], every: float = 0.02) -> None:
    """How late the event loop wakes a sleeper: stalls here delay the pacer's sends (and the in-process fake)."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - started - every)


def limited(fake: FakeSlack) -> FakeSlack:
    fake.enforce_limits(per_channel_per_sec=1, workspace_per_sec=CAP, conversations_open_per_min=OPEN_PER_MIN)
    return fake


async def run(tiny: bool) -> Result:
    teams, per_team, naive_n = (4, 5, 4) if tiny else (100, 20, 25)
    with tempfile.TemporaryDirectory() as tmp:
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=2, zones=ZONE)
        size = {"owners": org.people, "workspace_cap_per_s": CAP, "latency_s": LATENCY}
        result = Result("fanout_limits", "Fan-out efficiency against Slack-like rate limits", size)
        async with SlowSlack(LATENCY) as fake:
            svc = services(limited(fake), org, messages_per_second=CAP)
            lags: list[float] = []
            monitor = asyncio.create_task(_loop_lag(lags))
            started = time.time()  # the fake records calls on time.time()
            try:
                seconds = await prompt_everyone(svc, ZONE)
            finally:
                monitor.cancel()
                await close(svc)
            pacer = svc.notifier.pacer
            first = min((c.at for c in fake.calls_to("chat.postMessage")), default=started)
            result.add("first prompt reached Slack after (s): planning, claims, render", round(first - started, 2))
            result.add("event loop: longest stall (s)", round(max(lags, default=0.0), 3))
            result.add("event loop: stalls over 0.1 s", sum(lag > 0.1 for lag in lags))
            result.add("pacer: sends woken late, given a later slot", pacer.late_rebooked)
            result.add("pacer: sends woken late, caught up at once (burst allowance)", pacer.caught_up)
            result.add("idle time between sends beyond one slot (s)", _idle(fake, pacer.ceiling))
            result.add("pacer: 429s taken as workspace-wide", pacer.workspace_holds)
            prompted, dups, lost = deliveries(fake, org)
            calls = len(fake.calls_to("chat.postMessage"))
            refused = fake.rate_limited_count
        async with SlowSlack(LATENCY) as fake:
            naive_s = await naive(limited(fake), org.owners()[:naive_n])
            naive_limited = fake.rate_limited_count
    _report(result, prompted, seconds, calls, refused, dups, lost)
    _report_naive(result, naive_s, naive_n, naive_limited, org.people, prompted / CAP)
    return result


def _idle(fake: FakeSlack, rate: float) -> float:
    """Seconds the limit went unused between the first and the last send (gaps longer than one slot, less the
    slot): what stalls, waits between batches and rebooked senders cost, as the fake saw it."""
    ats = sorted(c.at for c in fake.calls_to("chat.postMessage"))
    gap = 1 / rate
    return round(sum(b - a - gap for a, b in zip(ats, ats[1:], strict=False) if b - a > 1.5 * gap), 2)


def _report(result: Result, prompted: int, seconds: float, calls: int, refused: int, dups: int, lost: int) -> None:
    ideal = prompted / CAP
    eff = ideal / seconds
    result.add("prompts sent (paced sender)", prompted)
    result.add("pacer headroom (aims at this fraction of the cap)", HEADROOM)
    result.add("ideal time N/cap (s)", round(ideal, 2))
    result.add("measured time (s)", round(seconds, 2))
    result.add("efficiency", round(eff, 3), ">= 0.95", vs_target=round(eff / 0.95, 3))
    result.add("chat.postMessage calls (incl. retries)", calls)
    result.add("429s", refused)
    share = refused / max(calls, 1)
    result.add("share of calls answered 429 (%)", round(100 * share, 2), "<= 1 %")
    result.add("duplicates", dups, "0")
    result.add("lost", lost, "0")


def _report_naive(result: Result, seconds: float, n: int, refused: int, total: int, ideal: float) -> None:
    result.add(f"naive loop: {n} users (s)", round(seconds, 2))
    result.add("naive loop: 429s", refused)
    extrapolated = _extrapolate(seconds, n, total)
    result.add(f"naive loop extrapolated to {total} (s)", round(extrapolated, 1), naive_per_user_s=seconds / n)
    result.add("naive efficiency (extrapolated)", round(ideal / extrapolated, 4))


def _extrapolate(seconds: float, n: int, total: int) -> float:
    """The first minute's burst of conversations.open goes at the measured pace; past it the loop is bound
    by Tier 3's 50/min (1.2 s a user), whatever okrbot or the network do."""
    if n > OPEN_PER_MIN:
        return seconds + (total - n) * 60 / OPEN_PER_MIN
    return seconds / n * min(total, OPEN_PER_MIN) + max(0, total - OPEN_PER_MIN) * 60 / OPEN_PER_MIN


async def naive(fake: FakeSlack, users: list[str]) -> float:
    """conversations.open then chat.postMessage, one user after another, with slack_sdk's 429 retry handler."""
    client = AsyncWebClient(
        token=fake.token, base_url=fake.base_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=50)]
    )
    started = time.perf_counter()
    for user in users:
        channel = (await client.conversations_open(users=user))["channel"]["id"]
        await client.chat_postMessage(channel=channel, text="Time for your weekly check-in")
    return time.perf_counter() - started
