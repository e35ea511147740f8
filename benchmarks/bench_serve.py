"""Ack latency, ingest and memory of `okrbot serve` (a real subprocess, production mode) on the big org.

One serve process takes, in order: the ack-latency load (slash commands, button clicks, thread replies),
then the ingest load (thread-reply check-ins); its peak RSS is read after both, and its start-up time
(exec to /healthz answering) before. Prompts are sent first by running the real tick in this process
against the same database and fake Slack, so buttons and thread replies have prompt messages to act on.
"""

import asyncio
import contextlib
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.bench_fanout import prompt_everyone, services
from benchmarks.org import ZONES, Org, build_org
from benchmarks.report import Result
from benchmarks.serve_process import SIGNING_SECRET, peak_rss_mb, serve
from bot.runtime import close
from bot.slack.ids import Action
from tests.fakes.signing import SlackRequests
from tests.fakes.slack_api import FakeSlack

CONCURRENCY = 20


async def run(tiny: bool) -> Result:
    teams, per_team = (4, 10) if tiny else (_size("TEAMS", 500), 20)
    requests, ingest = (40, 20) if tiny else (_size("REQUESTS", 2000), _size("INGEST", 5000))
    with tempfile.TemporaryDirectory() as tmp:
        home = float(os.environ.get("OKRBOT_BENCH_SERVE_HOME", 1))  # the share of people who use the Home tab
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=10, home_share=home)
        size = {"teams": teams, "krs": org.krs, "checkins": org.checkins, "requests": requests, "ingest": ingest}
        size["home users"] = home
        result = Result("serve", "okrbot serve: ack latency, ingest, memory and start-up", size)
        await asyncio.to_thread(upgrade_stamp, org.url)  # alembic drives its own event loop
        async with FakeSlack() as fake:
            prompts = await prompted(fake, org)
            # Unpaced: the fake enforces no limit, and this measures okrbot's own capacity. In production the
            # thread confirmations would drain at SLACK_MAX_MESSAGES_PER_SECOND after the check-ins are stored.
            unpaced = {"SLACK_MAX_MESSAGES_PER_SECOND": "0"}
            # OKRBOT_BENCH_SERVE_WORK: that many `okrbot work` processes beside the serve (a second core's worth);
            # OKRBOT_BENCH_SERVE_WEB_ONLY=1: the serve only acks and keeps (`--web-only`), they do all the work.
            work, web_only = [None] * _size("WORK", 0), bool(_size("WEB_ONLY", 0))
            size |= {"work processes": len(work), "web only": web_only}
            layout = {"work": work, "web_only": web_only}
            async with (
                serve(org.url, fake.base_url, fake.token, **layout, **unpaced) as (url, proc, ready),
                aiohttp.ClientSession() as http,
            ):
                req = SlackRequests(url, SIGNING_SECRET, fake=fake, session=http)
                pids = [proc.pid, *(p.pid for p in work)]
                await ack_latency(result, req, org, prompts, requests)
                await ingest_load(result, req, org, prompts, ingest, skip=requests, pids=pids)
                rss = peak_rss_mb(proc.pid)
                for n, p in enumerate(work, 1):
                    result.add(f"peak RSS of work process {n} (MB)", round(peak_rss_mb(p.pid), 1))
            # The after-check-in refreshes both loads caused (coalesced: kernel.effects_due), once the process is quiet
            result.add("Home tabs published (views.publish)", len(fake.calls_to("views.publish")))
            result.add("posted digests edited (chat.update)", len(fake.calls_to("chat.update")))
        result.add("start-up to /healthz (s)", round(ready, 3), "<= 2 s", startup_vs_target=round(ready / 2, 2))
        result.add("peak RSS after both loads (MB)", round(rss, 1), "<= 150 MB", rss_vs_target=round(rss / 150, 2))
    return result


def _size(name: str, default: int) -> int:
    """OKRBOT_BENCH_SERVE_TEAMS / _REQUESTS / _INGEST: a medium size on a shared machine (full size is long).
    OKRBOT_BENCH_SERVE_HOME (0 to 1, default 1): the share of people who opened Home, so whose check-ins refresh it."""
    return int(os.environ.get(f"OKRBOT_BENCH_SERVE_{name}", default))


async def prompted(fake: FakeSlack, org) -> dict:
    """The real tick sends every owner's Monday prompt (unpaced); returns each owner's prompt message."""
    svc = services(fake, org, messages_per_second=0)
    try:
        await prompt_everyone(svc, ZONES)
    finally:
        await close(svc)
    return first_messages(fake, org.owners())


async def mixed_request(req: SlackRequests, i: int, user: str, prompts: dict):
    """Request i of the ack load's mix, a quarter each: /okr team, /okr mine, a No change click, a thread reply."""
    if i % 4 == 0:
        return await req.command("/okr", text="team", user_id=user)
    if i % 4 == 1:
        return await req.command("/okr", text="mine", user_id=user)
    msg = prompts[user]
    if i % 4 == 2:
        return await req.block_action(user, Action.NO_CHANGE, no_change_value(msg), message=msg)
    return await req.message_im(user, "42 on track", thread_ts=msg.ts)


def first_messages(fake: FakeSlack, users: list[str]) -> dict:
    """Each user's first DM message (their prompt), in one pass: asking the fake per user is O(users²)."""
    first: dict = {}
    for message in fake.messages():
        first.setdefault(message.channel, message)
    return {u: first[c] for u in users if (c := fake.dm_channel(u)) in first}


def no_change_value(message) -> str:
    for block in message.blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == Action.NO_CHANGE:
                return element["value"]
    raise LookupError("prompt without a No change button")


@contextlib.asynccontextmanager
async def loop_lag(every: float = 0.005):
    """The lateness (ms) of a sleep of `every` seconds, again and again, while the block runs: the client measuring
    the acks shares its event loop with the fake Slack, which answers the work process's Web API calls (and
    validates their Block Kit) meanwhile; a late loop is latency the client adds, not okrbot."""
    lags: list[float] = []

    async def watch() -> None:
        loop = asyncio.get_running_loop()
        while True:
            at = loop.time()
            await asyncio.sleep(every)
            lags.append((loop.time() - at - every) * 1000)

    task = asyncio.create_task(watch())
    try:
        yield lags
    finally:
        task.cancel()


async def ack_latency(result: Result, req: SlackRequests, org: Org, prompts: dict, n: int) -> None:
    """n requests at CONCURRENCY in flight: /okr team, /okr mine, No change clicks, thread replies."""
    owners = [u for u in org.owners() if u in prompts]
    latencies: list[float] = []
    errors = 0
    expected_checkins = 0
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        nonlocal errors
        user = owners[(i // 4) % len(owners)]
        async with sem:
            started = time.perf_counter()
            resp = await mixed_request(req, i, user, prompts)
            latencies.append(time.perf_counter() - started)
        errors += resp.status != 200

    expected_checkins = sum(1 for i in range(n) if i % 4 in (2, 3))
    before = count_checkins(org)
    async with loop_lag() as lags:
        await asyncio.gather(*(one(i) for i in range(n)))
    q = statistics.quantiles([x * 1000 for x in latencies], n=100)
    result.add("ack p50 (ms)", round(q[49], 1))
    result.add("ack p95 (ms)", round(q[94], 1))
    result.add("ack p99 (ms)", round(q[98], 1), "<= 50 ms (Slack: 3,000)", p99_vs_target=round(q[98] / 50, 2))
    result.add("ack max (ms)", round(max(latencies) * 1000, 1))
    result.add("ack errors (non-200)", errors, "0")
    if len(lags) >= 2:  # how late this process's own loop ran meanwhile: part of every latency measured here
        lag = statistics.quantiles(lags, n=100)
        result.add("this process's loop lag p99 / max meanwhile (ms)", f"{lag[98]:.1f} / {max(lags):.1f}")
    stored = await wait_for_checkins(org, before + expected_checkins, timeout=120)
    result.add("check-ins from the ack load stored", stored - before, f"= {expected_checkins}")


async def ingest_load(
    result: Result, req: SlackRequests, org: Org, prompts: dict, n: int, *, skip: int, pids: list[int]
) -> None:
    """n thread-reply check-ins (distinct owners not used by the ack load) at CONCURRENCY in flight."""
    owners = [u for u in org.owners() if u in prompts][skip // 4 + 1 :][:n]
    before = count_checkins(org)
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(user: str) -> int:
        async with sem:
            return (await req.message_im(user, "55 at risk, waiting on data", thread_ts=prompts[user].ts)).status

    cpu_before = cpu_seconds(*pids)
    started = time.perf_counter()
    statuses = await asyncio.gather(*(one(u) for u in owners))
    sent = time.perf_counter() - started
    stored = await wait_for_checkins(org, before + len(owners), timeout=300) - before
    elapsed = time.perf_counter() - started
    cpu_stored = cpu_seconds(*pids) - cpu_before
    cpu_all = await cpu_until_quiet(*pids) - cpu_before  # the deferred effects (Home tab, digest edits) included
    rate = stored / elapsed
    result.add("ingest: replies sent", len(owners))
    result.add("ingest: HTTP errors", sum(s != 200 for s in statuses), "0")
    result.add("ingest: sending took (s)", round(sent, 2))
    result.add("ingest: until all stored (s)", round(elapsed, 2))
    result.add("ingest: check-ins/s sustained", round(rate, 1), ">= 200/s", ingest_vs_target=round(rate / 200, 2))
    result.add("ingest: lost", len(owners) - stored, "0")
    result.add("ingest: serve CPU per reply until stored (ms)", round(cpu_stored * 1000 / max(stored, 1), 1))
    result.add("ingest: serve CPU per reply incl. after-effects (ms)", round(cpu_all * 1000 / max(stored, 1), 1))


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time of processes (all their threads), from /proc (Linux)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def cpu_until_quiet(*pids: int, quiet: float = 0.02, timeout: float = 120) -> float:
    """The processes' CPU time once they have used less than `quiet` of a core for a second (the backlog is done)."""
    deadline = time.perf_counter() + timeout
    last = cpu_seconds(*pids)
    while time.perf_counter() < deadline:
        await asyncio.sleep(1)
        now = cpu_seconds(*pids)
        if now - last < quiet:
            return now
        last = now
    return last


def count_checkins(org: Org) -> int:
    with sqlite3.connect(org.path) as db:
        return db.execute("SELECT count(*) FROM check_in").fetchone()[0]


async def wait_for_checkins(org: Org, expected: int, *, timeout: float) -> int:
    """Production mode acks first and works after: poll the database until the rows are there (or time out)."""
    deadline = time.perf_counter() + timeout
    while (count := await asyncio.to_thread(count_checkins, org)) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    return count


def upgrade_stamp(url: str) -> None:
    """The org was built from the models; mark it migrated so `serve`'s upgrade is a no-op."""
    from alembic import command

    from storage.migrate import alembic_config

    command.stamp(alembic_config(url), "head")
