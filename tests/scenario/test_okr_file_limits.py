"""Issue 9 items 10 and 11 (file side): a hostile or broken OKR file is refused quickly, with a clear message.

Each test runs `okrbot import` as an operator would (bot.cli.main, only DATABASE_URL set) and checks
what is printed and that nothing was written.
"""

import json
import math
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main

KR = "{title: A, owner: U0ALICE, start: 0, target: 10}"
HEAD = """cycle: {name: Q1, start: 2027-01-04, end: 2027-04-02}
teams:
  - {name: Growth, managers: [U0MANAGER], members: [U0ALICE]}
"""


def file_with_kr(kr: str) -> str:
    return HEAD + f"objectives:\n  - title: O\n    team: Growth\n    key_results:\n      - {kr}\n"


def billion_laughs() -> str:
    """Nine anchors, each nine aliases of the one before: ~500 bytes, 9**9 (387 million) strings once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join([*lines, "cycle: *a8", "teams: *a8", "objectives: *a8"]) + "\n"


@pytest.fixture
def okrbot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'okrbot.db'}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def run(text: str | bytes, *args: str) -> tuple[int, str, str]:
        path = tmp_path / "okrs.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        capsys.readouterr()
        code = main(["import", str(path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = tmp_path / "okrbot.db"
    return run


def key_results(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return conn.execute("SELECT count(*) FROM key_result").fetchone()[0] if "key_result" in tables else 0


def test_billion_laughs_is_refused_with_a_clear_message(okrbot):
    text = billion_laughs()
    assert len(text.encode()) < 600
    code, out, err = okrbot(text)
    assert code == 2 and out == ""
    assert "expands to more than 250,000 values" in err and "aliases" in err
    assert len(err) < 500  # one line, not the expanded value
    # ordinary anchors and aliases (a shared check-in slot) still import
    text = HEAD.replace("teams:\n  - {name: Growth, ", "teams:\n  - {name: Growth, checkin: &weekly {day: monday}, ")
    code, out, err = okrbot(text + "  - {name: Platform, checkin: *weekly, members: [U0BOB]}\n")
    assert code == 0 and "+ team Platform" in out, err


def test_an_alias_inside_its_own_anchor_is_refused(okrbot):
    code, _, err = okrbot("cycle: &c {name: Q1, start: 2027-01-04, end: 2027-04-02, me: *c}\n")
    assert code == 2 and "alias refers to the value that contains it" in err


def test_a_file_over_5_mb_is_refused_before_it_is_read(okrbot):
    text = file_with_kr(KR) + "# " + "x" * (5 * 1024 * 1024) + "\n"
    code, out, err = okrbot(text)
    assert code == 2 and out == ""
    assert "an OKR file may be at most 5 MB" in err and "5.0 MB" in err
    assert key_results(okrbot.db) == 0


def test_huge_values_are_quoted_shortly_in_errors(okrbot):
    long = "x" * 1_000_000
    # a long key needs YAML's explicit "? key" form: plain keys stop at 1,024 characters
    text = HEAD + f"  - name: Platform\n    checkin: {{day: {long}}}\n    ? {long}\n    : 1\n"
    code, _, err = okrbot(text)
    assert code == 2
    assert "is not a weekday" in err and "unknown field" in err
    assert len(err) < 1_000


@pytest.mark.parametrize(
    ("kr", "says"),
    [
        ("{title: A, owner: U0ALICE, start: 0, target: 1e309}", "key_results[0].target: '1e309' is not a finite"),
        ("{title: A, owner: U0ALICE, start: 0, target: .inf}", "key_results[0].target: inf is not a finite"),
        ("{title: A, owner: U0ALICE, start: -.inf, target: 5}", "key_results[0].start: -inf is not a finite"),
        ("{title: A, owner: U0ALICE, start: 0, target: nan}", "key_results[0].target: 'nan' is not a finite"),
        ("{title: A, owner: U0ALICE, start: 0, target: 10, weight: .inf}", "weight: inf is not a finite"),
        ("{title: A, owner: U0ALICE, start: 0, target: 10, current: -1e999}", "current: '-1e999' is not a finite"),
        ("{title: A, owner: U0ALICE, start: 0, target: 10, score: .inf}", "score: inf is not a finite"),
    ],
)
def test_non_finite_numbers_in_the_file_are_field_errors(okrbot, kr, says):
    code, out, err = okrbot(file_with_kr(kr))
    assert code == 2 and out == "", err
    assert says in err and "Traceback" not in err
    assert key_results(okrbot.db) == 0


def test_json_file_with_infinity_is_refused_and_json_export_is_strict(okrbot, capsys):
    data = {
        "cycle": {"name": "Q1", "start": "2027-01-04", "end": "2027-04-02"},
        "teams": [{"name": "Growth", "members": ["U0ALICE"]}],
        "objectives": [{"title": "O", "team": "Growth", "key_results": [{"title": "A", "owner": "U0ALICE"}]}],
    }
    kr = data["objectives"][0]["key_results"][0]
    kr |= {"start": 0, "target": math.inf}
    code, _, err = okrbot(json.dumps(data))  # Python writes Infinity, as many tools do
    assert code == 2 and "target: 'Infinity' is not a finite number" in err
    kr["target"] = 10
    assert okrbot(json.dumps(data))[0] == 0
    capsys.readouterr()
    assert main(["export", "--format", "json"]) == 0
    exported = capsys.readouterr().out
    assert json.loads(exported, parse_constant=lambda c: pytest.fail(f"{c} in JSON export"))
