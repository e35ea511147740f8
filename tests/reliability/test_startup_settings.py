"""`okrbot serve` refuses to start with an empty or whitespace-only secret or token: one line naming the
setting, exit status 2 (issue 9, item 2). An empty signing secret once served /healthz 200 while every
Slack request failed with a 500."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "s3cret"}


@pytest.mark.parametrize(
    "name,value",
    [
        ("SLACK_SIGNING_SECRET", ""),
        ("SLACK_SIGNING_SECRET", "   "),
        ("SLACK_SIGNING_SECRET", "\t"),
        ("SLACK_BOT_TOKEN", " "),
        ("SLACK_APP_TOKEN", "  "),
    ],
)
def test_serve_refuses_a_blank_secret(tmp_path, name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_"))}
    env.update(GOOD, DATABASE_URL=f"sqlite:///{tmp_path / 'okrbot.db'}", PYTHONPATH=str(ROOT), **{name: value})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=tmp_path,  # no stray .env
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"okrbot serve started with {name}={value!r}")
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"okrbot: {name}: is empty"), lines
    assert done.stdout == ""
    assert not (tmp_path / "okrbot.db").exists()  # refused before touching anything
