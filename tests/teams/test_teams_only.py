"""An organisation on Teams alone: `okrbot serve`, `tick` and `run` start with TEAMS_* settings and no Slack token;
with neither platform configured okrbot says so in one line; Slack alone is unchanged (the rest of the suite)."""

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.migrate import upgrade
from storage.models import SendLedger
from tests.harness import running_bot
from tests.teams.activities import CHAT, install, message
from tests.teams.serve import ROOT, start_serve
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS

pytestmark = pytest.mark.sqlite_only(reason="runs the CLI against its own SQLite file")
NO_SLACK = {"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None}


def cli_env(tmp_path, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "OKRBOT_", "DATABASE_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'okrbot.db'}", **settings)
    return env


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["run", "--port", "0"], ["tick"]])
def test_with_neither_platform_configured_okrbot_says_so_in_one_line(tmp_path, command):
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        cwd=tmp_path,  # no stray .env
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    if command[0] == "run":  # run names its two Slack modes (tests/reliability/test_startup_tokens.py), and Teams
        assert lines[0].startswith("okrbot: set SLACK_APP_TOKEN for Socket Mode")
    else:
        assert lines[0].startswith("okrbot: no chat platform is configured: set SLACK_BOT_TOKEN")
    assert "TEAMS_CLIENT_ID" in lines[0]


def test_half_a_slack_configuration_beside_teams_is_still_refused(tmp_path):
    env = cli_env(tmp_path, TEAMS_ALLOW_UNAUTHENTICATED="true", SLACK_SIGNING_SECRET="s3cret")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "okrbot: SLACK_BOT_TOKEN is not set" in done.stderr, done.stderr


async def test_serve_with_only_teams_answers_teams_and_has_no_slack_endpoint(fake_slack, connector, tmp_path):
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    proc, base = await start_serve(fake_slack, f"sqlite:///{tmp_path / 'bot.db'}", slack=False)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/slack/events", data="x") as r:
                assert r.status == 404
            async with http.post(f"{base}/api/messages", json=install(connector)) as r:
                assert r.status == 200
            async with http.post(f"{base}/api/messages", json=message(connector, "okr help")) as r:
                assert r.status == 200

        async def answered():
            return connector.sent(CHAT)

        from tests.reliability.helpers import wait_for

        (help_card,) = await wait_for(answered, timeout=30)
        assert "okrbot help" in help_card.body["text"]
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
    assert proc.returncode == 0
    assert fake_slack.calls == []  # nothing ever went to Slack


async def test_tick_with_only_teams_sends_the_prompt_through_the_connector(fake_slack, connector, tmp_path):
    path = tmp_path / "okrbot.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    async with running_bot(
        fake_slack, path, DATABASE_URL=url, TEAMS_ALLOW_UNAUTHENTICATED="true", **NO_SLACK
    ) as bot:  # the in-process bot, Teams alone, too
        assert bot.app is None
        await import_okrs(bot.svc, OKRS, dry_run=False)
        from tests.teams.activities import post

        assert await post(bot, install(connector)) == 200
    at = (MONDAY_10_BERLIN + timedelta(minutes=1)).isoformat()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "tick",
        "--at",
        at,
        cwd=tmp_path,
        env=cli_env(tmp_path, TEAMS_ALLOW_UNAUTHENTICATED="true", LOG_LEVEL="WARNING"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "sent prompt for teams:" in out.decode()
    (prompt,) = connector.sent(CHAT)
    assert "Weekly check-in" in prompt.body["text"]
    async with running_bot(fake_slack, path, DATABASE_URL=url, TEAMS_ALLOW_UNAUTHENTICATED="true", **NO_SLACK) as bot:
        async with bot.db.read() as s:
            (row,) = (await s.exec(select(SendLedger).where(SendLedger.kind == "prompt"))).all()
    assert row.status == "sent"
    assert fake_slack.calls == []


async def test_run_with_only_teams_serves_http_with_the_scheduler(fake_slack, connector, tmp_path):
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    proc, base = await start_serve(fake_slack, f"sqlite:///{tmp_path / 'bot.db'}", slack=False, command="run")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/api/messages", json=install(connector)) as r:
                assert r.status == 200
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
    assert proc.returncode == 0
