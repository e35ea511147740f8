"""Item 8: DST. Team digests fire once per period at the team's local wall time across both transitions of
every DST zone (and Kolkata's half-hour offset), and an Adelaide owner (+9:30/+10:30) gets prompts at 10:00.

Prompts in New York, Berlin, Sydney and Kolkata are in tests/scenario/test_checkin_schedule.py. To stay fast
we tick only around due instants (-30..+30 min in 15-min steps), never all day.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.models import SendLedger, Team
from tests.scenario.digest_seed import texts
from tests.scenario.seed import ledger_rows, okr_data, seed

# 2027 transitions: US Mar 14 / Nov 7, EU Mar 28 / Oct 31, Sydney and Adelaide Apr 4 (ends) / Oct 3 (starts).
ZONES = {
    "NY": ("America/New_York", date(2027, 3, 14), date(2027, 11, 7)),
    "Berlin": ("Europe/Berlin", date(2027, 3, 28), date(2027, 10, 31)),
    "Sydney": ("Australia/Sydney", date(2027, 10, 3), date(2027, 4, 4)),
    "Adelaide": ("Australia/Adelaide", date(2027, 10, 3), date(2027, 4, 4)),
    "Kolkata": ("Asia/Kolkata", date(2027, 3, 14), date(2027, 11, 7)),  # no DST: a control
}
QUARTERS = [timedelta(minutes=15 * q) for q in range(-2, 3)]  # -30 .. +30 min


def org(day: str, at: str) -> dict:
    """One team per zone, each with its own channel and one KR, digests on `day` at `at` local time."""
    teams = [
        {"name": name, "timezone": tz, "channel": f"C0{name.upper()}", "managers": ["U0MANAGER"], "members": []}
        for name, (tz, *_) in ZONES.items()
    ]
    for team in teams:
        team["digest"] = {"day": day, "time": at}
        team["checkin"] = {"day": "wednesday", "time": "10:00"}  # keep prompts out of the way
    data = okr_data()
    data["teams"] = teams
    data["cycle"] = {"name": "2027", "start": "2027-01-04", "end": "2027-12-31"}
    data["objectives"] = [
        {
            "title": f"{name} goal",
            "team": name,
            "key_results": [{"title": f"{name} KR", "owner": "U0ALICE", "target": 10}],
        }
        for name in ZONES
    ]
    return data


def local(day: date, wall: time, tz: str, fold: int = 0) -> datetime:
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz)).replace(fold=fold).astimezone(UTC)


async def tick_around(bot, *instants: datetime) -> None:
    for instant in sorted({i + q for i in instants for q in QUARTERS}):
        await bot.tick(instant)


async def digests(bot) -> dict[str, list[SendLedger]]:
    async with bot.db.transaction() as s:
        rows = (await s.exec(select(SendLedger).where(SendLedger.kind == "digest"))).all()
        names = {f"team:{t.id}": t.name for t in (await s.exec(select(Team))).all()}
    out: dict[str, list[SendLedger]] = {name: [] for name in ZONES}
    for row in rows:
        # Ticking weeks apart makes the week in between overdue: it is recorded `skipped`, never posted.
        assert row.status in ("sent", "skipped") and (row.status == "sent") == (row.sent_at is not None), row
        if row.status == "sent":
            out[names[row.recipient]].append(row)
    return out


def fridays_around(transition: date) -> list[date]:
    friday = transition - timedelta(days=(transition.weekday() - 4) % 7)
    return [friday, friday + timedelta(days=7)]


@pytest.mark.slow
async def test_weekly_digest_stays_at_16_local_on_the_fridays_around_both_transitions(bot):
    await seed(bot, org("friday", "16:00"))
    # Every team is ticked around its own 16:00 on every Friday: the tick runs every minute in production, so
    # a team's due minute is never skipped while another zone's is visited.
    fridays = sorted({d for _, s, f in ZONES.values() for d in fridays_around(s) + fridays_around(f)})
    await tick_around(bot, *(local(d, time(16), tz) for tz, *_ in ZONES.values() for d in fridays))
    rows = await digests(bot)
    for name, (tz, *_) in ZONES.items():
        mine = sorted(rows[name], key=lambda r: r.period)
        assert [r.period for r in mine] == [d.isoformat() for d in fridays], name
        assert {r.status for r in mine} == {"sent"}, name
        assert {r.sent_at.astimezone(ZoneInfo(tz)).strftime("%a %H:%M") for r in mine} == {"Fri 16:00"}, name
        posted = bot.fake.messages(f"C0{name.upper()}")
        assert len(posted) == len(fridays) and all(f"{name} KR" in texts(m) for m in posted), name
    bot.fake.assert_no_warnings()


@pytest.mark.parametrize("name", ["NY", "Berlin", "Sydney", "Adelaide"])
async def test_digest_inside_the_spring_forward_gap_goes_at_the_next_valid_minute_once(bot, name):
    tz, spring, _ = ZONES[name]
    await seed(bot, org("sunday", "02:30"))
    due = local(spring, time(3), tz)  # 02:30 does not exist that night: the clock jumps 02:00 -> 03:00
    naive = datetime.combine(spring, time(2, 30), tzinfo=ZoneInfo(tz)).astimezone(UTC)  # the old offset's 02:30
    await tick_around(bot, due, naive)
    (row,) = (await digests(bot))[name]
    assert (row.period, row.status) == (spring.isoformat(), "sent")
    assert row.sent_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") == f"{spring} 03:00"
    assert len(bot.fake.messages(f"C0{name.upper()}")) == 1
    bot.fake.assert_no_warnings()


@pytest.mark.parametrize("name", ["NY", "Berlin", "Sydney", "Adelaide"])
async def test_digest_inside_the_repeated_fall_back_hour_goes_once_at_the_first(bot, name):
    tz, _, fall = ZONES[name]
    wall = time(1, 30) if name == "NY" else time(2, 30)  # inside each zone's repeated hour
    await seed(bot, org("sunday", wall.strftime("%H:%M")))
    first, second = local(fall, wall, tz, fold=0), local(fall, wall, tz, fold=1)
    assert second - first == timedelta(hours=1)
    await tick_around(bot, first, second)
    (row,) = (await digests(bot))[name]
    assert (row.period, row.status, row.sent_at) == (fall.isoformat(), "sent", first)
    assert len(bot.fake.messages(f"C0{name.upper()}")) == 1
    assert len([m for m in bot.fake.messages("U0MANAGER") if f"*{name}*" in texts(m)]) == 1  # one manager digest
    bot.fake.assert_no_warnings()


def adelaide_org(day: str, at: str) -> dict:
    data = okr_data(
        team={"timezone": "UTC", "checkin": {"day": day, "time": at}},
        people=[{"id": "U0ADL", "name": "Adele", "tz": "Australia/Adelaide"}],
    )
    data["cycle"] = {"name": "2027", "start": "2027-01-04", "end": "2027-12-31"}
    data["objectives"][0]["key_results"] = [{"title": "Adelaide KR", "owner": "U0ADL", "start": 0, "target": 10}]
    return data


async def adelaide_prompts(bot) -> list[SendLedger]:
    rows = [r for r in await ledger_rows(bot) if r.recipient == "U0ADL"]
    assert {r.status for r in rows} <= {"sent", "skipped"}  # weeks we did not tick near are skipped as too late
    return sorted((r for r in rows if r.status == "sent"), key=lambda r: r.period)


async def test_adelaide_owner_is_prompted_at_10_local_on_the_mondays_around_both_transitions(bot):
    await seed(bot, adelaide_org("monday", "10:00"))
    mondays = [date(2027, 3, 29), date(2027, 4, 5), date(2027, 9, 27), date(2027, 10, 4)]
    await tick_around(bot, *(local(d, time(10), "Australia/Adelaide") for d in mondays))
    rows = await adelaide_prompts(bot)
    assert [(r.period, r.status) for r in rows] == [(d.isoformat(), "sent") for d in mondays]
    offsets = [r.sent_at.astimezone(ZoneInfo("Australia/Adelaide")).strftime("%H:%M %z") for r in rows]
    assert offsets == ["10:00 +1030", "10:00 +0930", "10:00 +0930", "10:00 +1030"]
    assert len([m for m in bot.dm("U0ADL") if m.thread_ts is None and "Adelaide KR" in texts(m)]) == 4


async def test_adelaide_prompt_in_the_gap_goes_at_03_00_and_in_the_repeated_hour_once(bot):
    await seed(bot, adelaide_org("sunday", "02:30"))
    tz = "Australia/Adelaide"
    gap_due, naive = local(date(2027, 10, 3), time(3), tz), local(date(2027, 10, 3), time(2, 30), tz)
    first, second = local(date(2027, 4, 4), time(2, 30), tz), local(date(2027, 4, 4), time(2, 30), tz, fold=1)
    await tick_around(bot, gap_due, naive, first, second)
    rows = await adelaide_prompts(bot)
    assert [(r.period, r.status, r.sent_at) for r in rows] == [
        ("2027-04-04", "sent", first),
        ("2027-10-03", "sent", gap_due),
    ]
    assert rows[1].sent_at.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "03:00"
    assert len([m for m in bot.dm("U0ADL") if m.thread_ts is None]) == 2
    bot.fake.assert_no_warnings()
