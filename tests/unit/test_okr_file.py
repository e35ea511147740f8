"""The OKR file schema: defaults, normalisation and one path-prefixed message per problem."""

import copy
from pathlib import Path

import pytest

from bot.services.kernel.errors import InvalidInput
from bot.services.okr_io.okr_file import OkrFileInvalid, load_okr_file, normalise

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"

BASE = {
    "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
    "teams": [{"name": "Growth", "managers": ["U0MANAGER"], "members": ["U0ALICE", "U0BOB"]}],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [
                {"title": "Activation", "owner": "U0ALICE", "start": 30, "target": 45, "unit": "%"},
                {"title": "Guided setup", "owner": "U0BOB", "kind": "binary"},
            ],
        }
    ],
}


def errors_of(data) -> list[str]:
    with pytest.raises(OkrFileInvalid) as caught:
        load_okr_file(data)
    assert isinstance(caught.value, InvalidInput)
    return caught.value.errors


def with_change(path: str, value):
    """BASE with one value replaced, e.g. with_change("teams.0.checkin", {...})."""
    data = copy.deepcopy(BASE)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    return data


def test_the_example_file_is_valid_and_fills_defaults():
    f = load_okr_file(EXAMPLE.read_text())
    growth = f.teams[0]
    assert (growth.checkin.day, growth.checkin.time, growth.digest.day) == ("monday", "10:00", "friday")
    binary = f.objectives[0].key_results[1]
    assert (binary.kind, binary.start, binary.target) == ("binary", 0, 1)
    assert f.cycle.state == "active" and f.teams[1].checkin.cadence == "biweekly"


def test_unquoted_times_abbreviated_days_and_dates_are_read_as_meant():
    text = "cycle: {name: Q, start: 2027-01-04, end: 2027-04-02}\nteams: [{name: A, checkin: {day: Tue, time: 9:05}}]"
    f = load_okr_file(text)
    assert (f.teams[0].checkin.day, f.teams[0].checkin.time) == ("tuesday", "09:05")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("teams.0.checkin", {"day": "mun"}, "teams[0].checkin.day: 'mun' is not a weekday"),
        ("teams.0.checkin", {"time": "25:00"}, "teams[0].checkin.time: '25:00' is not a time (HH:MM, e.g. 10:00)"),
        ("teams.0.timezone", "Europe/Berln", "teams[0].timezone: 'Europe/Berln' is not a timezone"),
        (
            "teams.0.members",
            ["alice"],
            "teams[0].members[0]: 'alice' is not a Slack user id, teams:<Entra object id> or email address",
        ),
        (
            "objectives.0.key_results.0.owner",
            "alice",
            "objectives[0].key_results[0].owner: 'alice' is not a Slack user id, teams:<Entra object id> or "
            "email address",
        ),
        ("cycle.end", "2026-12-01", "cycle.end: 2026-12-01 is before start 2027-01-04"),
        ("cycle.start", "2027-02-30", "cycle.start: '2027-02-30' is not a date (YYYY-MM-DD)"),
        ("objectives.0.team", "Sales", "objectives[0].team: unknown team 'Sales'; add it under teams:"),
        (
            "objectives.0.parent",
            "nope",
            "objectives[0].parent: unknown parent 'nope'; use the ref or title of an objective",
        ),
        (
            "objectives.0.key_results.0.kind",
            "inc",
            "objectives[0].key_results[0].kind: 'inc' is not one of 'increase', 'decrease', 'binary' or 'milestone'",
        ),
        ("objectives.0.key_results.0.target", "lots", "objectives[0].key_results[0].target: 'lots' is not a number"),
        (
            "objectives.0.key_results.0.target",
            30,
            "objectives[0].key_results[0].target: 30 must differ from start 30",
        ),
        ("objectives.0.key_results.1.score", 1.5, "objectives[0].key_results[1].score: 1.5 must be at most 1.0"),
        ("objectives.0.key_results.1.teams", ["Nope"], "objectives[0].key_results[1].teams[0]: unknown team 'Nope'"),
        ("objectives.0.title", "", "objectives[0].title: must not be empty"),
        ("teams.0.channel", "#growth", "teams[0].channel: '#growth' is not a Slack channel id (C…)"),
    ],
)
def test_each_bad_field_is_named_by_its_path(path, value, message):
    assert errors_of(with_change(path, value)) == [message]


def test_unknown_fields_suggest_the_likely_name():
    data = with_change("objectives.0.key_results.0.tagret", 45)
    assert errors_of(data) == ["objectives[0].key_results[0].tagret: unknown field (did you mean 'target'?)"]


def test_missing_fields_and_targets():
    data = with_change("objectives.0.key_results.0", {"title": "x", "owner": "U0A"})
    assert errors_of(data) == ["objectives[0].key_results[0].target: is required unless the kind is binary"]
    assert errors_of({"teams": []}) == ["cycle: is required"]


def test_duplicates_and_parent_problems():
    data = copy.deepcopy(BASE)
    data["teams"].append({"name": "growth"})
    data["objectives"].append({"title": "Make onboarding effortless", "team": "Growth"})
    data["objectives"].append({"title": "Loop", "ref": "a", "team": "Growth", "parent": "b"})
    data["objectives"].append({"title": "Loop2", "ref": "b", "team": "Growth", "parent": "a"})
    data["objectives"].append({"title": "Self", "ref": "s", "team": "Growth", "parent": "s"})
    assert errors_of(data) == [
        "teams[1].name: duplicate team name 'growth' (also teams[0])",
        "objectives[1].title: duplicate objective title in this team 'Make onboarding effortless' (also objectives[0])",
        "objectives[4].parent: an objective cannot be its own parent",
        "objectives[2].parent: the parent chain loops back to this objective",
        "objectives[3].parent: the parent chain loops back to this objective",
    ]


def test_every_problem_is_reported_at_once():
    data = with_change("teams.0.checkin", {"day": "mun", "time": "25:00"})
    data["objectives"][0]["team"] = "Sales"
    data["objectives"][0]["key_results"][0]["owner"] = "alice"
    assert len(errors_of(data)) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cycle: {name: x\nteams: [", "invalid YAML at line 2, column 6: expected ',' or '}', but got ':'"),
        ("cycle: x\ncycle: y\n", "invalid YAML at line 2, column 1: duplicate key 'cycle'"),
        ("- just\n- a list\n", "the file must be a mapping with cycle:, teams: and objectives: at the top"),
    ],
)
def test_bad_yaml_says_where(text, message):
    assert errors_of(text)[0].startswith(message)


def test_teams_known_to_the_database_may_be_referenced():
    data = with_change("objectives.0.team", "Platform")
    assert load_okr_file(data, known_teams=frozenset({"Platform"})).objectives[0].team == "Platform"


def test_normalise_ignores_order_defaults_and_the_implied_own_team():
    a = copy.deepcopy(BASE)
    b = copy.deepcopy(BASE)
    b["teams"][0]["members"] = ["U0BOB", "U0ALICE"]
    b["objectives"][0]["key_results"][1] |= {"start": 0, "target": 1, "teams": ["Growth"]}
    b["cycle"]["state"] = "active"
    assert normalise(load_okr_file(a)) == normalise(load_okr_file(b))
