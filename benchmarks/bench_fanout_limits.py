"""Fan-out efficiency under Slack's limits: the paced sender vs a naive conversations.open + postMessage loop.

The fake enforces 1 message/s per channel, CAP calls/s per workspace and Tier 3's 50/min on
conversations.open, answering 429 + Retry-After past them. Efficiency = ideal time (N / CAP) / measured.
"""

import tempfile
import time
from pathlib import Path

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.bench_fanout import ZONE, deliveries, prompt_everyone, services
from benchmarks.org import build_org
from benchmarks.report import Result
from bot.runtime import close
from tests.fakes.slack_api import FakeSlack

OPEN_PER_MIN = 50  # conversations.open, Tier 3


async def run(tiny: bool) -> Result:
    teams, per_team, cap, naive_n = (4, 10, 20.0, 8) if tiny else (500, 20, 200.0, 100)
    with tempfile.TemporaryDirectory() as tmp:
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=2, zones=ZONE)
        size = {"owners": org.people, "workspace_cap_per_s": cap}
        result = Result("fanout_limits", "Fan-out efficiency against Slack-like rate limits", size)
        async with FakeSlack() as fake:
            fake.enforce_limits(per_channel_per_sec=1, workspace_per_sec=cap, conversations_open_per_min=OPEN_PER_MIN)
            svc = services(fake, org, messages_per_second=cap)  # SLACK_MAX_MESSAGES_PER_SECOND = the cap
            try:
                seconds = await prompt_everyone(svc, ZONE)
            finally:
                await close(svc)
            prompted, dups, lost = deliveries(fake, org)
            limited = fake.rate_limited_count
        async with FakeSlack() as fake:
            fake.enforce_limits(per_channel_per_sec=1, workspace_per_sec=cap, conversations_open_per_min=OPEN_PER_MIN)
            naive_s = await naive(fake, org.owners()[:naive_n])
            naive_limited = fake.rate_limited_count
    ideal = prompted / cap
    eff = ideal / seconds
    result.add("prompts sent (paced sender)", prompted)
    result.add("ideal time N/cap (s)", round(ideal, 2))
    result.add("measured time (s)", round(seconds, 2))
    result.add("efficiency", round(eff, 3), ">= 0.95", vs_target=round(eff / 0.95, 3))
    result.add("429s", limited)
    result.add("duplicates", dups, "0")
    result.add("lost", lost, "0")
    per_user = naive_s / naive_n
    result.add(f"naive loop: {naive_n} users (s)", round(naive_s, 2))
    result.add("naive loop: 429s", naive_limited)
    extrapolated = _extrapolate(naive_s, naive_n, org.people)
    result.add(f"naive loop extrapolated to {org.people} (s)", round(extrapolated, 1), naive_per_user_s=per_user)
    result.add("naive efficiency (extrapolated)", round(ideal / extrapolated, 4))
    return result


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
