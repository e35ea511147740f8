"""Issue 11 item 14: the operator's command line, run as a subprocess: one clear line and exit 2 for a bad
setting or database, the bound port logged, --version, defaults in --help, no database file from --dry-run."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _parser

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.sqlite_only(reason="runs the CLI against its own SQLite file")
OKR_FILE = ROOT / "examples" / "okrs.yaml"


def cli(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "DATABASE_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'okrbot.db'}")
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def one_line_exit_2(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_version(tmp_path):
    done = cli(tmp_path, "--version")
    assert done.returncode == 0 and re.fullmatch(r"okrbot \S+\n", done.stdout), done


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_in_help_has_help_text_and_its_default():
    for parser in _parsers(_parser()):
        text = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
                continue
            assert action.help, f"{parser.prog} {action.dest} has no help text"
            if action.option_strings and action.default not in (None, argparse.SUPPRESS):
                shown = parser._get_formatter()._get_help_string(action) % {"default": action.default}
                assert "default" in shown, f"{parser.prog} {action.option_strings[0]} does not say its default"
        assert "%(default)" not in text


@pytest.mark.parametrize("command", ["run", "serve"])
def test_run_and_serve_help_show_port_and_host_defaults(tmp_path, command):
    done = cli(tmp_path, command, "--help", COLUMNS="200")
    assert done.returncode == 0, done.stderr
    assert "--port PORT" in done.stdout and "(default: 3000)" in done.stdout and "(default: 0.0.0.0)" in done.stdout


def test_database_in_a_missing_folder_is_one_line(tmp_path):
    line = one_line_exit_2(cli(tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite:///{tmp_path}/nope/okrbot.db"))
    assert "does not exist" in line and "nope" in line


def test_a_read_only_database_file_is_one_line(tmp_path):
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    (tmp_path / "okrbot.db").chmod(0o444)
    if os.access(tmp_path / "okrbot.db", os.W_OK):
        pytest.skip("running as root: a read-only file is still writable")
    assert "read-only" in one_line_exit_2(cli(tmp_path, "export"))


def test_a_database_sqlite_cannot_open_is_one_line(tmp_path):
    (tmp_path / "okrbot.db").mkdir()  # a folder where the file should be: SQLite cannot open it
    line = one_line_exit_2(cli(tmp_path, "db", "upgrade"))
    assert "okrbot.db is not a file" in line and "DATABASE_URL" in line


def test_a_non_utf8_env_file_is_one_line(tmp_path):
    (tmp_path / ".env").write_bytes(b"SLACK_BOT_TOKEN=xoxb-caf\xe9\n")
    assert "not UTF-8" in one_line_exit_2(cli(tmp_path, "export"))


def test_dry_run_creates_no_database_file(tmp_path):
    done = cli(tmp_path, "import", str(OKR_FILE), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dry run, nothing written")
    assert not (tmp_path / "okrbot.db").exists()


def test_bench_with_an_unknown_name_is_one_line(tmp_path):
    assert "no benchmark named 'nosuch'" in one_line_exit_2(cli(tmp_path, "bench", "nosuch"))


@pytest.mark.parametrize("rate", ["1e-9", "0.01"])
def test_a_rate_too_slow_to_be_meant_is_refused(tmp_path, rate):
    line = one_line_exit_2(cli(tmp_path, "export", SLACK_MAX_MESSAGES_PER_SECOND=rate))
    assert line.startswith("okrbot: SLACK_MAX_MESSAGES_PER_SECOND: must be 0 (unpaced) or at least 0.1")


async def test_serve_on_port_0_logs_the_port_it_bound(fake_slack, tmp_path):
    import asyncio

    assert cli(tmp_path, "db", "upgrade").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'okrbot.db'}",
        SLACK_API_URL=fake_slack.base_url,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="s3cret",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        line = ""
        while "listening on" not in line:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "okrbot run exited before listening"
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)[1])
        assert port != 0
        _, writer = await asyncio.open_connection("127.0.0.1", port)  # it really listens there
        writer.close()
    finally:
        proc.terminate()
        await proc.wait()
