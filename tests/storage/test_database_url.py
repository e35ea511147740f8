"""DATABASE_URL as a person writes it: plain PostgreSQL URLs work, pool settings are checked, and a server
that cannot be reached is one clear line (exit 2) from the real `okrbot` command, not a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import SettingsError, load_settings
from tests import pg

ROOT = Path(__file__).parents[2]


def okrbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "OKRBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no stray .env
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("postgresql://okrbot@db.internal/okrbot", "postgresql+asyncpg://okrbot@db.internal/okrbot"),
        ("postgres://okrbot:pw@db.internal:6432/okrbot", "postgresql+asyncpg://okrbot:pw@db.internal:6432/okrbot"),
        ("postgresql+asyncpg://okrbot@db/okrbot", "postgresql+asyncpg://okrbot@db/okrbot"),
        ("sqlite:///okrbot.db", "sqlite+aiosqlite:///okrbot.db"),
    ],
)
def test_plain_urls_get_the_async_driver_okrbot_ships(written, used):
    assert load_settings(DATABASE_URL=written).database_url == used


def test_pool_settings_have_defaults_and_bad_values_name_the_variable():
    settings = load_settings(DATABASE_URL="postgresql://okrbot@db/okrbot")
    assert (settings.database_pool_size, settings.database_connect_timeout) == (5, 10.0)
    with pytest.raises(SettingsError, match="^DATABASE_POOL_SIZE: .*PostgreSQL connections per process"):
        load_settings(DATABASE_POOL_SIZE="0")
    with pytest.raises(SettingsError, match="^DATABASE_CONNECT_TIMEOUT: "):
        load_settings(DATABASE_CONNECT_TIMEOUT="-1")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve", "--port", "0"]])
def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path, command):
    port = closed_port()
    run = okrbot(tmp_path, *command, DATABASE_URL=f"postgresql://okrbot@127.0.0.1:{port}/okrbot")
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"okrbot: cannot reach the database at 127.0.0.1:{port}/okrbot ("), run.stderr
    assert "is the server running, and is DATABASE_URL right?" in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stdout == ""


@pytest.mark.skipif(not pg.ON_POSTGRES, reason="needs the PostgreSQL server of scripts/pg.sh (OKRBOT_TEST_PG_URL)")
def test_a_plain_postgresql_url_migrates_the_real_server(tmp_path):
    url = make_url(pg.database_url(tmp_path / "plain.db", empty=True)).set(drivername="postgresql")
    plain = url.render_as_string(hide_password=False)
    assert plain.startswith("postgresql://")
    first = okrbot(tmp_path, "db", "upgrade", DATABASE_URL=plain)
    assert (first.returncode, first.stdout) == (0, "database is up to date\n"), first.stderr
    missing = okrbot(tmp_path, "db", "upgrade", DATABASE_URL=plain.rsplit("/", 1)[0] + "/no_such_db")
    assert missing.returncode == 2 and missing.stderr.startswith("okrbot: cannot reach the database"), missing.stderr
    assert 'database "no_such_db" does not exist' in missing.stderr
