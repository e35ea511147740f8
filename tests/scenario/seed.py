"""Seed scenario tests through the real import service, and keep the fake Slack's users in step."""

import copy
import itertools
import json
from datetime import UTC, datetime

from bot.services.okr_io.importer import import_okrs
from storage import ledger

CYCLE = {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"}
# Monday 2027-01-11 10:00 in Berlin (UTC+1).
MONDAY_10_BERLIN = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)

BASE = {
    "cycle": CYCLE,
    "teams": [
        {
            "name": "Growth",
            "timezone": "Europe/Berlin",
            "managers": ["U0MANAGER"],
            "members": ["U0ALICE", "U0BOB"],
            "checkin": {"day": "monday", "time": "10:00", "cadence": "weekly"},
        }
    ],
    "people": [
        {"id": "U0ALICE", "name": "Alice", "tz": "Europe/Berlin"},
        {"id": "U0BOB", "name": "Bob", "tz": "America/New_York"},
        {"id": "U0MANAGER", "name": "Maya", "tz": "Europe/Berlin"},
        {"id": "U0EVE", "name": "Eve", "tz": "Europe/Berlin"},
    ],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [
                {
                    "title": "Activation rate from 30% to 45%",
                    "owner": "U0ALICE",
                    "start": 30,
                    "target": 45,
                    "unit": "%",
                },
                {"title": "Signups to 100", "owner": "U0BOB", "start": 0, "target": 100},
            ],
        }
    ],
}


def okr_data(*, team: dict | None = None, extra_krs: list[dict] = (), people: list[dict] = ()) -> dict:
    data = copy.deepcopy(BASE)
    data["teams"][0].update(team or {})
    data["objectives"][0]["key_results"] += list(extra_krs)
    data["people"] += list(people)
    return data


async def seed(bot, data: dict | None = None) -> dict:
    """Import the OKR data and register its people (with their timezones) in the fake Slack."""
    data = data or okr_data()
    for p in data["people"]:
        bot.fake.add_user(p["id"], name=p["name"], tz=p.get("tz") or "UTC")
    await import_okrs(bot.svc, data, dry_run=False)
    return data


_HOME_OPENS = itertools.count()


async def opens_home(bot, user_id: str) -> None:
    """The person opens the Home tab (signed app_home_opened): from then on check-ins refresh it too. Its own
    event id, so it never collides with the ids of a second SlackRequests a test makes."""
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"}
    await bot.req.event(event, event_id=f"Ev0HOME{next(_HOME_OPENS):06d}")
    await bot.settle()


def at(when: datetime):
    """A clock for svc.clock: button and reply paths stamp check-ins with this instant."""
    return lambda: when


async def ledger_rows(bot, kind: str = "prompt"):
    async with bot.db.transaction() as s:
        from sqlmodel import select

        from storage.models import SendLedger

        return list((await s.exec(select(SendLedger).where(SendLedger.kind == kind))).all())


def detail(row) -> dict:
    return json.loads(row.detail or "{}")


__all__ = ["ledger"]
