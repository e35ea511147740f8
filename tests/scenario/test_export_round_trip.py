"""Backup and restore: `okrbot export`, imported into an empty database, reproduces the same export.

Everything goes through `python -m bot` (the `okrbot` command) in a subprocess with only DATABASE_URL set; the check-ins
are made the way people make them, by replying to their prompts through the real app.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


@pytest.mark.parametrize("fmt", ["yaml", "json"])
async def test_a_cycle_with_check_ins_round_trips_through_an_empty_database(bot, okrbot, tmp_path, fmt):
    await checked_in_bot(bot)
    # what `okrbot export` runs (the bot's file has no migration stamp)
    exported = await export_okrs(bot.db, fmt=fmt)
    alice, bob = yaml.safe_load(exported)["objectives"][0]["key_results"]
    assert (alice["current"], bob["current"]) == (38, 12)  # both KRs have moved
    # each KR carries its latest check-in: blockers are not write-only (issue 11 item 11)
    assert alice["last_checkin"] == {
        "at": "2027-01-11T10:00:00+00:00", "by": "U0ALICE", "value": 38, "confidence": "at_risk",
        "comment": "waiting on the new signup flow",
    }  # fmt: skip
    assert (bob["last_checkin"]["confidence"], bob["last_checkin"]["blockers"]) == ("off_track", "legal review")
    assert restore_and_export(okrbot, tmp_path, exported, "--format", fmt, suffix=fmt) == exported


async def test_the_latest_blockers_are_exported_and_a_plain_export_restores_them(bot, okrbot, tmp_path):
    await checked_in_bot(bot)
    rows = list(csv.DictReader(io.StringIO(await export_okrs(bot.db, fmt="csv"))))
    assert [(r["key_result"], r["confidence"], r["blockers"]) for r in rows] == [
        ("Activation rate from 30% to 45%", "at_risk", ""),
        ("Signups to 100", "off_track", "legal review"),
    ]
    exported = await export_okrs(bot.db)
    restore_and_export(okrbot, tmp_path, exported)
    restored = tmp_path / "restored.db"
    code, as_csv, _ = okrbot(restored, "export", "--format", "csv")
    assert code == 0 and list(csv.DictReader(io.StringIO(as_csv))) == rows  # blockers and confidence came back
    # the restore holds the latest check-in itself, and re-importing the export adds nothing, quietly
    backup = tmp_path / "again.yaml"
    backup.write_text(exported)
    code, out, _ = okrbot(restored, "import", backup)
    assert code == 0 and out.splitlines() == ["imported: 0 created, 0 updated, 9 unchanged"]
    code, history, _ = okrbot(restored, "export", "--history")
    krs = yaml.safe_load(history)["objectives"][0]["key_results"]
    assert [[c.get("blockers", "") for c in kr["history"]] for kr in krs] == [[""], ["legal review"]]
    # Bob's next check-in clears his blockers: the export follows the latest check-in, not the last blocker said
    await bot.req.message_im("U0BOB", "15, on track", thread_ts=bot.dm("U0BOB")[0].ts)
    bob = yaml.safe_load(await export_okrs(bot.db))["objectives"][0]["key_results"][1]
    assert bob["last_checkin"]["value"] == 15 and "blockers" not in bob["last_checkin"]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
async def test_history_round_trips_through_an_empty_database(bot, okrbot, tmp_path, fmt):
    await checked_in_bot(bot)
    await bot.req.message_im("U0ALICE", "40 on track", thread_ts=bot.dm("U0ALICE")[0].ts)  # Alice corrects
    exported = await export_okrs(bot.db, fmt=fmt, history=True)
    data = yaml.safe_load(exported)  # JSON is YAML too
    alice, bob = (kr["history"] for kr in data["objectives"][0]["key_results"])
    assert [(c["by"], c["value"], c["confidence"], c.get("comment")) for c in alice] == [
        ("U0ALICE", 38, "at_risk", "waiting on the new signup flow"),
        ("U0ALICE", 40, "on_track", None),
    ]
    assert alice[0]["at"] == "2027-01-11T10:00:00+00:00"
    assert [(c["value"], c["confidence"], c["blockers"]) for c in bob] == [(12, "off_track", "legal review")]
    restored = restore_and_export(okrbot, tmp_path, exported, "--history", "--format", fmt, suffix=fmt)
    assert restored == exported
    # and the restored database is a working one: without --history, it exports what the original does
    assert okrbot(tmp_path / "restored.db", "export", "--format", fmt)[1] == await export_okrs(bot.db, fmt=fmt)


async def test_history_as_csv_has_one_row_per_check_in_and_no_review_notes(bot, okrbot, tmp_path):
    await checked_in_bot(bot)
    rows = list(csv.DictReader(io.StringIO(await export_okrs(bot.db, fmt="csv", history=True))))
    assert [(r["key_result"], r["by"], r["value"], r["confidence"], r["comment"], r["blockers"]) for r in rows] == [
        ("Activation rate from 30% to 45%", "U0ALICE", "38", "at_risk", "waiting on the new signup flow", ""),
        ("Signups to 100", "U0BOB", "12", "off_track", "", "legal review"),
    ]
    assert rows[1]["at"] == "2027-01-11T17:00:00+00:00"


async def test_reimporting_a_history_never_duplicates_check_ins(bot, okrbot, tmp_path):
    await checked_in_bot(bot)
    exported = await export_okrs(bot.db, history=True)
    assert "review_notes" not in exported
    restored = restore_and_export(okrbot, tmp_path, exported, "--history")
    backup = tmp_path / "again.yaml"
    backup.write_text(exported)
    code, out, _ = okrbot(tmp_path / "restored.db", "import", backup)
    assert code == 0 and "already has check-ins; its history was left as is" in out
    assert okrbot(tmp_path / "restored.db", "export", "--history")[1] == restored
