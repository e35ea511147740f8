"""Item 7: 50 check-ins plus view commands arriving at once over HTTP: no "database is locked", nothing lost."""

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import CheckIn
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

OWNERS = [f"U0OWN{i:03d}" for i in range(50)]
BY_REPLY, BY_MODAL = OWNERS[:35], OWNERS[35:]


def org() -> dict:
    people = [{"id": o, "name": f"Owner {o[-3:]}", "tz": "Europe/Berlin"} for o in OWNERS]
    krs = [{"title": f"KR of {o}", "owner": o, "start": 0, "target": 100} for o in OWNERS]
    return okr_data(team={"members": OWNERS}, extra_krs=krs, people=people)


@pytest.mark.slow
async def test_fifty_concurrent_checkins_and_commands(bot, caplog):
    caplog.set_level(logging.WARNING)
    await seed(bot, org())
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    prompts = {o: bot.dm(o)[0] for o in OWNERS}
    views = {}
    for owner in BY_MODAL:  # open the modals first (one trigger each), submit them all at once below
        await bot.req.command("/okr", "checkin", user_id=owner)
        views[owner] = bot.fake.open_views[-1]
    requests = [bot.req.message_im(o, f"{i + 1} on track", thread_ts=prompts[o].ts) for i, o in enumerate(BY_REPLY)]
    requests += [
        bot.req.view_submission(o, "okr.checkin.modal", {"value": {"value": "77"}}, view_id=views[o]["id"])
        for o in BY_MODAL
    ]
    requests += [bot.req.command("/okr", "mine", user_id=o) for o in OWNERS[:10]]
    requests += [bot.req.command("/okr", "team Growth", user_id=o) for o in OWNERS[10:15]]

    responses = await asyncio.gather(*requests)

    assert [r.status for r in responses] == [200] * len(requests)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert "database is locked" not in caplog.text
    async with bot.db.transaction() as s:
        rows = (await s.exec(select(CheckIn))).all()
    by_author = {c.author_id: c.value for c in rows}
    assert len(rows) == 50 and set(by_author) == set(OWNERS)
    assert all(by_author[o] == i + 1 for i, o in enumerate(BY_REPLY))
    assert all(by_author[o] == 77 for o in BY_MODAL)
    assert all(len(bot.fake.messages(o, thread_ts=prompts[o].ts)) == 1 for o in BY_REPLY)  # one confirmation each
    assert len([c for c in bot.fake.calls_to("response_url") if c.status == 200]) == 15
    bot.fake.assert_no_warnings()
