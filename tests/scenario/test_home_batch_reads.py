"""Issue 15 item 2: the Home tab reads all of a person's teams in one batch, each team once.

Before, each team's view was built with its own reads, and a manager's team (among their teams and among those
they manage) was built twice. Now a Home tab costs the same statements for one team as for three. Counted with
a `before_cursor_execute` listener on the bot's engine around the service that builds the tab; nothing is timed.
"""

import copy

from sqlalchemy import event

from bot.services import home
from tests.scenario.seed import okr_data, seed


def _with_teams(names: list[str]) -> dict:
    """Growth, plus teams (with one KR each) that Maya also manages."""
    data = okr_data()
    for name in names:
        team = copy.deepcopy(data["teams"][0]) | {"name": name, "members": ["U0BOB"]}
        data["teams"].append(team)
        kr = {"title": f"{name} KR", "owner": "U0BOB", "start": 0, "target": 10}
        data["objectives"].append({"title": f"{name} objective", "team": name, "key_results": [kr]})
    return data


async def _statements_of_home(bot, user_id: str):
    statements: list[str] = []
    listener = lambda conn, cursor, sql, *rest: statements.append(sql)  # noqa: E731
    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
    try:
        page = await home.build_home(bot.svc, user_id=user_id)
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
    # The inbox workers and the effects runner read their own tables now and then, on the same engine: theirs
    # are not Home's (they made this count flaky by one).
    background = ("inbox_item", "effect_due")
    return page, [s for s in statements if not s.startswith("BEGIN") and not any(t in s for t in background)]


async def test_a_managers_home_reads_one_team_or_three_with_the_same_statements(bot, tmp_path):
    await seed(bot, okr_data())
    one_page, one = await _statements_of_home(bot, "U0MANAGER")
    assert [t.name for t in one_page.teams] == ["Growth"] and [m.team_name for m in one_page.managed] == ["Growth"]

    await seed(bot, _with_teams(["Ops", "Sales"]))
    three_page, three = await _statements_of_home(bot, "U0MANAGER")
    assert [t.name for t in three_page.teams] == ["Growth", "Ops", "Sales"]
    assert [m.team_name for m in three_page.managed] == ["Growth", "Ops", "Sales"]
    assert three_page.teams[1].kr_count == 1 and three_page.managed[1].missing == ("Bob",)
    # the managed teams' "who is missing" names are one read each; everything else is shared by the teams
    assert len(three) == len(one) + 2
