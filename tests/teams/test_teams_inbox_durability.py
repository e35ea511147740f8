"""Teams messages through the durable inbox: once Teams has its 200, the check-in is kept.

30 Teams people each answer their prompt in plain words to a real `okrbot serve` process (Teams alone); the
connector is slow (1 s an answer), so most confirmations are still to do when the last 200 comes back, and the
process is SIGKILLed at that moment. After a restart every answer is recorded exactly once and confirmed once.
"""

import asyncio
import signal
import sqlite3
from collections import Counter
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlmodel import select

from bot.logs import quiet_libraries
from bot.services.okr_io.importer import import_okrs
from storage.migrate import upgrade
from storage.models import InboxItem
from tests.reliability.helpers import wait_for
from tests.teams.activities import CHAT, install, message, post
from tests.teams.crowd import as_person as activity
from tests.teams.crowd import crowd, okrs
from tests.teams.serve import start_serve, start_work

pytestmark = pytest.mark.slow
PEOPLE = 30
MONDAY_10_UTC = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def stored(path) -> Counter:
    with sqlite3.connect(path) as db:
        return Counter(a for (a,) in db.execute("SELECT author_id FROM check_in WHERE value = 42"))


def open_items(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM inbox_item WHERE state IN ('pending', 'claimed')").fetchone()[0]


async def prompted(fake_slack, connector, path, people) -> None:
    from tests.harness import running_bot

    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    async with running_bot(fake_slack, path, DATABASE_URL=url, TEAMS_ALLOW_UNAUTHENTICATED="true") as bot:
        await import_okrs(bot.svc, okrs(people), dry_run=False)
        for p in people:
            assert await post(bot, activity(install(connector, tz="UTC"), p)) == 200
        await bot.tick(MONDAY_10_UTC)
    assert len(connector.sent()) == PEOPLE


async def test_answers_acked_before_a_sigkill_are_all_recorded_once_after_restart(fake_slack, connector, tmp_path):
    path, people = tmp_path / "bot.db", crowd(PEOPLE)
    await prompted(fake_slack, connector, path, people)
    connector.calls.clear()
    connector.delay = 1.0  # a slow connector: the confirmations pile up behind the 200s, even on a busy machine
    proc, url = await start_serve(fake_slack, f"sqlite:///{path}", slack=False)
    async with aiohttp.ClientSession() as http:

        async def answer(p: dict) -> int:
            async with http.post(f"{url}/api/messages", json=activity(message(connector, "42"), p)) as r:
                return r.status

        statuses = await asyncio.gather(*(answer(p) for p in people))
    proc.send_signal(signal.SIGKILL)  # the moment the last 200 came back
    assert statuses == [200] * PEOPLE
    await asyncio.to_thread(proc.wait, 30)
    assert open_items(path) > 0, "the kill came after all the work was done: the test proves nothing"

    connector.delay = 0.0
    proc, _ = await start_serve(fake_slack, f"sqlite:///{path}", slack=False)
    try:
        await wait_for(lambda: open_items(path) == 0, timeout=120)
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
    per_author = stored(path)
    with sqlite3.connect(path) as db:
        ended = Counter(db.execute("SELECT state, error FROM inbox_item WHERE lane LIKE 'teams:%'").fetchall())
    assert sorted(per_author) == sorted(p["id"] for p in people), f"lost; inbox rows: {ended}"
    assert set(per_author.values()) == {1}, "doubled"
    confirmations = Counter(c.path for c in connector.sent() if "Recorded" in (c.body.get("text") or ""))
    assert len(confirmations) == PEOPLE and set(confirmations.values()) == {1}  # each confirmed once


async def test_a_web_only_serve_keeps_teams_answers_and_okrbot_work_does_them(fake_slack, connector, tmp_path):
    path, people = tmp_path / "bot.db", crowd(PEOPLE)
    await prompted(fake_slack, connector, path, people)
    connector.calls.clear()
    web, url = await start_serve(fake_slack, f"sqlite:///{path}", "--web-only", slack=False)
    work = None
    try:
        async with aiohttp.ClientSession() as http:
            for p in people:
                async with http.post(f"{url}/api/messages", json=activity(message(connector, "42"), p)) as r:
                    assert r.status == 200
        await asyncio.sleep(1.0)  # a serve that did its own work would have recorded some by now
        assert open_items(path) == PEOPLE and not stored(path)
        work = start_work(fake_slack, f"sqlite:///{path}", slack=False)  # Teams alone: its replayer is mounted
        await wait_for(lambda: open_items(path) == 0, timeout=120)
    finally:
        for proc in (web, work):
            if proc is not None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)
    assert stored(path) == Counter(p["id"] for p in people)  # each answer once
    with sqlite3.connect(path) as db:
        owners = {o.split(":")[1] for (o,) in db.execute("SELECT owner FROM inbox_item WHERE lane LIKE 'teams:%'")}
    assert owners == {str(work.pid)}
    confirmations = Counter(c.path for c in connector.sent() if "Recorded" in (c.body.get("text") or ""))
    assert len(confirmations) == PEOPLE and set(confirmations.values()) == {1}


async def test_a_teams_redelivery_of_the_same_activity_is_kept_once(teams_bot):
    await post(teams_bot, install(teams_bot.connector))
    again = message(teams_bot.connector, "okr help")
    assert await post(teams_bot, again) == 200
    assert await post(teams_bot, again) == 200  # Teams got no answer in time and sent it again
    async with teams_bot.db.read() as s:
        items = (await s.exec(select(InboxItem))).all()
    assert [i.key for i in items] == [f"teams:{again['id']}:{again['conversation']['id']}"]
    assert len(teams_bot.connector.sent()) == 1  # one help card


async def test_the_kept_activity_is_never_logged(teams_bot, caplog):
    await post(teams_bot, install(teams_bot.connector))
    assert await post(teams_bot, message(teams_bot.connector, "okr team SECRET-WORDS-9")) == 200
    assert not any("SECRET-WORDS-9" in r.getMessage() for r in caplog.records)


@pytest.mark.sqlite_only("the failure is forced by a SQLite trigger")
async def test_a_kept_message_that_fails_is_recorded_without_its_words_in_any_log(teams_bot, caplog):
    from datetime import timedelta

    from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS

    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    async with teams_bot.db.engine.begin() as conn:  # an error nothing expects, while the check-in is written
        await conn.exec_driver_sql(
            "CREATE TRIGGER no_checkins BEFORE INSERT ON check_in BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    caplog.set_level("DEBUG")
    quiet_libraries("DEBUG")  # what production does at LOG_LEVEL=DEBUG: libraries that log parameters stay at INFO
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    assert await post(teams_bot, message(teams_bot.connector, "42, at risk, SECRET-WORDS-7")) == 200
    async with teams_bot.db.read() as s:
        (item,) = [i for i in (await s.exec(select(InboxItem))).all() if i.lane.startswith("teams:")]
    assert (item.state, item.error) == ("failed", "IntegrityError")  # how it ended, not retried forever
    _prompt, told = teams_bot.connector.sent(CHAT)
    assert told.body["text"].startswith("Something went wrong on okrbot's side") and "ref " in told.body["text"]
    ref = told.body["text"].rsplit("ref ", 1)[1].rstrip(".")
    assert len(ref) == 8 and int(ref, 16) >= 0  # the correlation id its log lines carry (bot.logs)
    assert "kept message failed: IntegrityError" in caplog.text
    logs = caplog.text + "".join(str(r.args) + str(r.exc_info) for r in caplog.records)
    quiet_libraries("INFO")
    assert "teams message" in logs  # it was logged, by its id
    assert "SECRET-WORDS-7" not in logs
