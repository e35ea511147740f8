"""Edits made through the bot's modals and commands, and by `okrbot import` in another process, reach every
process's cached objective tree and roster (storage/structure_cache.py) on its next read.

`other` is a second Database on the same file or server, as a second `okrbot serve` would hold: it warms its
caches first, and then must see each edit without being told.
"""

import pytest

from bot.services.kernel import read_models
from bot.services.okr_io.importer import import_okrs
from storage import cycles, structure_cache
from storage.db import Database
from tests.scenario.test_okr_edit import edit_kr
from tests.scenario.test_team_settings import settings_values
from tests.scenario.view_seed import NOW, seed, text_of

IMPORTED = """\
cycle: {name: 2027-Q1, start: 2027-01-04, end: 2027-04-02}
teams:
  - name: Growth
    timezone: America/New_York
    managers: [U0MANAGER]
    members: [U0OWNER, U0MEMBER, U0NEWBIE]
objectives:
  - title: Imported objective
    team: Growth
    key_results:
      - {title: Imported KR, owner: U0NEWBIE, start: 0, target: 10}
"""


@pytest.fixture
async def other(bot):
    database = Database(bot.settings.database_url)
    yield database
    await database.dispose()


async def what_other_sees(other: Database, team_name: str = "Growth") -> tuple[str, dict, dict]:
    """(active cycle, {KR title: target} of the team's view, {team name: (timezone, managers+members)})."""
    async with other.read() as session:
        cycle = await cycles.active_cycle(session=session)
        roster = await structure_cache.roster(session=session)
        team = next(t for t in roster.teams if t.name == team_name)
        views = await read_models.team_objectives(session, cycle=cycle, team=team, today=NOW.date())
    people = {
        t.id: sorted(p for p, roles in roster.roles.items() if t.id in {i for i, _r in roles}) for t in roster.teams
    }
    teams = {t.name: (t.timezone, people[t.id]) for t in roster.teams}
    return cycle.name, {kr.title: kr.target for o in views for kr in o.krs}, teams


async def okr_team(bot) -> str:
    await bot.req.command("/okr", "team", user_id="U0MANAGER")
    await bot.settle()
    return text_of(bot.fake.calls_to("response_url")[-1].args["blocks"])


async def test_modal_edits_reach_another_process(bot, other):
    s = await seed(bot)
    _cycle, krs, teams = await what_other_sees(other)
    assert krs == {"Signups per week": 100, "Churn rate": 100} and teams["Growth"][0] == "Europe/Berlin"

    edited = {"title": {"title": "Signups per day"}, "target": {"target": "250"}}
    resp = await edit_kr(bot, "U0MANAGER", s.kr_ids[0], edited)
    assert resp.status == 200 and not resp.body
    await bot.settle()
    assert (await what_other_sees(other))[1] == {"Signups per day": 250, "Churn rate": 100}

    await bot.req.command("/okr", "settings", user_id="U0MANAGER")
    resp = await bot.req.view_submission("U0MANAGER", "okr.settings.modal", settings_values(tz="Asia/Tokyo"))
    assert resp.status == 200 and not resp.body
    await bot.settle()
    assert (await what_other_sees(other))[2]["Growth"][0] == "Asia/Tokyo"
    bot.fake.assert_no_warnings()


async def test_cycle_commands_reach_another_process(bot, other):
    await seed(bot)
    assert (await what_other_sees(other))[0] == "2027-Q1"
    await bot.req.command("/okr", text="cycle open 2027-Q2 2027-04-05 2027-07-02 carry-over", user_id="U0ADMIN")
    assert "opened 2027-Q2" in bot.fake.calls_to("response_url")[-1].args["text"]
    cycle, krs, _teams = await what_other_sees(other)
    assert cycle == "2027-Q2" and set(krs) == {"Signups per week", "Churn rate"}  # carried over: the new cycle's tree
    await bot.req.command("/okr", text="cycle close", user_id="U0ADMIN")
    async with other.read() as session:
        assert await cycles.active_cycle(session=session) is None


async def test_an_import_by_another_process_reaches_the_running_bot(bot, other):
    await seed(bot)
    await what_other_sees(other)  # both caches warm before the import
    assert "Imported objective" not in await okr_team(bot)
    await bot.req.event({"type": "app_home_opened", "user": "U0MANAGER", "channel": "D0MANAGER", "tab": "home"})
    await bot.settle()
    assert "U0NEWBIE" not in text_of(bot.fake.home_view("U0MANAGER")["blocks"])

    # What `okrbot import` runs, in the other process (the CLI's own migration step aside: tests use create_all).
    report = await import_okrs(other, IMPORTED, dry_run=False)
    assert report.created

    _cycle, krs, teams = await what_other_sees(other)  # the writer's own cache too
    assert "Imported KR" in krs
    assert teams["Growth"] == ("America/New_York", ["U0MANAGER", "U0MEMBER", "U0NEWBIE", "U0OWNER"])
    assert "Imported objective" in await okr_team(bot)
    await bot.req.event({"type": "app_home_opened", "user": "U0MANAGER", "channel": "D0MANAGER", "tab": "home"})
    await bot.settle()
    assert "U0NEWBIE" in text_of(bot.fake.home_view("U0MANAGER")["blocks"])  # the overview: not checked in yet
