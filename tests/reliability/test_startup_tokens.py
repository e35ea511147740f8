"""Issue 11 item 7: a rejected token is caught at start, as one line naming it, exit status 2, never retried.

Each test runs the real `okrbot` command as a subprocess against the fake Slack, which answers `auth.test` and
`apps.connections.open` as Slack does: `invalid_auth` for a wrong token, `token_revoked` for a revoked one.
"""

import asyncio
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.sqlite_only(reason="runs the CLI against its own SQLite file")


async def okrbot(fake, tmp_path: Path, *args: str, timeout: float = 60, **settings: str | None):
    """Run `python -m bot ARGS` with only the given settings (None removes one); returns (status, stderr lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'okrbot.db'}",
        SLACK_MAX_MESSAGES_PER_SECOND="0",
    )
    env.update({k: v for k, v in settings.items() if v is not None})
    for name in [k for k, v in settings.items() if v is None]:
        env.pop(name, None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.communicate()
        pytest.fail(f"okrbot {' '.join(args)} kept running")
    return proc.returncode, err.decode().splitlines(), out.decode()


@pytest.mark.parametrize("command", [["tick"], ["serve", "--host", "127.0.0.1", "--port", "0"], ["run", "--port", "0"]])
async def test_a_wrong_bot_token_is_one_line_and_exit_2(fake_slack, tmp_path, command):
    status, lines, _ = await okrbot(
        fake_slack, tmp_path, *command, SLACK_BOT_TOKEN="xoxb-wrong-token", SLACK_SIGNING_SECRET="s3cret"
    )
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("okrbot: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)")
    assert "xoxb-wrong-token" not in lines[0]
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # asked once: not retried, nothing sent


async def test_a_revoked_bot_token_is_not_retried(fake_slack, tmp_path):
    fake_slack.revoked.add("xoxb-revoked")
    status, lines, _ = await okrbot(fake_slack, tmp_path, "tick", SLACK_BOT_TOKEN="xoxb-revoked")
    assert status == 2 and lines == [lines[0]] and "(token_revoked)" in lines[0], lines
    assert len(fake_slack.calls_to("auth.test")) == 1


async def test_socket_mode_with_a_wrong_app_token_exits_instead_of_reconnecting(fake_slack, tmp_path):
    status, lines, _ = await okrbot(
        fake_slack, tmp_path, "run", SLACK_BOT_TOKEN=fake_slack.token, SLACK_APP_TOKEN="xapp-wrong"
    )
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("okrbot: SLACK_APP_TOKEN was rejected by Slack (invalid_auth)")
    assert [c.method for c in fake_slack.calls] == ["auth.test", "apps.connections.open"]


async def test_run_with_no_tokens_names_the_socket_mode_token(fake_slack, tmp_path):
    status, lines, _ = await okrbot(fake_slack, tmp_path, "run")
    assert status == 2 and len(lines) == 1, lines
    assert "SLACK_APP_TOKEN for Socket Mode" in lines[0] and "SLACK_SIGNING_SECRET for HTTP mode" in lines[0]
    assert fake_slack.calls == []


async def test_a_good_token_ticks(fake_slack, tmp_path):
    assert (await okrbot(fake_slack, tmp_path, "db", "upgrade"))[0] == 0
    status, lines, out = await okrbot(fake_slack, tmp_path, "tick", SLACK_BOT_TOKEN=fake_slack.token)
    assert status == 0, lines
    assert out.startswith("tick at ")
    assert [c.method for c in fake_slack.calls][:1] == ["auth.test"]
