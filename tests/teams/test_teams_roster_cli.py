"""`okrbot teams roster`: an operator reads every Teams team's roster now, through the real CLI and the Teams SDK's
client, against the fake connector: Carol (named by email in the OKR file) is mapped, and the report says so; a
team without a channel or without anyone who installed okrbot, a refused read, and Teams not configured say why."""

import asyncio
import copy

from sqlmodel import select

from bot.cli import main
from bot.services.okr_io.importer import import_okrs
from storage.models import KeyResult
from tests.teams.activities import install, post
from tests.teams.test_teams_roster import CAROL, ROSTER, TEAM, okrs


def _okrs() -> dict:
    data = okrs()
    data["teams"][0]["channel"] = TEAM
    lonely = copy.deepcopy(data["teams"][0]) | {"name": "Ops", "channel": "19:ops@thread.tacv2", "members": []}
    data["teams"] += [lonely, {"name": "Sales", "platform": "teams", "timezone": "UTC"}]
    return data


async def _cli(monkeypatch, tmp_path, capsys, bot, *args: str, teams: bool = True) -> tuple[int, str, str]:
    """Run `okrbot teams roster` in its own thread (it runs its own event loop), on the bot's database."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", bot.settings.slack_bot_token.get_secret_value())
    monkeypatch.setenv("SLACK_API_URL", bot.settings.slack_api_url)
    if teams:
        monkeypatch.setenv("TEAMS_ALLOW_UNAUTHENTICATED", "true")
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["teams", "roster", *args])
    out, err = capsys.readouterr()
    return code, out, err


async def _ready(bot) -> None:
    await import_okrs(bot.svc, _okrs(), dry_run=False)
    await post(bot, install(bot.connector))  # Alice installs okrbot: her chat's service URL is the connector's
    bot.connector.members[TEAM] = ROSTER
    bot.connector.calls.clear()


async def test_the_roster_command_maps_carol_and_reports_each_team(teams_bot, monkeypatch, tmp_path, capsys):
    await _ready(teams_bot)
    code, out, err = await _cli(monkeypatch, tmp_path, capsys, teams_bot)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "teams roster:"
    assert "  Growth: 3 members read, 2 known to okrbot; mapped by email: Carol" in lines
    assert "  Ops: nobody in the team has installed okrbot yet, so no connector address" in lines
    assert any(line.startswith("  Sales: no Teams channel in the OKR file") for line in lines)
    async with teams_bot.db.read() as s:
        owners = {kr.title: kr.owner_id for kr in (await s.exec(select(KeyResult))).all()}
    assert owners["Docs coverage"] == CAROL
    calls = teams_bot.connector.calls
    assert calls and all(c.method == "GET" and c.path.lower().endswith("/pagedmembers") for c in calls)
    assert {c.path.split("/")[3] for c in calls} == {TEAM}
    # A second read maps nobody again.
    code, out, _ = await _cli(monkeypatch, tmp_path, capsys, teams_bot)
    assert code == 0 and "  Growth: 3 members read, 2 known to okrbot; nobody new mapped by email" in out


async def test_a_refused_read_says_so_and_changes_nothing(teams_bot, monkeypatch, tmp_path, capsys):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "Forbidden"}})]
    code, out, _ = await _cli(monkeypatch, tmp_path, capsys, teams_bot)
    assert code == 0 and "  Growth: the connector refused the roster read (see the log); nothing changed" in out
    async with teams_bot.db.read() as s:
        owners = {kr.title: kr.owner_id for kr in (await s.exec(select(KeyResult))).all()}
    assert owners["Docs coverage"] == "email:carol@example.com"


async def test_without_teams_configured_it_says_what_to_set(teams_bot, monkeypatch, tmp_path, capsys):
    code, _, err = await _cli(monkeypatch, tmp_path, capsys, teams_bot, teams=False)
    assert code == 2 and "Teams is not configured: set TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET" in err
    assert teams_bot.connector.calls == []
