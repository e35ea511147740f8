"""Backup and restore: `okrbot export`, imported into an empty database, reproduces the same export.

Everything goes through `python -m bot` (the `okrbot` command) in a subprocess with only DATABASE_URL set; the check-ins
are made the way people make them, by replying to their prompts through the real app.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services.okr_io.exporter import export_okrs
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"

pytestmark = pytest.mark.sqlite_only(reason="the CLI is pointed at the bot's SQLite file")


@pytest.fixture
def okrbot(tmp_path):
    """okrbot(db_file, ARGS...) runs `python -m bot ARGS...` against that database file: (code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "DATABASE_"))}

    def run(db: Path, *args) -> tuple[int, str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *map(str, args)],
            env=env | {"DATABASE_URL": f"sqlite:///{db}"},
            cwd=tmp_path,  # no stray .env
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout, done.stderr

    return run


def restore_and_export(okrbot, tmp_path: Path, exported: str, *flags: str, suffix: str = "yaml") -> str:
    """Import `exported` into a brand-new database file and export that again."""
    backup = tmp_path / f"backup.{suffix}"
    backup.write_text(exported)
    empty = tmp_path / "restored.db"
    assert not empty.exists()
    code, out, err = okrbot(empty, "import", backup)
    assert code == 0, err
    assert out.startswith("imported: ") and " 0 updated, 0 unchanged" in out
    code, again, err = okrbot(empty, "export", *flags)
    assert code == 0, err
    return again


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_example_file_round_trips_through_an_empty_database(okrbot, tmp_path, fmt):
    first = tmp_path / "first.db"
    assert okrbot(first, "import", EXAMPLE)[0] == 0
    code, exported, _ = okrbot(first, "export", "--format", fmt)
    assert code == 0
    assert restore_and_export(okrbot, tmp_path, exported, "--format", fmt, suffix=fmt) == exported


async def checked_in_bot(bot) -> None:
    """Alice and Bob answer their Monday prompts: Alice's KR moves, Bob's moves and is blocked."""
    await seed(bot, okr_data())
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN.replace(hour=10))
    (alice,) = bot.dm("U0ALICE")
    await bot.req.message_im("U0ALICE", "38, at risk, waiting on the new signup flow", thread_ts=alice.ts)
    await bot.tick(MONDAY_10_BERLIN.replace(hour=16))  # Bob's 10:00 in New York
    bot.svc.clock = at(MONDAY_10_BERLIN.replace(hour=17))
    (bob,) = bot.dm("U0BOB")
    await bot.req.message_im("U0BOB", "12, blocked by legal review", thread_ts=bob.ts)


async def test_a_cycle_with_check_ins_round_trips_through_an_empty_database(bot, okrbot, tmp_path):
    await checked_in_bot(bot)
    exported = await export_okrs(bot.db)  # what `okrbot export` runs (the bot's file has no migration stamp)
    assert "current: 38" in exported and "current: 12" in exported  # both KRs have moved
    assert restore_and_export(okrbot, tmp_path, exported) == exported
