"""Issue 10 item 3: `okrbot tick` SIGKILLed in the middle of a 500-owner fan-out, then later ticks.

A prompt's ledger row is claimed before it is sent and marked 'sent' after Slack answers; the crash leaves
at most one batch (prompts.BATCH) 'claimed', some of them in Slack already. Each prompt carries its ledger id
as message metadata, so later ticks reconcile those rows from the DM's history (one read a tick, Slack's
limit): found, recorded sent with its ts; not found, sent. Every owner ends with exactly one prompt, and a
thread reply to any of them is recorded.
"""

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.org import build_org
from bot.app import build_services
from bot.services.checkins import prompts
from bot.services.kernel import reconcile
from bot.services.kernel.tick import run_tick
from tests import harness
from tests.reliability.helpers import count_checkins, dm_event, wait_for

ROOT = Path(__file__).parents[2]
MONDAY_10_UTC = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.sqlite_only(reason="builds the 500-person org as an SQLite file (benchmarks.org)")


def org_of_500(path: Path):
    org = build_org(path, teams=10, krs_per_team=50, checkins_per_kr=0)
    with sqlite3.connect(path) as db:  # everyone in UTC, so all 500 prompts are due at the same instant
        db.execute("UPDATE person SET tz = 'UTC'")
    return org


def prompts_per_person(fake) -> Counter:
    return Counter(m.channel for m in fake.messages() if m.thread_ts is None)


async def start_tick(fake, org, cwd: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": org.url,
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "bot", "tick", "--at", MONDAY_10_UTC.isoformat()]
    return await asyncio.create_subprocess_exec(
        *cmd, cwd=cwd, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


async def ledger_statuses(org) -> dict[str, str]:
    with sqlite3.connect(org.path) as db:
        return dict(db.execute("SELECT recipient, status FROM send_ledger WHERE kind = 'prompt'").fetchall())


async def unsettled(org) -> int:
    with sqlite3.connect(org.path) as db:
        return db.execute(
            "SELECT count(*) FROM send_ledger WHERE kind = 'prompt' AND status IN ('claimed', 'unknown', 'failed')"
        ).fetchone()[0]


async def kill_mid_fan_out(fake, org, cwd: Path) -> int:
    fake.hang_next("chat.postMessage", times=10_000, seconds=0.1)  # slow Slack: the fan-out takes seconds
    proc = await start_tick(fake, org, cwd)
    try:
        # A bounded wait, not a timing assertion: on a loaded machine the subprocess's imports alone took 10 s.
        await wait_for(lambda: len(fake.messages()) >= 120, timeout=180)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    fake.clear_faults()
    return len(fake.messages())


@pytest.mark.slow
async def test_sigkill_mid_fan_out_then_later_ticks_send_each_prompt_exactly_once(fake_slack, tmp_path):
    org = org_of_500(tmp_path / "org.db")
    delivered_before_restart = await kill_mid_fan_out(fake_slack, org, tmp_path)
    assert 100 <= delivered_before_restart <= 300
    in_window = {p for p, status in (await ledger_statuses(org)).items() if status == "claimed"}
    assert 0 < len(in_window) <= prompts.BATCH

    svc = build_services(harness.test_settings(fake_slack, org.path))
    reconciled: list[str] = []
    try:
        at = MONDAY_10_UTC + reconcile.CLAIM_GRACE
        for _ in range(prompts.BATCH + 5):  # one history read a tick (Slack's limit), oldest first
            at += timedelta(minutes=1)
            reconciled += [line for line in (await run_tick(svc, at)).lines if line.startswith("reconcile:")]
            if await unsettled(org) == 0:
                break
    finally:
        await svc.db.dispose()
    assert len(fake_slack.calls_to("conversations.history")) == len(in_window)  # one read per stale recipient

    statuses = await ledger_statuses(org)
    owners = {org.person(i) for i in range(1, org.people + 1)}
    assert set(statuses) == owners and set(statuses.values()) == {"sent"}
    per_person = prompts_per_person(fake_slack)
    assert all(per_person[fake_slack.dm_channel(p)] == 1 for p in owners), "lost or duplicated prompts"
    assert any("found in Slack" in line for line in reconciled), reconciled

    # Thread replies to every reconciled prompt (and some others) are recorded as check-ins.
    repliers = sorted(in_window) + sorted(owners - in_window)[:10]
    async with harness.running_bot(fake_slack, org.path) as bot:
        for n, person in enumerate(repliers):
            (prompt,) = [m for m in fake_slack.messages(person) if m.thread_ts is None]
            event = dm_event(fake_slack, person, "42", thread_ts=prompt.ts)
            assert (await bot.req.event(event, event_id=f"Ev0CRASH{n}")).status == 200
        await bot.inbox.wait_idle()
        assert await count_checkins(bot.db) == len(repliers)
