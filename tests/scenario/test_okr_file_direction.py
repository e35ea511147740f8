"""Issue 11 item 4: a KR that goes down needs no `kind: decrease`; explicit kinds keep their checks."""

import sqlite3

import pytest
import yaml

from tests.scenario.test_import_export import okrbot  # noqa: F401  (the CLI fixture)

pytestmark = pytest.mark.sqlite_only(reason="checks stored rows with the sqlite3 module")


def okr_file(tmp_path, kr: dict):
    data = {
        "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
        "teams": [{"name": "Support", "timezone": "UTC", "managers": ["U0MANAGER"], "members": ["U0ALICE"]}],
        "objectives": [{"title": "Faster answers", "team": "Support", "key_results": [kr]}],
    }
    path = tmp_path / "okrs.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def stored_kind(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT kind, start_value, target_value FROM key_result").fetchall()


def test_a_target_below_the_start_is_a_decrease(okrbot, tmp_path):  # noqa: F811
    kr = {"title": "First response hours", "owner": "U0ALICE", "start": 120, "target": 60}
    code, out, err = okrbot("import", okr_file(tmp_path, kr))
    assert code == 0, err
    assert stored_kind(okrbot.db) == [("decrease", 120, 60)]


def test_a_target_above_the_start_is_an_increase(okrbot, tmp_path):  # noqa: F811
    kr = {"title": "CSAT", "owner": "U0ALICE", "start": 60, "target": 90}
    assert okrbot("import", okr_file(tmp_path, kr))[0] == 0
    assert stored_kind(okrbot.db) == [("increase", 60, 90)]


def test_an_explicit_increase_that_goes_down_is_still_refused(okrbot, tmp_path):  # noqa: F811
    kr = {"title": "First response hours", "owner": "U0ALICE", "kind": "increase", "start": 120, "target": 60}
    code, out, err = okrbot("import", okr_file(tmp_path, kr))
    assert code != 0
    assert "must be above start 120 for an increase" in out + err
    assert stored_kind(okrbot.db) == []
