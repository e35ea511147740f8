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


async def test_the_new_kr_modal_reads_the_direction_from_the_numbers(bot):
    from sqlmodel import select

    from storage.models import KeyResult
    from tests.scenario.test_okr_edit import kr_values, open_command
    from tests.scenario.view_seed import seed

    s = await seed(bot)
    opened = await open_command(bot, "new kr", "U0MANAGER")
    kind_block = next(b for b in opened.args["view"]["blocks"] if b.get("block_id") == "kind")
    default = kind_block["element"]["initial_option"]["value"]  # what a person who leaves Kind alone submits
    values = kr_values(s.objective_id, "Support backlog", kind=default, start="120", target="60")
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", values)
    assert resp.status == 200 and not (resp.body or {}).get("errors")
    explicit = kr_values(s.objective_id, "Backlog up", kind="increase", start="120", target="60")
    resp = await bot.req.view_submission("U0MANAGER", "okr.edit.new_kr", explicit)
    assert "decrease" in resp.body["errors"]["target"]
    async with bot.db.transaction() as session:
        krs = (await session.exec(select(KeyResult).where(KeyResult.title == "Support backlog"))).all()
    assert [(k.kind, k.start_value, k.target_value) for k in krs] == [("decrease", 120, 60)]
