"""Issue 11 item 5: importing a second quarter never leaves two active cycles."""

import sqlite3

import pytest
import yaml

from tests.scenario.test_import_export import EXAMPLE, okrbot  # noqa: F401  (the CLI fixture)

pytestmark = pytest.mark.sqlite_only(reason="checks stored rows with the sqlite3 module")


def next_quarter(tmp_path, state: str | None = None):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["cycle"] = {"name": "2027-Q2", "start": "2027-04-05", "end": "2027-07-02"} | (
        {"state": state} if state else {}
    )
    path = tmp_path / "q2.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def states(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT name, state FROM cycle ORDER BY name").fetchall()


def test_a_second_active_quarter_is_refused_with_what_to_do(okrbot, tmp_path):  # noqa: F811
    assert okrbot("import", EXAMPLE)[0] == 0
    code, out, err = okrbot("import", next_quarter(tmp_path))
    assert code != 0
    said = out + err
    assert "2027-Q1 is already the active cycle" in said
    assert "state: planned" in said and "okrbot cycle open 2027-Q2" in said
    assert states(okrbot.db) == [("2027-Q1", "active")]
    code, _, err = okrbot("import", next_quarter(tmp_path, "planned"))
    assert code == 0, err
    assert states(okrbot.db) == [("2027-Q1", "active"), ("2027-Q2", "planned")]


def test_the_schema_refuses_two_active_cycles(okrbot):  # noqa: F811
    assert okrbot("import", EXAMPLE)[0] == 0
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(okrbot.db) as conn:
        conn.execute(
            "INSERT INTO cycle (name, start, \"end\", state) VALUES ('X', '2027-04-05', '2027-07-02', 'active')"
        )
