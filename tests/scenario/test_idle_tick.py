"""Issue 15 item 6: a tick with nothing due costs the same small, fixed work however big the organisation is.

A whole week runs through the real tick (Monday's prompts, Tuesday's nudges, Friday's team and manager
digests); on Saturday nothing is due. Before the fix the digest step re-claimed every team's ledger row on
every tick (a savepoint, a failing INSERT, a SELECT per team) and the prompt and nudge steps loaded every KR,
person and prompt: the statements of an idle tick grew with the org. SQL is counted with a
`before_cursor_execute` listener on the bot's engine; nothing is timed.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import func, select

from bot.services.okr_io.importer import import_okrs
from storage.models import SendLedger
from tests.harness import running_bot

MONDAY_10 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
TUESDAY_NUDGES = MONDAY_10 + timedelta(hours=24, minutes=1)
FRIDAY_16 = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)
SATURDAY = datetime(2027, 1, 9, 12, 0, tzinfo=UTC)
# One read transaction with the settings every step shares (cycle, teams, zones) and reconcile's unconfirmed
# rows; then one read each for the prompts' settled periods, the nudges' counts and the digests' undone rows
# (16 statements before on SQLite: the settings had their own read, and today's directory refresh and prune
# rows were read every tick). Exact: a read more is a regression, a read less a chance to look again.
IDLE_SELECTS, IDLE_READS = 7, 4


def reads_and_selects(statements: list[str]) -> tuple[int, int]:
    """(read transactions, other statements): SQLite's BEGIN is a statement, PostgreSQL's (asyncpg) is not."""
    begins = sum(s == "BEGIN" for s in statements)
    return begins, len(statements) - begins


WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN IMMEDIATE")


def org(teams: int, per_team: int) -> dict:
    team_rows, people, objectives = [], [], []
    for t in range(teams):
        ids = [f"U0T{t:02d}P{i:02d}" for i in range(per_team)]
        team_rows.append(
            {
                "name": f"Team {t}",
                "channel": f"C0TEAM{t:02d}",
                "timezone": "Europe/Berlin",
                "managers": [ids[0]],
                "members": ids[1:],
                "checkin": {"day": "monday", "time": "10:00", "cadence": "weekly"},
                "digest": {"day": "friday", "time": "16:00"},
            }
        )
        people += [{"id": u, "name": f"Person {u}", "tz": "Europe/Berlin"} for u in ids]
        krs = [{"title": f"KR of {u}", "owner": u, "start": 0, "target": 10} for u in ids]
        objectives.append({"title": f"Objective of team {t}", "team": f"Team {t}", "key_results": krs})
    cycle = {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"}
    return {"cycle": cycle, "teams": team_rows, "people": people, "objectives": objectives}


async def idle_saturday(fake, db_path, teams: int, per_team: int) -> tuple[list[str], int, int]:
    """(statements of a Saturday tick, ledger rows it added, Slack calls it made) after a real week."""
    async with running_bot(fake, db_path) as bot:
        data = org(teams, per_team)
        for person in data["people"]:
            fake.add_user(person["id"], person["name"], tz=person["tz"])
        assert (await import_okrs(bot.db, data, dry_run=False)).created
        for at in (MONDAY_10, TUESDAY_NUDGES, FRIDAY_16, SATURDAY):
            await bot.tick(at)
        people = teams * per_team
        assert len([c for c in fake.calls_to("chat.postMessage") if c.args.get("thread_ts")]) >= people  # nudged
        assert len(fake.messages(f"C0TEAM{teams - 1:02d}")) == 1  # the last team's digest went out
        statements: list[str] = []
        listener = lambda _c, _cur, sql, *_a: statements.append(" ".join(sql.split()))  # noqa: E731
        rows_before, calls_before = await ledger_rows(bot), len(fake.calls)
        event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        try:
            report = await bot.tick(SATURDAY + timedelta(minutes=1))
        finally:
            event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        assert report.lines == []
        return statements, await ledger_rows(bot) - rows_before, len(fake.calls) - calls_before


async def ledger_rows(bot) -> int:
    async with bot.db.read() as session:
        return (await session.exec(select(func.count()).select_from(SendLedger))).one()


async def test_an_idle_tick_issues_the_same_few_reads_at_any_size_and_claims_nothing(fake_slack, tmp_path):
    small, small_rows, small_calls = await idle_saturday(fake_slack, tmp_path / "small.db", teams=1, per_team=3)
    large, large_rows, large_calls = await idle_saturday(fake_slack, tmp_path / "large.db", teams=6, per_team=8)
    (begins, selects), (large_begins, large_selects) = reads_and_selects(small), reads_and_selects(large)
    assert selects == large_selects == IDLE_SELECTS, (selects, large_selects, large)
    assert begins == large_begins and begins in (0, IDLE_READS), (begins, large_begins, large)
    assert not [s for s in small + large if s.upper().startswith(WRITES)], "an idle tick wrote or claimed"
    assert (small_rows, large_rows, small_calls, large_calls) == (0, 0, 0, 0)
