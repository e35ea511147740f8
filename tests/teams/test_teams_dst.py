"""DST on Teams: Alice (Europe/Berlin, from Teams' localTimezone) and Bob (America/New_York, set with
`okr timezone` because his client sends none) get their Monday prompt at 10:00 local, exactly once, in the
weeks around both of 2027's transitions in their zones, through `okrbot tick --at` style ticks.

The team's own zone is UTC, so a prompt at the team's time would be an hour or more off: only the person's
zone can put it at 10:00. We tick every 15 minutes around each due instant, as tests/reliability/test_dst.py does.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import SendLedger
from tests.teams.activities import ALICE, BOB, BOB_CHAT, CHAT, install, message, post
from tests.teams.test_teams_checkin import card_texts

OKRS = {
    "cycle": {"name": "2027", "start": "2027-01-04", "end": "2027-12-31"},
    "teams": [{"name": "Growth", "platform": "teams", "timezone": "UTC", "members": [ALICE, BOB]}],
    "people": [{"id": ALICE, "name": "Alice"}, {"id": BOB, "name": "Bob"}],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [
                {"title": "Activation rate", "owner": ALICE, "start": 30, "target": 45, "unit": "%"},
                {"title": "Signup time", "owner": BOB, "start": 300, "target": 60, "unit": "s"},
            ],
        }
    ],
}
# The Mondays before and after each 2027 transition: EU Mar 28 / Oct 31, US Mar 14 / Nov 7. Both people are
# ticked through all of them (in the weeks between the two continents' changes, the offset between them moves).
MONDAYS = {
    "Europe/Berlin": [date(2027, 3, 22), date(2027, 3, 29), date(2027, 10, 25), date(2027, 11, 1)],
    "America/New_York": [date(2027, 3, 8), date(2027, 3, 15), date(2027, 11, 1), date(2027, 11, 8)],
}
STEPS = [timedelta(minutes=15 * q) for q in range(-4, 5)]  # -1h .. +1h


def ten_local(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def prompts(bot, chat: str) -> list:
    return [c for c in bot.connector.sent(chat) if "Weekly check-in" in card_texts(c)]


async def test_prompts_come_at_ten_local_once_a_week_across_dst(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))  # localTimezone: Europe/Berlin
    await post(teams_bot, install(teams_bot.connector, who="bob", tz=None))
    await post(teams_bot, message(teams_bot.connector, "okr timezone America/New_York", who="bob", tz=None))
    people = {ALICE: (CHAT, "Europe/Berlin"), BOB: (BOB_CHAT, "America/New_York")}
    days = sorted({day for mondays in MONDAYS.values() for day in mondays})  # each person, every one of these weeks
    due = {(person, ten_local(day, zone)) for person, (_, zone) in people.items() for day in days}
    instants = sorted({at + step for _, at in due for step in STEPS})  # time runs forward, as it does
    for instant in instants:
        before = {person: len(prompts(teams_bot, chat)) for person, (chat, _) in people.items()}
        await teams_bot.tick(instant)
        for person, (chat, _) in people.items():
            arrived = len(prompts(teams_bot, chat)) - before[person]
            # Nothing before 10:00 local; the 10:00 tick sends it; no later tick sends it again.
            assert arrived == (1 if (person, instant) in due else 0), (person, instant)
    for person in people:
        async with teams_bot.db.transaction() as s:
            rows = (await s.exec(select(SendLedger).where(SendLedger.recipient == person))).all()
        sent = [r for r in rows if r.kind == "prompt" and r.status == "sent"]
        assert sorted(r.period for r in sent) == [str(d) for d in days]
        assert all(r.channel.startswith("teams-chat:") for r in sent)
