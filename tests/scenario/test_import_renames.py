"""A team lead renames a KR in the OKR file and imports it again (issue 11 item 6).

Import never deletes, so the old KR would silently keep prompting. The import (and its dry run) lists what the
database holds that the file left out, says how to rename it (`ref:`) or retire it (`--archive-missing`), and
its change lines name fields as the file does. Everything goes through `okrbot` (bot.cli.main) with only
DATABASE_URL set; the prompt check runs the real app on the same database file.
"""

import asyncio
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.harness import running_bot
from tests.scenario.seed import MONDAY_10_BERLIN, okr_data

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"
OLD, NEW = "Activation rate from 30% to 45%", "Activation rate from 30% to 50%"
GONE = (
    f"  ! key result '{OLD}' (objective 'Make onboarding effortless', Growth) is in the database but not in "
    "the file: it keeps prompting U0ALICE"
)

pytestmark = pytest.mark.sqlite_only(reason="checks stored rows with the sqlite3 module")


@pytest.fixture
def okrbot(tmp_path, monkeypatch, capsys):
    """Run `okrbot ARGS...` against tmp_path/bot.db; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")

    def run(*args) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = tmp_path / "bot.db"
    return run


def sql(path: Path, statement: str):
    with sqlite3.connect(path) as conn:
        return conn.execute(statement).fetchall()


def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  ! ")]


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_a_renamed_kr_is_shown_as_left_out_and_a_ref_carries_the_rename(okrbot, tmp_path):
    assert okrbot("import", EXAMPLE)[0] == 0
    sql(okrbot.db, "UPDATE key_result SET current_value = 38 WHERE title LIKE 'Activation%'")  # a check-in moved it
    renamed = write(tmp_path, "renamed.yaml", EXAMPLE.read_text().replace(OLD, NEW))
    code, out, _ = okrbot("import", "--dry-run", renamed)
    assert code == 0
    assert out.splitlines()[:2] == [
        "dry run, nothing written: 1 created, 0 updated, 16 unchanged",
        f"  + key result '{NEW}'",
    ]
    assert GONE in out.splitlines()
    assert "`ref:`" in out and "--archive-missing" in out  # how to rename, how to retire
    assert sql(okrbot.db, "SELECT count(*) FROM key_result") == [(6,)]
    # Following the advice: a ref under the old title first (matched by title), then the rename keeps the ref.
    with_ref = EXAMPLE.read_text().replace(f'title: "{OLD}",', f'title: "{OLD}", ref: activation,')
    assert "ref: activation" in with_ref
    code, out, _ = okrbot("import", write(tmp_path, "ref.yaml", with_ref))
    assert code == 0 and "0 created, 1 updated" in out and f"~ key result '{OLD}': ref none -> 'activation'" in out
    code, out, _ = okrbot("import", write(tmp_path, "ref-renamed.yaml", with_ref.replace(OLD, NEW)))
    assert code == 0 and "0 created, 1 updated, 16 unchanged" in out
    assert f"~ key result '{NEW}': title '{OLD}' -> '{NEW}'" in out and warnings(out) == []
    assert sql(okrbot.db, "SELECT title, ref, current_value FROM key_result WHERE title LIKE 'Activation%'") == [
        (NEW, "activation", 38)
    ]
    _, exported, _ = okrbot("export")  # the ref goes out with the file, so the next rename needs nothing
    assert "ref: activation" in exported
    # left out altogether, it is named with its ref, so the fix is plain
    data = yaml.safe_load(exported)
    data["objectives"][0]["key_results"] = data["objectives"][0]["key_results"][1:]
    code, out, _ = okrbot("import", "--dry-run", write(tmp_path, "dropped.yaml", yaml.safe_dump(data)))
    assert f"  ! key result '{NEW}' (objective 'Make onboarding effortless', Growth, ref: activation) is in the " in out


def test_an_objective_left_out_is_listed_but_other_teams_are_not(okrbot, tmp_path):
    assert okrbot("import", EXAMPLE)[0] == 0
    data = yaml.safe_load(EXAMPLE.read_text())
    growth = [o for o in data["objectives"] if o["team"] == "Growth"]
    platform = [o for o in data["objectives"] if o["team"] != "Growth"]
    assert growth and platform
    dropped = data | {"objectives": growth[1:] + platform}
    code, out, _ = okrbot("import", "--dry-run", write(tmp_path, "dropped.yaml", yaml.safe_dump(dropped)))
    krs = len(growth[0]["key_results"])
    left_out = f"objective '{growth[0]['title']}' (Growth) is in the database but not in the file"
    assert code == 0 and f"  ! {left_out}: its {krs} key results keep prompting" in warnings(out)
    # A file that speaks only for the platform team says nothing about Growth's objectives.
    for o in platform:
        o.pop("parent", None)  # its parent is a Growth objective, which this file does not hold
    platform_only = data | {"teams": [t for t in data["teams"] if t["name"] != "Growth"], "objectives": platform}
    code, out, _ = okrbot("import", "--dry-run", write(tmp_path, "platform.yaml", yaml.safe_dump(platform_only)))
    assert code == 0 and "0 created" in out and warnings(out) == []


def test_change_lines_use_the_files_field_names_and_values(okrbot, tmp_path):
    assert okrbot("import", EXAMPLE)[0] == 0
    data = yaml.safe_load(EXAMPLE.read_text())
    team = data["teams"][0]
    team["checkin"]["day"], team["digest"]["time"] = "tuesday", "15:00"
    kr = data["objectives"][0]["key_results"][0]
    kr |= {"start": 25, "target": 50, "due": "2027-03-31", "teams": [data["teams"][1]["name"]]}
    code, out, _ = okrbot("import", write(tmp_path, "changed.yaml", yaml.safe_dump(data)))
    assert code == 0, out
    lines = out.splitlines()
    assert f"  ~ team {team['name']}: checkin.day 'monday' -> 'tuesday', digest.time '16:00' -> '15:00'" in lines
    assert (
        f"  ~ key result '{kr['title']}': start 30 -> 25, target 45 -> 50, due none -> 2027-03-31, "
        f"teams [] -> ['{data['teams'][1]['name']}']"
    ) in lines
    for column in ("target_value", "start_value", "due_date", "team_ids", "checkin_day", "digest_time"):
        assert column not in out
    # the audit trail keeps the columns it always had
    assert ("target_value", "45.0", "50.0") in sql(okrbot.db, "SELECT field, old, new FROM audit_entry")


async def test_archive_missing_retires_the_old_kr_and_its_owner_is_no_longer_prompted(fake_slack, okrbot, tmp_path):
    def cli(*args):  # okrbot's own asyncio.run needs a thread of its own while this test's loop runs
        return asyncio.to_thread(okrbot, *args)

    data = okr_data()
    assert (await cli("import", write(tmp_path, "okrs.yaml", yaml.safe_dump(data))))[0] == 0
    data["objectives"][0]["key_results"][0]["title"] = NEW
    renamed = write(tmp_path, "renamed.yaml", yaml.safe_dump(data))
    code, out, _ = await cli("import", renamed)  # the rename without a ref: a second KR, and the warning
    assert code == 0 and "1 created, 0 updated" in out and GONE in out.splitlines()
    code, out, _ = await cli("import", "--dry-run", "--archive-missing", renamed)
    archived = f"  ~ key result '{OLD}' (objective 'Make onboarding effortless', Growth): archived false -> true"
    assert code == 0 and archived in out.splitlines() and warnings(out) == []
    assert sql(okrbot.db, "SELECT count(*) FROM key_result WHERE archived") == [(0,)]  # a dry run
    code, out, _ = await cli("import", "--archive-missing", renamed)
    assert code == 0 and "0 created, 1 updated" in out and archived in out.splitlines()
    assert sql(okrbot.db, "SELECT title FROM key_result WHERE archived") == [(OLD,)]
    assert warnings((await cli("import", renamed))[1]) == []  # archived: nothing left to warn about
    async with running_bot(fake_slack, okrbot.db) as bot:
        for p in data["people"]:
            bot.fake.add_user(p["id"], name=p["name"], tz=p["tz"])
        await bot.tick(MONDAY_10_BERLIN)
        (prompt,) = bot.dm("U0ALICE")
        body = prompt.text + str(prompt.blocks)
        assert NEW in body and OLD not in body
