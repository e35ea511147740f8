"""Issue 10, item 1: once okrbot has answered Slack 200, the work is durable.

200 owners each reply once in their prompt's thread to a real `okrbot serve` process; the moment the last
200 comes back the process is stopped: SIGKILL (a crash, an OOM kill) or SIGTERM with a 1 s drain (a deploy).
Slack is slow (each confirmation takes 0.3 s), so most of the work is still in the inbox at that moment.
After a restart every reply is recorded exactly once: none lost, none doubled.
"""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from benchmarks.bench_fanout import services
from benchmarks.bench_serve import upgrade_stamp
from benchmarks.org import build_org
from benchmarks.serve_process import SIGNING_SECRET, free_port, wait_healthy
from bot.runtime import close
from bot.services.kernel.tick import run_tick
from tests.fakes.signing import SlackRequests
from tests.reliability.helpers import wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
MONDAY_10_UTC = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
OWNERS = 200


def okrbot_env(fake, db_url: str, **extra: str) -> dict:
    """The environment of an `okrbot` subprocess against `fake` and `db_url`, quiet, with short leases."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": db_url,
        "SLACK_MAX_MESSAGES_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # A killed worker's claims are retaken once their lease lapses; short here so the test is quick.
        "OKRBOT_INBOX_LEASE_SECONDS": "2",
        **extra,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


async def start_serve(fake, db_url: str, *flags: str, **extra: str) -> tuple[subprocess.Popen, str]:
    """`okrbot serve --no-scheduler [flags]` on a free port, once its /healthz answers; (process, base URL)."""
    port = free_port()
    cmd = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-scheduler", *flags]
    proc = subprocess.Popen(cmd, env=okrbot_env(fake, db_url, **extra), stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(proc, url, attempts=3000)
    return proc, url


async def reply_to_every_prompt(fake, url: str, prompts: dict, text: str = "42") -> list[int]:
    """Each prompted owner replies `text` in their prompt's thread, 20 in flight; the HTTP statuses."""
    async with aiohttp.ClientSession() as http:
        req = SlackRequests(url, SIGNING_SECRET, fake=fake, session=http)
        sem = asyncio.Semaphore(20)

        async def reply(user: str) -> int:
            async with sem:
                return (await req.message_im(user, text, thread_ts=prompts[user].ts)).status

        return await asyncio.gather(*(reply(u) for u in prompts))


def stored(path: Path) -> Counter:
    """Check-ins per author, straight from the database file."""
    with sqlite3.connect(path) as db:
        return Counter(author for (author,) in db.execute("SELECT author_id FROM check_in WHERE value = 42"))


def open_inbox_items(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM inbox_item WHERE state IN ('pending', 'claimed')").fetchone()[0]


async def prompted_org(fake, tmp_path: Path, owners: int = OWNERS):
    org = build_org(tmp_path / "org.db", teams=4, krs_per_team=owners // 4, checkins_per_kr=0)
    with sqlite3.connect(org.path) as db:  # everyone in UTC: all prompts due at one instant
        db.execute("UPDATE person SET tz = 'UTC'")
    await asyncio.to_thread(upgrade_stamp, org.url)
    svc = services(fake, org, messages_per_second=0)
    try:
        await run_tick(svc, MONDAY_10_UTC)
    finally:
        await close(svc)
    prompts = {u: fake.messages(u)[0] for u in org.owners() if fake.messages(u)}
    assert len(prompts) == owners
    return org, prompts


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
async def test_replies_acked_before_a_stop_are_all_recorded_once_after_restart(fake_slack, tmp_path, how):
    org, prompts = await prompted_org(fake_slack, tmp_path)
    fake_slack.reset_calls()
    fake_slack.hang_next("chat.postMessage", times=100_000, seconds=0.3)  # slow Slack: work piles up
    proc, url = await start_serve(fake_slack, org.url, OKRBOT_DRAIN_SECONDS="1")
    statuses = await reply_to_every_prompt(fake_slack, url, prompts)
    proc.send_signal(getattr(signal, how))  # the moment the last 200 came back
    assert statuses == [200] * OWNERS
    assert (await asyncio.to_thread(proc.wait, 30)) == (-signal.SIGKILL if how == "SIGKILL" else 0)
    left_over = open_inbox_items(org.path)
    assert left_over > 0, "the stop came after all the work was done: the test proves nothing"

    fake_slack.clear_faults()
    proc, _ = await start_serve(fake_slack, org.url)
    try:
        await wait_for(lambda: open_inbox_items(org.path) == 0, timeout=120)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    per_author = stored(org.path)
    assert sorted(per_author) == sorted(prompts), "lost: " + ", ".join(sorted(set(prompts) - set(per_author)))
    assert set(per_author.values()) == {1}, "doubled: " + str([a for a, n in per_author.items() if n > 1])
    confirmations = Counter(m.channel for m in fake_slack.messages() if m.thread_ts and "Recorded" in m.text)
    assert max(confirmations.values()) == 1  # none confirmed twice
