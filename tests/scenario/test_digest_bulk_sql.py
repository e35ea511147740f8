"""Issue 15 item 4: the digests due in a tick are read in one batch for all teams, not team by team.

Friday's team digests go out through the real tick for a small and a larger org (no managers, so only team
digests are sent). The tick issues the same statements whatever the number of teams: one batch of reads, one
claim INSERT and one executemany UPDATE recording the sent rows (their rows grow, not the statements). SQL is
counted with a `before_cursor_execute` listener on the bot's engine; nothing is timed.
"""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from bot.services.okr_io.importer import import_okrs
from tests.harness import running_bot

MONDAY_10 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
THURSDAY = datetime(2027, 1, 7, 12, 0, tzinfo=UTC)
FRIDAY_16 = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)


def org(teams: int, per_team: int, room: str) -> dict:
    team_rows, people, objectives = [], [], []
    for t in range(teams):
        ids = [f"U0T{t:02d}P{i:02d}" for i in range(per_team)]
        team_rows.append(
            {
                "name": f"Team {t}",
                "channel": f"C0{room}{t:02d}",
                "timezone": "Europe/Berlin",
                "managers": [],
                "members": ids,
                "checkin": {"day": "monday", "time": "10:00", "cadence": "weekly"},
                "digest": {"day": "friday", "time": "16:00"},
            }
        )
        people += [{"id": u, "name": f"Person {u}", "tz": "Europe/Berlin"} for u in ids]
        krs = [{"title": f"KR of {u}", "owner": u, "start": 0, "target": 10} for u in ids]
        objectives.append({"title": f"Objective of team {t}", "team": f"Team {t}", "key_results": krs})
        if t:  # aligned under the first team's objective: every team's view walks the alignment tree
            objectives[-1]["parent"] = "Objective of team 0"
    cycle = {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"}
    return {"cycle": cycle, "teams": team_rows, "people": people, "objectives": objectives}


async def friday(fake, db_path, teams: int) -> tuple[list[str], list[str]]:
    """(statements of the Friday digest tick, its report lines) after a real week's ticks."""
    async with running_bot(fake, db_path, inbox=False) as bot:  # no inbox polling in the count
        data = org(teams, per_team=4, room=db_path.stem.upper())
        for person in data["people"]:
            fake.add_user(person["id"], person["name"], tz=person["tz"])
        assert (await import_okrs(bot.db, data, dry_run=False)).created
        for at in (MONDAY_10, THURSDAY, FRIDAY_16 - timedelta(minutes=1)):
            await bot.tick(at)
        statements: list[str] = []
        listener = lambda _c, _cur, sql, *_a: statements.append(" ".join(sql.split()))  # noqa: E731
        event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        try:
            report = await bot.tick(FRIDAY_16)
        finally:
            event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        for t in range(teams):
            digest = fake.messages(f"C0{db_path.stem.upper()}{t:02d}")
            assert len(digest) == 1 and f"Team {t}" in digest[0].text
        again = await bot.tick(FRIDAY_16 + timedelta(minutes=1))  # exactly once: the next tick posts nothing
        assert all(len(fake.messages(f"C0{db_path.stem.upper()}{t:02d}")) == 1 for t in range(teams)), again.lines
        return statements, report.lines


def reads(statements: list[str]) -> list[str]:
    """The SELECTs, with IN lists written as one placeholder: a list grows with the org, the statement does not.
    PostgreSQL's numbered, typed placeholders ($3::INTEGER) are read as SQLite's `?` first."""
    plain = [re.sub(r"\$\d+(::[A-Z ]+(\(\d+\))?)?", "?", s) for s in statements if s.upper().startswith("SELECT")]
    return [re.sub(r"\(\?(, \?)*\)", "(?…)", s) for s in plain]


async def test_a_digest_tick_reads_the_same_statements_for_2_teams_or_7(fake_slack, tmp_path):
    small, small_lines = await friday(fake_slack, tmp_path / "small.db", teams=2)
    large, large_lines = await friday(fake_slack, tmp_path / "large.db", teams=7)
    assert len([line for line in large_lines if "posted to" in line]) == 7
    assert len([line for line in small_lines if "posted to" in line]) == 2
    assert reads(large) == reads(small), "a read ran once per team"
    assert len(large) == len(small), "a write ran once per team"
    assert any(s.startswith("INSERT INTO send_ledger") for s in large)  # the claim: one statement for all teams
