"""A real `okrbot serve` process answering Teams (TEAMS_ALLOW_UNAUTHENTICATED, local testing), for kill tests."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.serve_process import SIGNING_SECRET, free_port, wait_healthy

ROOT = Path(__file__).parents[2]


def _env(fake_slack, db_url: str, *, slack: bool, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "OKRBOT_"))}
    env.update(
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        TEAMS_ALLOW_UNAUTHENTICATED="true",
        OKRBOT_INBOX_LEASE_SECONDS="2",  # a killed worker's claims are retaken soon
        **extra,
    )
    if slack:
        env.update(
            SLACK_BOT_TOKEN=fake_slack.token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake_slack.base_url,
            SLACK_MAX_MESSAGES_PER_SECOND="0",
        )
    return env


async def start_serve(
    fake_slack, db_url: str, *flags: str, slack: bool = True, command: str = "serve", **extra: str
) -> tuple[subprocess.Popen, str]:
    """Start `okrbot serve` (no scheduler; or `okrbot run`) on a free port; `slack=False`: only Teams configured;
    `flags`: more options, e.g. --web-only."""
    port = free_port()
    cmd = [sys.executable, "-m", "bot", command, "--port", str(port), "--host", "127.0.0.1", *flags]
    cmd += ["--no-scheduler"] if command == "serve" else []
    err = tempfile.TemporaryFile()  # not a pipe: nobody reads it while the process runs
    env = _env(fake_slack, db_url, slack=slack, **extra)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT / "tests")
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(proc, url, attempts=3000, stderr=err)
    return proc, url


def start_work(fake_slack, db_url: str, *, slack: bool = True, **extra: str) -> subprocess.Popen:
    """Start `okrbot work --no-scheduler` (it answers no requests: nothing to wait for)."""
    cmd = [sys.executable, "-m", "bot", "work", "--no-scheduler"]
    env = _env(fake_slack, db_url, slack=slack, **extra)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, cwd=ROOT / "tests")
