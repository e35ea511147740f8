"""The tick: DST-safe 10:00 local, exactly once under repeats, concurrency, failures and downtime."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_services
from bot.cli import main
from bot.services.kernel.tick import run_tick
from tests.scenario.seed import MONDAY_10_BERLIN, ledger_rows, okr_data, seed

ZONES = {"U0NY": "America/New_York", "U0BER": "Europe/Berlin", "U0SYD": "Australia/Sydney", "U0KOL": "Asia/Kolkata"}
# The Monday right after each 2027 transition (US Mar 14 / Nov 7, EU Mar 28 / Oct 31, Sydney Apr 4 / Oct 3),
# plus one ordinary Monday before them; the weeks in between are covered by tests/unit/test_cadence*.py.
MONDAYS = [date(2027, 3, 8), date(2027, 3, 15), date(2027, 3, 29), date(2027, 4, 5)]
MONDAYS += [date(2027, 10, 4), date(2027, 11, 1), date(2027, 11, 8)]


def year_data(**team) -> dict:
    people = [{"id": pid, "name": pid[3:], "tz": tz} for pid, tz in ZONES.items()]
    krs = [{"title": f"KR of {pid}", "owner": pid, "start": 0, "target": 10} for pid in ZONES]
    data = okr_data(team={"timezone": "UTC", **team}, extra_krs=krs, people=people)
    data["cycle"] = {"name": "2027", "start": "2027-01-04", "end": "2027-12-31"}
    data["objectives"][0]["key_results"] = krs
    return data


@pytest.mark.slow
async def test_every_owner_gets_one_prompt_a_week_at_10_local_across_dst(bot):
    await seed(bot, year_data())
    for monday in MONDAYS:
        # Every 15 minutes from 08:45 to 11:15 local (both the old and the new offset's 10:00 are inside).
        instants = set()
        for tz in ZONES.values():
            ten = datetime(monday.year, monday.month, monday.day, 10, tzinfo=ZoneInfo(tz)).astimezone(UTC)
            instants |= {ten + timedelta(minutes=15 * q) for q in range(-5, 6)}
        for instant in sorted(instants):
            await bot.tick(instant)
    sent = [r for r in await ledger_rows(bot) if r.status == "sent"]
    for pid, tz in ZONES.items():
        mine = [r for r in sent if r.recipient == pid]
        assert sorted(r.period for r in mine) == [m.isoformat() for m in MONDAYS], pid
        assert {r.sent_at.astimezone(ZoneInfo(tz)).strftime("%a %H:%M") for r in mine} == {"Mon 10:00"}, pid
        assert len([m for m in bot.dm(pid) if m.thread_ts is None]) == len(MONDAYS)  # the rest are nudges


@pytest.mark.slow
async def test_gap_time_goes_at_the_next_valid_minute_and_repeated_time_once(bot):
    await seed(bot, year_data(checkin={"day": "sunday", "time": "02:30"}))
    for day, first, last in ((date(2027, 3, 14), 5, 9), (date(2027, 11, 7), 4, 8)):
        base = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for minute in range(first * 60, last * 60, 5):
            await bot.tick(base + timedelta(minutes=minute))
    ny = [r for r in await ledger_rows(bot) if r.recipient == "U0NY" and r.status == "sent"]
    local = [r.sent_at.astimezone(ZoneInfo("America/New_York")) for r in ny]
    assert [f"{t:%m-%d %H:%M}" for t in local] == ["03-14 03:00", "11-07 02:30"]  # no 02:30 in March


async def test_repeated_time_at_fall_back_sends_once(bot):
    await seed(bot, year_data(checkin={"day": "sunday", "time": "01:30"}))
    base = datetime(2027, 11, 7, tzinfo=UTC)
    for minute in range(4 * 60, 8 * 60, 5):  # 01:30 EDT (05:30Z) and 01:30 EST (06:30Z) are both inside
        await bot.tick(base + timedelta(minutes=minute))
    ny = [r for r in await ledger_rows(bot) if r.recipient == "U0NY" and r.period == "2027-11-07"]
    assert [(r.status, f"{r.sent_at:%H:%M}") for r in ny] == [("sent", "05:30")]
    assert len(bot.dm("U0NY")) == 1


async def test_two_processes_ticking_at_once_send_one_prompt_each(bot):
    await seed(bot, year_data())
    one, two = build_services(bot.settings), build_services(bot.settings)
    monday = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 10:00 Berlin
    await asyncio.gather(run_tick(one, monday), run_tick(two, monday), run_tick(one, monday))
    assert len(bot.dm("U0BER")) == 1
    assert [r.status for r in await ledger_rows(bot) if r.period == "2027-03-08" and r.recipient == "U0BER"] == ["sent"]
    await one.db.dispose()
    await two.db.dispose()


async def test_restart_after_permanent_failures_delivers_exactly_once(bot):
    await seed(bot, year_data())
    at = datetime(2027, 3, 15, 14, 30, tzinfo=UTC)  # 10:00 EDT was 14:00Z, 10:00 CET 09:00Z: both < 6h ago
    bot.fake.fail_next("chat.postMessage", times=8, status=500)  # 1 try + 3 retries each: both sends fail for good
    first = build_services(bot.settings)
    report = await run_tick(first, at)
    await first.db.dispose()
    assert any("failed" in line for line in report.lines)
    statuses = {r.recipient: r.status for r in await ledger_rows(bot) if r.period == "2027-03-15"}
    assert (statuses["U0NY"], statuses["U0BER"]) == ("failed", "failed")
    assert bot.dm("U0NY") == [] and bot.dm("U0BER") == []
    again = build_services(bot.settings)  # a new process
    await run_tick(again, at + timedelta(minutes=1))
    await run_tick(again, at + timedelta(minutes=2))
    await again.db.dispose()
    for pid in ("U0NY", "U0BER"):
        assert len(bot.dm(pid)) == 1, pid


async def test_injected_429_and_500_still_deliver_once(bot):
    await seed(bot)
    bot.fake.fail_next("chat.postMessage", times=1, status=429, retry_after=1)
    bot.fake.fail_next("chat.postMessage", times=1, status=500)
    await bot.tick(MONDAY_10_BERLIN)
    await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    assert len(bot.dm("U0ALICE")) == 1
    assert [c.status for c in bot.fake.calls_to("chat.postMessage")] == [429, 500, 200]


async def test_downtime_5h_late_sends_7h_late_is_skipped(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN + timedelta(hours=5))
    assert len(bot.dm("U0ALICE")) == 1
    report = await bot.tick(MONDAY_10_BERLIN + timedelta(days=7, hours=7))
    assert len([m for m in bot.dm("U0ALICE") if m.thread_ts is None]) == 1  # (plus last week's nudge)
    assert any("skipped prompt for U0ALICE (2027-01-18)" in line for line in report.lines)
    rows = {r.period: r for r in await ledger_rows(bot) if r.recipient == "U0ALICE"}
    assert rows["2027-01-18"].status == "skipped" and "late" in rows["2027-01-18"].error


async def test_all_krs_recently_updated_means_no_prompt(bot):
    await seed(bot)
    await bot.req.command("/okr", "checkin", user_id="U0ALICE")
    bot.svc.clock = lambda: MONDAY_10_BERLIN - timedelta(days=1)
    await bot.req.view_submission("U0ALICE", "okr.checkin.modal", {"value": {"value": "33"}})
    report = await bot.tick(MONDAY_10_BERLIN)
    assert bot.dm("U0ALICE") == [] or all("Weekly check-in" not in m.text for m in bot.dm("U0ALICE"))
    assert any("every KR was checked in" in line for line in report.lines)


async def test_timezones_refresh_daily_from_users_list(bot):
    await seed(bot)
    bot.fake.add_user("U0ALICE", name="Alice B.", tz="Asia/Kolkata")
    await bot.tick(MONDAY_10_BERLIN - timedelta(hours=6))
    await bot.tick(MONDAY_10_BERLIN - timedelta(hours=4, minutes=30))
    assert len(bot.fake.calls_to("users.list")) == 1
    # 10:00 in Kolkata is 04:30 UTC
    assert len(bot.dm("U0ALICE")) == 1
    from storage.models import Person

    async with bot.db.transaction() as s:
        alice = await s.get(Person, "U0ALICE")
    assert (alice.tz, alice.display_name) == ("Asia/Kolkata", "Alice B.")


async def test_okrbot_tick_cli_prints_and_repeating_sends_nothing(bot, monkeypatch, capsys, tmp_path):
    await seed(bot)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_API_URL", bot.fake.base_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", bot.fake.token)
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    when = "2027-01-11T10:00+01:00"
    assert await asyncio.to_thread(main, ["tick", "--at", when]) == 0
    first = capsys.readouterr().out
    assert "sent prompt for U0ALICE" in first
    assert await asyncio.to_thread(main, ["tick", "--at", when]) == 0
    second = capsys.readouterr().out
    assert "sent prompt" not in second
    assert len(bot.dm("U0ALICE")) == 1
