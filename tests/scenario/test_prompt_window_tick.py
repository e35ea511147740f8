"""Issue 15 item 6, inside a prompt window: for six hours after a slot every tick is "in the window". With
everyone whose slot has come already prompted, a tick issues the same few statements at any org size and
sends nothing; when a later zone's slot comes, exactly the person there is prompted (with the KR they
co-own in another person's name too), and once.

Berlin's team checks in on Monday at 10:00 local (09:00 UTC); one member lives in New York, whose 10:00 is
15:00 UTC. SQL is counted with a `before_cursor_execute` listener on the bot's engine; nothing is timed.
"""

from datetime import timedelta

from sqlalchemy import event

from bot.services.okr_io.importer import import_okrs
from tests.harness import running_bot
from tests.scenario.test_idle_tick import MONDAY_10, WRITES, org, reads_and_selects

NOON_UTC = MONDAY_10 + timedelta(hours=3)  # 13:00 in Berlin, 07:00 in New York: inside Berlin's window
NEW_YORK_10 = MONDAY_10 + timedelta(hours=6)  # 15:00 UTC
# The shared settings (3) with reconcile's check in one read, who may be due (1), the nudges' counts and
# candidates (2); before the cycle's first past slot and digest, no read for either (17 statements on SQLite
# before: a bare BEGIN for each of those two, the settings' own read, the directory refresh's and prune's rows
# every tick). Exact, like the idle tick's.
WINDOW_SELECTS, WINDOW_READS = 7, 3
NEW_YORKER = "U0T00NYC"


def window_org(teams: int, per_team: int) -> dict:
    data = org(teams, per_team)
    data["teams"][0]["members"].append(NEW_YORKER)
    data["people"].append({"id": NEW_YORKER, "name": "Nadia York", "tz": "America/New_York"})
    krs = data["objectives"][0]["key_results"]
    krs.append({"title": "KR of Nadia", "owner": NEW_YORKER, "start": 0, "target": 10})
    krs[1]["co_owners"] = [NEW_YORKER]  # a Berlin colleague's KR: Nadia is asked about it at her own slot
    return data


def prompts_to(fake, person: str, earlier: set[int]) -> list:
    """Top-level DMs to `person` since this org started (the fake is shared by both org sizes)."""
    return [m for m in fake.messages(person) if m.thread_ts is None and id(m) not in earlier]


async def window_ticks(fake, db_path, teams: int, per_team: int) -> list[str]:
    """The statements of an in-window tick with nothing due, after Berlin's prompts; then New York's slot."""
    earlier = {id(m) for m in fake.messages()}
    async with running_bot(fake, db_path) as bot:
        data = window_org(teams, per_team)
        for person in data["people"]:
            fake.add_user(person["id"], person["name"], tz=person["tz"])
        assert (await import_okrs(bot.db, data, dry_run=False)).created
        await bot.tick(MONDAY_10)
        berliners = [p["id"] for p in data["people"] if p["id"] != NEW_YORKER]
        assert all(len(prompts_to(fake, p, earlier)) == 1 for p in berliners)
        assert prompts_to(fake, NEW_YORKER, earlier) == []  # 04:00 in New York

        statements: list[str] = []
        listener = lambda _c, _cur, sql, *_a: statements.append(" ".join(sql.split()))  # noqa: E731
        calls_before = len(fake.calls)
        event.listen(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        try:
            report = await bot.tick(NOON_UTC)
        finally:
            event.remove(bot.db.engine.sync_engine, "before_cursor_execute", listener)
        assert report.lines == [] and len(fake.calls) == calls_before, report.lines

        report = await bot.tick(NEW_YORK_10)
        assert [line for line in report.lines if "prompt" in line] == [
            f"sent prompt for {NEW_YORKER} (2027-01-04, 2 KRs)"
        ]
        (prompt,) = prompts_to(fake, NEW_YORKER, earlier)
        assert "KR of Nadia" in str(prompt.blocks) and "KR of U0T00P01" in str(prompt.blocks)
        assert all(len(prompts_to(fake, p, earlier)) == 1 for p in berliners)  # nobody asked twice

        await bot.tick(NEW_YORK_10 + timedelta(minutes=1))
        assert len(prompts_to(fake, NEW_YORKER, earlier)) == 1  # exactly once
        return statements


async def test_a_tick_in_the_window_with_nothing_due_reads_little_at_any_size_then_a_later_zone_is_prompted(
    fake_slack, tmp_path
):
    small = await window_ticks(fake_slack, tmp_path / "small.db", teams=1, per_team=3)
    large = await window_ticks(fake_slack, tmp_path / "large.db", teams=6, per_team=8)
    (begins, selects), (large_begins, large_selects) = reads_and_selects(small), reads_and_selects(large)
    assert selects == large_selects == WINDOW_SELECTS, (selects, large_selects, large)
    assert begins == large_begins and begins in (0, WINDOW_READS), (begins, large_begins, large)
    assert not [s for s in small + large if s.upper().startswith(WRITES)], "a tick with nothing due wrote"
    # No KR or person row was loaded to find that nobody is due (ids only): the full pass read them all.
    assert not [s for s in small + large if "key_result.title" in s or "person.display_name" in s], large
