"""Item 5: `okrbot tick` SIGKILLed in the middle of a 500-owner fan-out, then run again.

The documented crash window (docs/checkins.md, docs/reliability.md): a prompt's ledger row is claimed
before it is sent and marked 'sent' after Slack answers. Rows the crash leaves 'claimed' may or may not have
reached Slack, so they are never resent automatically (at-most-once; the tick reports them as STALE after
10 minutes). Claims are made one batch at a time, so at most one batch (prompts.BATCH) can be caught in that
window; every other owner gets exactly one prompt once the tick runs again.
"""

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.org import build_org
from bot.app import build_services
from bot.services.checkins import prompts
from bot.services.kernel.tick import run_tick
from tests import harness
from tests.reliability.helpers import wait_for

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


@pytest.mark.slow
async def test_sigkill_mid_fan_out_then_tick_again_sends_each_prompt_at_most_once(fake_slack, tmp_path):
    org = org_of_500(tmp_path / "org.db")
    fake_slack.hang_next("chat.postMessage", times=10_000, seconds=0.1)  # slow Slack: the fan-out takes seconds
    proc = await start_tick(fake_slack, org, tmp_path)
    try:
        await wait_for(lambda: len(fake_slack.messages()) >= 120, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    delivered_before_restart = len(fake_slack.messages())
    assert 100 <= delivered_before_restart <= 300 and proc.returncode == -signal.SIGKILL
    fake_slack.clear_faults()

    svc = build_services(harness.test_settings(fake_slack, org.path))
    try:
        report = await run_tick(svc, MONDAY_10_UTC)  # the restarted scheduler, same instant
    finally:
        await svc.db.dispose()

    statuses = await ledger_statuses(org)
    owners = {org.person(i) for i in range(1, org.people + 1)}
    assert set(statuses) == owners
    per_person = prompts_per_person(fake_slack)
    in_window = {p for p, status in statuses.items() if status == "claimed"}
    assert len(in_window) <= prompts.BATCH, f"{len(in_window)} rows left claimed by the crash"
    for person in owners - in_window:
        assert statuses[person] == "sent" and per_person[fake_slack.dm_channel(person)] == 1, person
    for person in in_window:  # Slack may or may not have accepted these: never two
        assert per_person[fake_slack.dm_channel(person)] <= 1, person
    assert max(per_person.values()) == 1
    assert not any(line.startswith("STALE") for line in report.lines)  # reported only after 10 minutes
