"""Several real processes on one PostgreSQL: 4 ticks at once, and 2 web workers of which one is SIGKILLed.

Counts what a person would notice: a prompt or digest sent twice, a reply recorded twice, a reply lost.
"""

import asyncio
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.bench_fanout import services
from benchmarks.bench_serve import upgrade_stamp
from benchmarks.org import build_org
from benchmarks.org_pg import PgOrg, copy_to_postgres
from benchmarks.serve_process import SIGNING_SECRET
from bot.runtime import close
from bot.services.kernel.tick import run_tick
from tests import pg
from tests.fakes.signing import SlackRequests
from tests.reliability.helpers import wait_for
from tests.reliability.test_inbox_durability import MONDAY_10_UTC, start_serve
from tests.reliability.test_two_schedulers import scheduler
from tests.scenario import digest_seed
from tests.scenario.seed import ledger_rows

pytestmark = [pytest.mark.slow, pytest.mark.pg_only(reason="several processes on one PostgreSQL server")]
OWNERS = 120


async def prompted_pg_org(fake, tmp_path: Path) -> tuple[PgOrg, dict]:
    org = build_org(tmp_path / "org.db", teams=4, krs_per_team=OWNERS // 4, checkins_per_kr=0)
    with sqlite3.connect(org.path) as db:  # everyone in UTC: all prompts due at one instant
        db.execute("UPDATE person SET tz = 'UTC'")
    moved = PgOrg(org.path, org.teams, org.people, org.krs, org.checkins)
    moved.pg_url = pg.database_url(tmp_path / "pg-org")
    await copy_to_postgres(org, moved.pg_url)
    await asyncio.to_thread(upgrade_stamp, moved.pg_url)
    svc = services(fake, moved, messages_per_second=0)
    try:
        await run_tick(svc, MONDAY_10_UTC)
    finally:
        await close(svc)
    prompts = {u: fake.messages(u)[0] for u in org.owners() if fake.messages(u)}
    assert len(prompts) == OWNERS
    return moved, prompts


async def _scalar_rows(url: str, sql: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(text(sql)))
    finally:
        await engine.dispose()


async def test_four_tick_processes_at_once_send_every_prompt_and_digest_exactly_once(bot, tmp_path):
    await digest_seed.seed(bot)
    await asyncio.gather(*(scheduler(bot, tmp_path) for _ in range(4)))  # 4 processes, each every instant

    posts = [c for c in bot.fake.calls_to("chat.postMessage") if c.ok]
    same = Counter((c.args["channel"], c.args.get("thread_ts"), c.args["text"]) for c in posts)
    assert [key for key, n in same.items() if n > 1] == []
    assert len(bot.fake.messages("C0GROWTH")) == 1 and len(bot.fake.messages("C0PLATFORM")) == 1
    for person in ("U0ALICE", "U0BOB"):
        prompts = [m for m in bot.dm(person) if m.thread_ts is None and "check-in" in (m.text or "").lower()]
        assert len(prompts) == 1, (person, [m.text for m in bot.dm(person)])
    for kind in ("prompt", "digest", "manager_digest"):
        rows = await ledger_rows(bot, kind)
        keys = Counter((r.recipient, r.period) for r in rows)
        assert rows and max(keys.values()) == 1, kind


async def test_two_web_workers_one_killed_mid_work_lose_and_double_nothing(fake_slack, tmp_path):
    org, prompts = await prompted_pg_org(fake_slack, tmp_path)
    fake_slack.reset_calls()
    fake_slack.hang_next("chat.postMessage", times=100_000, seconds=0.3)  # slow Slack: work piles up in both
    (victim, victim_url), (survivor, survivor_url) = [await start_serve(fake_slack, org.url) for _ in range(2)]
    try:
        async with aiohttp.ClientSession() as http:
            reqs = [SlackRequests(u, SIGNING_SECRET, fake=fake_slack, session=http) for u in (victim_url, survivor_url)]
            sem = asyncio.Semaphore(20)

            async def reply(i: int, user: str) -> int:
                async with sem:  # a load balancer's round robin
                    # One event id per reply: two SlackRequests would each count from 1, and the inbox would
                    # (rightly) keep a repeated id once.
                    sent = await reqs[i % 2].message_im(user, "42", thread_ts=prompts[user].ts, event_id=f"Ev{user}")
                    return sent.status

            statuses = await asyncio.gather(*(reply(i, u) for i, u in enumerate(prompts)))
        held_sql = f"SELECT count(*) FROM inbox_item WHERE state = 'claimed' AND owner LIKE '%:{victim.pid}:%'"

        async def victim_busy() -> bool:
            return (await _scalar_rows(org.url, held_sql))[0][0] > 0

        await wait_for(victim_busy, timeout=60, every=0.05)  # each item holds a 0.3 s Slack call: still in flight
        victim.send_signal(signal.SIGKILL)  # mid-work: its claimed items are in flight
        assert statuses == [200] * OWNERS
        assert await asyncio.to_thread(victim.wait, 30) == -signal.SIGKILL
        held = await _scalar_rows(org.url, held_sql)
        assert held[0][0] > 0, "the kill came after the victim's work was done: the test proves nothing"
        fake_slack.clear_faults()

        async def drained() -> bool:
            rows = await _scalar_rows(org.url, "SELECT count(*) FROM inbox_item WHERE state IN ('pending', 'claimed')")
            return rows[0][0] == 0

        await wait_for(drained, timeout=180, every=0.2)  # the survivor retakes the dead worker's lapsed leases
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)

    rows = await _scalar_rows(org.url, "SELECT author_id FROM check_in WHERE value = 42")
    per_author = Counter(author for (author,) in rows)
    assert sorted(per_author) == sorted(prompts), "lost: " + ", ".join(sorted(set(prompts) - set(per_author)))
    assert set(per_author.values()) == {1}, "doubled: " + str([a for a, n in per_author.items() if n > 1])
    confirmations = Counter(m.channel for m in fake_slack.messages() if m.thread_ts and "Recorded" in m.text)
    assert max(confirmations.values()) == 1  # none confirmed twice
