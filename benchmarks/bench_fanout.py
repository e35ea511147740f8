"""Fan-out overhead: every KR owner's Monday prompt, end to end (schedule, render, send, ledger), no limits.

The prompts go through the real tick (bot.services.kernel.tick.run_tick) and the real slack_sdk client to the
FakeSlack over loopback HTTP. The fake runs in this process, so its own request handling is included
in the measured time (it is the "Slack" side of every call).
"""

import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.org import Org, build_org, monday_instants
from benchmarks.report import Result
from bot.app import build_services
from bot.config import Settings
from bot.runtime import close
from bot.services.kernel.context import Services
from bot.services.kernel.tick import run_tick
from tests.fakes.slack_api import FakeSlack

ZONE = ["Europe/Berlin"]  # one zone: every prompt is due at the same instant


def services(fake: FakeSlack, org: Org, *, messages_per_second: float) -> Services:
    settings = Settings(
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET="bench",
        DATABASE_URL=org.url,
        SLACK_API_URL=fake.base_url,
        SLACK_MAX_MESSAGES_PER_SECOND=messages_per_second,
    )
    return build_services(settings)


async def prompt_everyone(svc: Services, zones: list[str]) -> float:
    """Run the tick at each zone's Monday 10:00; returns the summed seconds of those ticks."""
    return (await prompt_everyone_timed(svc, zones))[0]


async def prompt_everyone_timed(svc: Services, zones: list[str]) -> tuple[float, float]:
    """Run the tick at each zone's Monday 10:00; returns the summed (seconds, CPU seconds of this process:
    `process_time`, every thread, so the SQLite driver's thread counts)."""
    spent, cpu = 0.0, 0.0
    for at in monday_instants(zones):
        started, cpu_started = time.perf_counter(), time.process_time()
        await run_tick(svc, at)
        spent += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    return spent, cpu


def meter_fake(fake: FakeSlack) -> list[float]:
    """Accumulate the seconds the fake spends handling calls (it validates every block with slack_sdk's
    models): real Slack does that work on its own servers, so it is reported apart from okrbot's time.
    [0] is wall time, [1] CPU time (`thread_time`: the handling runs on the event loop's thread), which a
    machine shared with other work inflates far less."""
    spent = [0.0, 0.0]
    inner = fake.dispatch

    def dispatch(method: str, args: dict) -> dict:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return inner(method, args)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += time.thread_time() - cpu

    fake.dispatch = dispatch
    return spent


def deliveries(fake: FakeSlack, org: Org) -> tuple[int, int, int]:
    """(people prompted, duplicates, lost): from what the fake Slack actually accepted."""
    ok = [c for c in fake.calls_to("chat.postMessage") if c.status == 200 and c.response.get("ok")]
    per_person = Counter(c.args["channel"] for c in ok if not c.args.get("thread_ts"))
    owners = set(org.owners())
    dups = sum(n - 1 for who, n in per_person.items() if who in owners and n > 1)
    lost = len(owners - set(per_person))
    return len(owners) - lost, dups, lost


async def run(tiny: bool) -> Result:
    teams, per_team = (4, 5) if tiny else (500, 20)
    with tempfile.TemporaryDirectory() as tmp:
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=2, zones=ZONE)
        result = Result("fanout", "Fan-out overhead: Monday prompts, no rate limit", {"owners": org.people})
        async with FakeSlack() as fake:
            fake_cpu = meter_fake(fake)
            svc = services(fake, org, messages_per_second=0)  # unpaced: this measures our own overhead
            try:
                seconds, cpu = await prompt_everyone_timed(svc, ZONE)
            finally:
                await close(svc)
            prompted, dups, lost = deliveries(fake, org)
    result.add("prompts sent", prompted)
    result.add("tick time (s), incl. the in-process fake Slack", round(seconds, 2))
    result.add("  of which the fake Slack's handling (s)", round(fake_cpu[0], 2))
    rate = prompted / seconds
    own = prompted / max(seconds - fake_cpu[0], 1e-9)
    result.add("prompts/s end to end", round(rate, 1), ">= 1,000/s", vs_target=round(rate / 1000, 2))
    result.add("prompts/s, okrbot's own time", round(own, 1), ">= 1,000/s", own_vs_target=round(own / 1000, 2))
    own_cpu = cpu - fake_cpu[1]
    result.add("CPU of the process (s); of it the fake's", f"{cpu:.2f}; {fake_cpu[1]:.2f}")
    result.add("prompts per CPU second, okrbot's own", round(prompted / max(own_cpu, 1e-9), 1), ">= 1,000/s")
    result.add("duplicates", dups, "0")
    result.add("lost", lost, "0")
    return result
