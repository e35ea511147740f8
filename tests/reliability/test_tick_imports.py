"""Issue 15 item 8: `okrbot tick` loads only what a tick runs.

A tick is a one-shot command (cron, ops catching up): before it sent anything it imported Bolt, the handlers,
the aiohttp web server and APScheduler, 30 % of its modules. The real
command runs here against the fake Slack with `-X importtime`, which names every module it imported.
"""

import asyncio
import os
import sys
from pathlib import Path

import pytest

from benchmarks.org import build_org

ROOT = Path(__file__).parents[2]
NOT_FOR_A_TICK = ("slack_bolt", "handlers", "aiohttp.web", "apscheduler", "alembic")
NOT_FOR_A_TICK += ("yaml", "microsoft_teams", "bot.teams", "bot.scheduler", "bot.runtime", "bot.app")
pytestmark = pytest.mark.sqlite_only(reason="builds the org as an SQLite file (benchmarks.org)")


async def test_okrbot_tick_imports_no_web_server_bolt_or_scheduler(fake_slack, tmp_path):
    org = build_org(tmp_path / "org.db", teams=1, krs_per_team=2, checkins_per_kr=0)
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": org.url,
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-X", "importtime", "-m", "bot", "tick", "--at", "2027-01-04T10:00:00+00:00"]
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert out.decode().startswith("tick at 2027-01-04T10:00:00+00:00:")  # it ran the whole tick
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in err.decode().splitlines() if line.startswith("import time:")
    }
    assert len(imported) > 100  # importtime did report the modules
    loaded = sorted(m for m in imported if any(m == p or m.startswith(p + ".") for p in NOT_FOR_A_TICK))
    assert loaded == [], loaded
