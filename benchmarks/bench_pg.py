"""PostgreSQL beside SQLite, in one run, at one size: fan-out, digests, ack latency and ingest, 1 and 2 web workers.

The PostgreSQL server is a throwaway of this benchmark's own (benchmarks/pg_server.py: scripts/pg.sh, loopback,
fsync off as in the tests); without PostgreSQL installed the benchmark says so and is skipped. Each database
gets the same synthetic org (benchmarks.org, copied into PostgreSQL by benchmarks.org_pg) and the same loads,
through the same code as the SQLite benchmarks (bench_fanout, bench_digests, bench_serve). The serve load runs
against real `okrbot serve --no-scheduler` subprocesses, its requests spread round robin over their ports;
the prompts they act on are sent first by the tick, run in this process as the scheduler.
Size: OKRBOT_BENCH_PG_TEAMS teams of 20 KRs (default 100: 2,000 KRs).
"""

import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import pg_server
from benchmarks.bench_digests import digest_all
from benchmarks.bench_fanout import deliveries, meter_fake, prompt_everyone, services
from benchmarks.bench_serve import mixed_request, prompted, upgrade_stamp
from benchmarks.org import ZONES, Org, build_org
from benchmarks.org_pg import to_postgres
from benchmarks.report import Result
from benchmarks.serve_process import SIGNING_SECRET, serve
from bot.runtime import close
from tests.fakes.signing import SlackRequests
from tests.fakes.slack_api import FakeSlack

PER_TEAM = 20
CONCURRENCY = 20
DATABASES = ("sqlite", "postgresql")


def progress(what: str) -> None:
    """A line per step on stderr: the full run takes minutes, and a stuck step should show which one."""
    print(f"pg: {time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


class SpreadRequests(SlackRequests):
    """Signed requests sent round robin to several workers, as a load balancer would: one id sequence for all,
    so two workers never see the same event id (the inbox would rightly keep a repeated one once)."""

    def __init__(self, bases: list[str], *args, seq: itertools.count, **kw) -> None:
        super().__init__(bases[0], *args, **kw)
        self._seq = seq  # shared by every load on one database: a fresh count would repeat event ids
        self._urls = itertools.cycle([b.rstrip("/") + "/slack/events" for b in bases])

    async def _post(self, http, data, headers):
        self.url = next(self._urls)  # read by the base class before its first await
        return await super()._post(http, data, headers)


class Place:
    """Where one database's orgs live: a SQLite file, or a fresh database on the throwaway server."""

    def __init__(self, kind: str, tmp: Path, server: pg_server.PgServer | None) -> None:
        self.kind, self.tmp, self.server = kind, tmp, server

    async def org(self, name: str, **build) -> Org:
        org = build_org(self.tmp / f"{self.kind}-{name}.db", **build)
        if self.kind == "sqlite":
            return org
        engine = create_async_engine(self.server.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "bench_{name}"'))
        finally:
            await engine.dispose()
        return await to_postgres(org, self.server.url(f"bench_{name}"))


async def run(tiny: bool) -> Result:
    teams = 4 if tiny else int(os.environ.get("OKRBOT_BENCH_PG_TEAMS", "100"))
    krs = teams * PER_TEAM
    # Each web-worker count gets its own owners: an ack-load quarter (4 requests each) and an ingest share.
    requests, ingest = (8, 8) if tiny else (krs // 5 * 2, krs * 3 // 10)
    size = {"teams": teams, "krs": krs, "requests": requests, "ingest": ingest}
    result = Result("pg", "PostgreSQL beside SQLite: one org, the same loads", size)
    if not pg_server.available():
        print("pg: PostgreSQL (initdb/pg_ctl) is not installed here; skipped (scripts/pg.sh installs it as root)")
        result.add("skipped", "PostgreSQL not installed")
        return result
    with tempfile.TemporaryDirectory() as tmp:
        server = await asyncio.to_thread(pg_server.PgServer(Path(tmp) / "pg-state").start)
        try:
            for kind in DATABASES[1:] if tiny else DATABASES:  # tiny: the SQLite benchmarks cover SQLite
                place = Place(kind, Path(tmp), server)
                progress(f"{kind}: fan-out")
                await fanout(result, place, teams)
                progress(f"{kind}: digests")
                await digests(result, place, teams)
                progress(f"{kind}: serve")
                await serve_loads(result, place, teams, requests, ingest)
        finally:
            await asyncio.to_thread(server.destroy)
    return result


async def fanout(result: Result, place: Place, teams: int) -> None:
    zone = ["Europe/Berlin"]
    org = await place.org("fanout", teams=teams, krs_per_team=PER_TEAM, checkins_per_kr=2, zones=zone)
    async with FakeSlack() as fake:
        fake_cpu = meter_fake(fake)
        svc = services(fake, org, messages_per_second=0)
        try:
            seconds = await prompt_everyone(svc, zone)
        finally:
            await close(svc)
        prompted, dups, lost = deliveries(fake, org)
    own = prompted / max(seconds - fake_cpu[0], 1e-9)
    result.add(f"[{place.kind}] fan-out: prompts sent (lost, duplicates)", f"{prompted} ({lost}, {dups})")
    result.add(f"[{place.kind}] fan-out: prompts/s end to end", round(prompted / seconds, 1))
    result.add(f"[{place.kind}] fan-out: prompts/s, okrbot's own time", round(own, 1), ">= 1,000/s")


async def digests(result: Result, place: Place, teams: int) -> None:
    org = await place.org("digests", teams=teams, krs_per_team=PER_TEAM, checkins_per_kr=10, managers=False)
    async with FakeSlack() as fake:
        fake_cpu = meter_fake(fake)
        seconds, statements, posted, _cpu = await digest_all(fake, org, ZONES)
    result.add(f"[{place.kind}] digests: posted", posted, f"= {teams}")
    result.add(f"[{place.kind}] digests: total time (s)", round(seconds, 2))
    result.add(f"[{place.kind}] digests: of which the fake Slack (s)", round(fake_cpu[0], 2))
    result.add(f"[{place.kind}] digests: SQL statements per team", round(statements / max(posted, 1), 1))


# The serve loads' process layouts: (web workers, web-only, `okrbot work` processes beside them), and their tags.
LAYOUTS = ((1, False, 0, "1 worker"), (2, False, 0, "2 workers"), (1, True, 1, "web-only + 1 work"))


async def serve_loads(result: Result, place: Place, teams: int, requests: int, ingest: int) -> None:
    share = requests // 4 + ingest  # each layout's own owners: a second reply in a thread would be a correction
    teams = max(teams, -(-share * len(LAYOUTS) // PER_TEAM))
    org = await place.org("serve", teams=teams, krs_per_team=PER_TEAM, checkins_per_kr=10)
    await asyncio.to_thread(upgrade_stamp, org.url)
    async with FakeSlack() as fake:
        prompts = await prompted(fake, org)  # the scheduler's tick: the prompts the requests act on
        owners = [u for u in org.owners() if u in prompts]
        seq = itertools.count(1)
        for n, (workers, web_only, work, label) in enumerate(LAYOUTS):
            mine = owners[n * share : (n + 1) * share]
            async with AsyncExitStack() as stack:
                bases = []
                for _ in range(workers):
                    base, _proc, _ready = await stack.enter_async_context(
                        serve(
                            org.url,
                            fake.base_url,
                            fake.token,
                            work=[None] * work,
                            web_only=web_only,
                            SLACK_MAX_MESSAGES_PER_SECOND="0",
                        )
                    )
                    bases.append(base)
                http = await stack.enter_async_context(aiohttp.ClientSession())
                req = SpreadRequests(bases, SIGNING_SECRET, fake=fake, session=http, seq=seq)
                tag = f"[{place.kind}, {label}]"
                progress(f"{tag} ack latency, then ingest")
                await ack_latency(result, tag, req, org, prompts, mine[: requests // 4], requests)
                await ingest_load(result, tag, req, org, prompts, mine[requests // 4 :])


async def ack_latency(result: Result, tag: str, req, org: Org, prompts: dict, owners: list[str], n: int) -> None:
    """n requests at CONCURRENCY in flight, 4 per owner: /okr team, /okr mine, a No change click, a thread reply
    (bench_serve's mix)."""
    latencies: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        nonlocal errors
        user = owners[(i // 4) % len(owners)]
        async with sem:
            started = time.perf_counter()
            resp = await mixed_request(req, i, user, prompts)
            latencies.append(time.perf_counter() - started)
        errors += resp.status != 200

    before = await count_checkins(org.url)
    await asyncio.gather(*(one(i) for i in range(n)))
    q = statistics.quantiles([x * 1000 for x in latencies], n=100)
    expected = n // 2
    stored = await wait_for_checkins(org.url, before + expected, timeout=300) - before
    result.add(f"{tag} ack p50 / p95 / p99 (ms)", f"{q[49]:.1f} / {q[94]:.1f} / {q[98]:.1f}", "p99 <= 50 ms")
    result.add(f"{tag} ack errors (non-200); check-ins stored", f"{errors}; {stored} of {expected}")


async def ingest_load(result: Result, tag: str, req, org: Org, prompts: dict, owners: list[str]) -> None:
    before = await count_checkins(org.url)
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(user: str) -> int:
        async with sem:
            return (await req.message_im(user, "55 at risk, waiting on data", thread_ts=prompts[user].ts)).status

    started = time.perf_counter()
    statuses = await asyncio.gather(*(one(u) for u in owners))
    stored = await wait_for_checkins(org.url, before + len(owners), timeout=600) - before
    rate = stored / (time.perf_counter() - started)
    result.add(f"{tag} ingest: check-ins/s sustained", round(rate, 1), ">= 200/s")
    result.add(f"{tag} ingest: HTTP errors; lost", f"{sum(s != 200 for s in statuses)}; {len(owners) - stored}", "0; 0")


async def count_checkins(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM check_in"))).scalar_one()
    finally:
        await engine.dispose()


async def wait_for_checkins(url: str, expected: int, *, timeout: float) -> int:
    """The workers ack first and work after: poll until the rows are there (or time out)."""
    deadline = time.perf_counter() + timeout
    while (count := await count_checkins(url)) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    return count
