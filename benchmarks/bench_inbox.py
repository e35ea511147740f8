"""The ack-path cost of the durable inbox (issue 10): what committing a request before Slack's 200 costs.

A real `okrbot serve` subprocess takes signed requests over HTTP. Requests whose work runs after the ack
("deferred": thread-reply events, No change clicks) are committed to the inbox before the 200;
url_verification (answered by Bolt, no listener) and `/okr help` (a listener that answers through its
response_url, no inbox) are not.
Both kinds are measured one at a time on an idle server (each deferred request's work finished before the
next is sent) and CONCURRENCY at a time. Then `inbox_store.keep`, the write itself, is timed in this process:
statements per put and time per put, one at a time with the backlog growing, and CONCURRENCY at a time.

The same file runs against the commit before the inbox landed (see docs/performance.md): there the listeners
ran after the ack (process_before_response=False) and the put timing is skipped.
"""

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import event

from benchmarks.bench_fanout import services
from benchmarks.bench_serve import count_checkins, no_change_value, prompted, upgrade_stamp, wait_for_checkins
from benchmarks.org import Org, build_org
from benchmarks.report import Result
from benchmarks.serve_process import SIGNING_SECRET, serve
from bot.runtime import close
from bot.slack.ids import Action
from tests.fakes.signing import SlackRequests
from tests.fakes.slack_api import FakeSlack

CONCURRENCY = 20
LIMIT = 10_000  # OKRBOT_INBOX_LIMIT's default: each put first counts the open items against it


async def run(tiny: bool) -> Result:
    teams, per_team = (2, 10) if tiny else (100, 25)
    idle_n, n, puts = (4, 6, 50) if tiny else (100, _size("REQUESTS", 1000), _size("PUTS", 5000))
    with tempfile.TemporaryDirectory() as tmp:
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=5)
        size = {"owners": org.people, "idle_requests": idle_n, "requests": n, "concurrency": CONCURRENCY}
        result = Result("inbox", "the durable inbox: ack latency with and without the commit, and the put", size)
        await asyncio.to_thread(upgrade_stamp, org.url)
        async with FakeSlack() as fake:
            prompts = await prompted(fake, org)
            owners = iter(prompts)
            async with (
                serve(org.url, fake.base_url, fake.token, SLACK_MAX_MESSAGES_PER_SECOND="0") as (url, _p, _r),
                aiohttp.ClientSession() as http,
            ):
                load = Load(SlackRequests(url, SIGNING_SECRET, fake=fake, session=http), org, prompts, result)
                await load.idle([next(owners) for _ in range(idle_n)])
                await load.busy([next(owners) for _ in range(n)], [next(owners) for _ in range(n)], n)
            await put_cost(result, fake, org, puts)
    return result


def _size(name: str, default: int) -> int:
    """OKRBOT_BENCH_INBOX_REQUESTS / _PUTS: a medium size on a shared machine (full size took 16 min)."""
    return int(os.environ.get(f"OKRBOT_BENCH_INBOX_{name}", default))


class Load:
    def __init__(self, req: SlackRequests, org: Org, prompts: dict, result: Result) -> None:
        self.req, self.org, self.prompts, self.result = req, org, prompts, result
        self.errors = 0

    async def url_verification(self, _user: str = ""):
        body = '{"token": "legacy-verification-token", "challenge": "bench", "type": "url_verification"}'
        return await self.req.raw(body, "application/json")

    async def help(self, user: str):
        return await self.req.command("/okr", text="help", user_id=user)

    async def reply(self, user: str):
        return await self.req.message_im(user, "42 on track", thread_ts=self.prompts[user].ts)

    async def no_change(self, user: str):
        msg = self.prompts[user]
        return await self.req.block_action(user, Action.NO_CHANGE, no_change_value(msg), message=msg)

    async def timed(self, send, user: str) -> float:
        started = time.perf_counter()
        resp = await send(user)
        elapsed = time.perf_counter() - started
        self.errors += resp.status != 200
        return elapsed

    async def idle(self, users: list[str]) -> None:
        """One request at a time; a deferred one's check-in is stored before the next is sent."""
        plain = [await self.timed(self.url_verification, "") for _ in users]
        helps = [await self.timed(self.help, u) for u in users]
        kept = []
        for user in users:
            before = count_checkins(self.org)
            kept.append(await self.timed(self.reply, user))
            await wait_for_checkins(self.org, before + 1, timeout=30)
        self.add("idle, one at a time: url_verification (no listener)", plain)
        self.add("idle, one at a time: /okr help (listener, no inbox)", helps)
        self.add("idle, one at a time: thread reply (deferred)", kept)

    async def busy(self, repliers: list[str], clickers: list[str], n: int) -> None:
        """CONCURRENCY in flight: each kind in its own burst; deferred bursts wait until all is stored."""
        sem = asyncio.Semaphore(CONCURRENCY)

        async def burst(send, users: list[str]) -> list[float]:
            async def one(user: str) -> float:
                async with sem:
                    return await self.timed(send, user)

            return list(await asyncio.gather(*(one(u) for u in users)))

        self.add(f"concurrency {CONCURRENCY}: url_verification", await burst(self.url_verification, [""] * n))
        self.add(f"concurrency {CONCURRENCY}: /okr help", await burst(self.help, repliers))
        for label, send, users in (
            ("thread replies", self.reply, repliers),
            ("No change clicks", self.no_change, clickers),
        ):
            before = count_checkins(self.org)
            started = time.perf_counter()
            self.add(f"concurrency {CONCURRENCY}: {label} (deferred)", await burst(send, users))
            stored = await wait_for_checkins(self.org, before + len(users), timeout=300) - before
            self.result.add(
                f"  {label} stored / until all stored (s)", f"{stored} / {time.perf_counter() - started:.1f}"
            )
        self.result.add("errors (non-200)", self.errors, "0")

    def add(self, label: str, xs: list[float]) -> None:
        p = percentiles(xs)
        self.result.add(f"{label}: p50/p95/p99/max (ms)", " / ".join(f"{v:.1f}" for v in p), **{label: p})


async def put_cost(result: Result, fake: FakeSlack, org: Org, n: int) -> None:
    """inbox_store.keep alone, in this process, on the org's database (no workers: the backlog grows)."""
    try:  # absent before the inbox landed; the file also runs against that commit for the "before" numbers
        from bot.services.kernel import inbox_store
    except ImportError:
        result.add("inbox put", "no inbox in this checkout")
        return
    svc = services(fake, org, messages_per_second=0)
    statements = [0]
    event.listen(
        svc.db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1)
    )
    body = reply_body()
    try:
        times = []
        for i in range(n):
            started = time.perf_counter()
            await inbox_store.keep(svc, key=f"event:EvPUT{i:07d}", lane="U0PUT", payload={"body": body}, limit=LIMIT)
            times.append(time.perf_counter() - started)
        per_put = statements[0] / n
        first, last = percentiles(times[:100]), percentiles(times[-100:])
        result.add("put: SQL statements per put (+ 1 commit)", round(per_put, 1))
        result.add("put, one at a time: p50/p95/p99/max (ms)", " / ".join(f"{v:.2f}" for v in percentiles(times)))
        result.add(f"put: p50 of the first / last 100 (backlog 0 / {n})", f"{first[0]:.2f} / {last[0]:.2f} ms")
        started = time.perf_counter()
        await asyncio.gather(
            *(
                inbox_store.keep(svc, key=f"event:EvPAR{i:07d}", lane=f"U{i}", payload={"body": body}, limit=LIMIT)
                for i in range(n // 5)
            )
        )
        result.add(f"put, {n // 5} at once: puts/s", round(n // 5 / (time.perf_counter() - started)))
    finally:
        await close(svc)


def reply_body() -> dict:
    """A thread reply's event body, the size Slack sends (~1 KB)."""
    event_ = {
        "type": "message",
        "channel": "D0000001",
        "user": "U0PUT",
        "text": "42 on track, waiting on data",
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000001",
        "channel_type": "im",
        "team": "T0TEST",
        "client_msg_id": "8a7f3c1e-0000-4000-8000-000000000000",
        "event_ts": "1700000000.000100",
    }
    return {
        "token": "legacy-verification-token",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": event_,
        "type": "event_callback",
        "event_id": "Ev0PUT",
        "event_time": 1700000000,
        "authorizations": [{"team_id": "T0TEST", "user_id": "U0BOT", "is_bot": True}],
    }


def percentiles(xs: list[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99, max in milliseconds."""
    if len(xs) < 2:
        return (xs[0] * 1000,) * 4 if xs else (float("nan"),) * 4
    q = statistics.quantiles([x * 1000 for x in xs], n=100, method="inclusive")
    return q[49], q[94], q[98], max(xs) * 1000
