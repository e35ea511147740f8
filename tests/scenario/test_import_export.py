"""An admin sets up OKRs from a YAML file with `okrbot import`, and backs them up with `okrbot export`.

Everything goes through bot.cli.main with only DATABASE_URL set: no Slack tokens needed.
"""

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

import bot.services.okr_io.importer as importer
from bot.cli import main
from bot.services.kernel.errors import InvalidInput
from bot.services.okr_io.okr_file import load_okr_file, normalise

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"
TABLES = ("cycle", "team", "team_member", "objective", "key_result", "kr_co_owner", "kr_team", "person")

pytestmark = pytest.mark.sqlite_only(reason="checks stored rows with the sqlite3 module")


@pytest.fixture
def okrbot(tmp_path, monkeypatch, capsys):
    """Run `okrbot ARGS...` against a fresh database file; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'okrbot.db'}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = tmp_path / "okrbot.db"
    return run


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def sql(path: Path, statement: str, *params):
    with sqlite3.connect(path) as conn:
        return conn.execute(statement, params).fetchall()


def test_import_then_export_round_trips(okrbot, tmp_path):
    code, out, _ = okrbot("import", EXAMPLE)
    assert code == 0 and out.startswith("imported: 17 created, 0 updated, 0 unchanged")
    assert counts(okrbot.db) | {"person": 0} == {
        "cycle": 1, "team": 2, "team_member": 6, "objective": 3, "key_result": 6,
        "kr_co_owner": 1, "kr_team": 1, "person": 0,
    }  # fmt: skip
    code, _, err = okrbot("export", "--out", tmp_path / "backup.yaml")
    assert code == 0 and "wrote" in err
    exported = (tmp_path / "backup.yaml").read_text()
    assert normalise(load_okr_file(exported)) == normalise(load_okr_file(EXAMPLE.read_text()))
    code, out, _ = okrbot("import", tmp_path / "backup.yaml")
    assert code == 0 and out.startswith("imported: 0 created, 0 updated, 17 unchanged")


def test_dry_run_reports_changes_and_writes_nothing(okrbot):
    code, out, _ = okrbot("import", "--dry-run", EXAMPLE)
    assert code == 0
    assert out.splitlines()[0] == "dry run, nothing written: 17 created, 0 updated, 0 unchanged"
    assert "  + team Growth" in out and "  + key result 'Ship the guided setup'" in out
    assert not okrbot.db.exists()  # not even the database file (issue 11 item 14)


def test_reimport_updates_in_place_and_keeps_check_ins(okrbot, tmp_path):
    okrbot("import", EXAMPLE)
    before = counts(okrbot.db)
    # a check-in moved the activation KR after the first import
    sql(okrbot.db, "UPDATE key_result SET current_value = 38, confidence = 'at_risk' WHERE start_value = 30")
    changed = EXAMPLE.read_text().replace("target: 25", "target: 30")
    (tmp_path / "v2.yaml").write_text(changed)
    code, out, _ = okrbot("import", tmp_path / "v2.yaml")
    assert code == 0 and "0 created, 1 updated, 16 unchanged" in out
    assert "~ key result 'Deploys per week from 10 to 25': target 25 -> 30" in out  # the file's word, not the column
    assert counts(okrbot.db) == before
    assert sql(okrbot.db, "SELECT current_value, confidence FROM key_result WHERE start_value = 30") == [
        (38, "at_risk")
    ]
    assert sql(okrbot.db, "SELECT actor_id, field, old, new FROM audit_entry") == [
        ("import", "target_value", "25.0", "30.0")
    ]
    # an explicit current: in the file does set the value
    (tmp_path / "v3.yaml").write_text(changed.replace('target: 45, unit: "%"', 'target: 45, current: 41, unit: "%"'))
    okrbot("import", tmp_path / "v3.yaml")
    assert sql(okrbot.db, "SELECT current_value FROM key_result WHERE start_value = 30") == [(41,)]
    _, out, _ = okrbot("export")
    assert "current: 41" in out


def test_a_late_error_rolls_back_the_whole_import(okrbot, monkeypatch):
    real = importer._apply_key_result

    async def fail_on_the_last_kr(run, obj, k, position):
        if k.title == "Launch the new billing service":
            raise InvalidInput("the database said no")
        await real(run, obj, k, position)

    monkeypatch.setattr(importer, "_apply_key_result", fail_on_the_last_kr)
    code, _, err = okrbot("import", EXAMPLE)
    assert code == 2 and "okrbot: the database said no" in err
    assert set(counts(okrbot.db).values()) == {0}


def test_bad_files_are_rejected_with_every_path_and_nothing_is_written(okrbot, tmp_path):
    bad = EXAMPLE.read_text().replace("day: monday", "day: mun").replace("owner: U0BOB, kind", "owner: bob, kind")
    bad = bad.replace("start: 10\n        target: 25", "start: 10\n        tagret: 25")
    (tmp_path / "bad.yaml").write_text(bad)
    code, out, err = okrbot("import", tmp_path / "bad.yaml")
    assert code == 2 and out == ""
    assert "The OKR file has 3 problems:" in err
    assert "teams[0].checkin.day: 'mun' is not a weekday" in err
    assert "objectives[0].key_results[1].owner: 'bob' is not a Slack user id" in err
    assert "objectives[2].key_results[0].tagret: unknown field (did you mean 'target'?)" in err
    assert set(counts(okrbot.db).values()) == {0}


def test_missing_file_and_broken_yaml(okrbot, tmp_path):
    code, _, err = okrbot("import", tmp_path / "nope.yaml")
    assert code == 2 and "no such file" in err and "nope.yaml" in err
    (tmp_path / "broken.yaml").write_text("cycle: {name: 2027-Q1\nteams: [\n")
    code, _, err = okrbot("import", tmp_path / "broken.yaml")
    assert code == 2 and "invalid YAML at line 2, column 6" in err


def test_export_formats(okrbot):
    okrbot("import", EXAMPLE)
    _, as_yaml, _ = okrbot("export")
    code, as_json, _ = okrbot("export", "--format", "json")
    assert code == 0 and json.loads(as_json) == json.loads(json.dumps(yaml.safe_load(as_yaml), default=str))
    code, as_csv, _ = okrbot("export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert code == 0 and len(rows) == 6
    assert list(rows[0]) == [
        "team", "objective", "key_result", "owner", "kind", "start", "target", "current", "unit", "confidence",
        "blockers", "score",
    ]  # fmt: skip
    assert rows[0] | {"objective": ""} == {
        "team": "Growth", "objective": "", "key_result": "Activation rate from 30% to 45%", "owner": "U0ALICE",
        "kind": "increase", "start": "30", "target": "45", "current": "30", "unit": "%", "confidence": "",
        "blockers": "", "score": "",
    }  # fmt: skip


def test_export_of_an_empty_database_says_so(okrbot):
    code, _, err = okrbot("export")
    assert code == 2 and "nothing to export" in err


def test_review_notes_stay_out_unless_asked_for_with_a_warning(okrbot, tmp_path):
    okrbot("import", EXAMPLE)
    sql(
        okrbot.db,
        "INSERT INTO review_note (author_id, subject_id, body, visibility, created_at) VALUES (?, ?, ?, ?, ?)",
        *("U0MANAGER", "U0ALICE", "Alice carried the launch", "private", "2027-02-01 10:00:00"),
    )
    code, out, err = okrbot("export")
    assert code == 0 and "Alice carried the launch" not in out and "review_notes" not in out and "WARNING" not in err
    code, out, err = okrbot("export", "--include-review-notes", "--out", tmp_path / "with-notes.yaml")
    warning = "WARNING: this export contains confidential performance-review notes"
    assert code == 0 and any(line.startswith(warning) for line in err.splitlines())
    data = yaml.safe_load((tmp_path / "with-notes.yaml").read_text())
    assert data["review_notes"][0] | {"created_at": None} == {
        "author": "U0MANAGER", "subject": "U0ALICE", "visibility": "private", "cycle": None, "kr_id": None,
        "created_at": None, "body": "Alice carried the launch",
    }  # fmt: skip
    # reading the backup back in skips the notes, and says so
    code, out, _ = okrbot("import", tmp_path / "with-notes.yaml")
    assert code == 0 and "0 created, 0 updated" in out and "1 notes in the file were skipped" in out
    code, _, err = okrbot("export", "--format", "csv", "--include-review-notes")
    assert code == 2 and "only be exported as yaml or json" in err


def _with_people(people: list) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["people"] = people
    return data


def test_reporting_lines_round_trip_and_unknown_managers_are_created(okrbot, tmp_path):
    src = tmp_path / "lines.yaml"
    people = [{"id": "U0CAROL", "name": "Carol", "manager": "U0VP"}, "U0BOB", {"id": "U0DAVE", "manager": "U0CAROL"}]
    src.write_text(yaml.safe_dump(_with_people(people)))
    code, out, err = okrbot("import", src)
    assert code == 0, err
    assert sql(okrbot.db, "SELECT id, manager_id FROM person WHERE manager_id IS NOT NULL ORDER BY id") == [
        ("U0CAROL", "U0VP"),
        ("U0DAVE", "U0CAROL"),
    ]
    assert sql(okrbot.db, "SELECT id FROM person WHERE id = 'U0VP'") == [("U0VP",)]  # created, like any owner
    code, _, _ = okrbot("export", "--out", tmp_path / "backup.yaml")
    exported = load_okr_file((tmp_path / "backup.yaml").read_text())
    assert {p.id: p.manager for p in exported.people if p.manager} == {"U0CAROL": "U0VP", "U0DAVE": "U0CAROL"}
    code, out, _ = okrbot("import", tmp_path / "backup.yaml")
    assert code == 0 and " 0 created, 0 updated" in out
    src.write_text(yaml.safe_dump(_with_people([{"id": "U0DAVE", "manager": None}])))  # null clears it
    assert okrbot("import", src)[0] == 0
    assert sql(okrbot.db, "SELECT manager_id FROM person WHERE id = 'U0DAVE'") == [(None,)]


def test_self_management_and_reporting_cycles_are_rejected_by_path(okrbot, tmp_path):
    src = tmp_path / "bad.yaml"
    people = [
        {"id": "U0ALICE", "manager": "U0ALICE"},
        {"id": "U0BOB", "manager": "U0CAROL"},
        {"id": "U0CAROL", "manager": "U0BOB"},
    ]
    src.write_text(yaml.safe_dump(_with_people(people)))
    code, _, err = okrbot("import", src)
    assert code == 2 and counts(okrbot.db)["person"] == 0
    assert "people[0].manager: U0ALICE cannot be their own manager" in err
    assert "people[1].manager: reporting cycle U0BOB → U0CAROL → U0BOB" in err
    # A loop that closes only through a manager stored by an earlier import is refused too, and nothing changes.
    src.write_text(yaml.safe_dump(_with_people([{"id": "U0BOB", "manager": "U0CAROL"}])))
    assert okrbot("import", src)[0] == 0
    src.write_text(yaml.safe_dump(_with_people([{"id": "U0CAROL", "manager": "U0BOB"}])))
    code, _, err = okrbot("import", src)
    assert code == 2 and "people[0].manager: reporting cycle U0CAROL → U0BOB → U0CAROL" in err
    assert sql(okrbot.db, "SELECT manager_id FROM person WHERE id = 'U0CAROL'") == [(None,)]
