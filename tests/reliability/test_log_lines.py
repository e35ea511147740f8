"""Issue 11 items 9 and 15: the :boom: reference is the request's own correlation id (also after an inbox
replay), and the log says what a request was (`/okr at-risk`) without library noise."""

import io
import json
import logging
import re
from datetime import timedelta

import pytest

from bot.app import describe
from bot.logs import bolt_logger, log_handler
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

pytestmark = pytest.mark.sqlite_only(reason="breaks a table with SQLite DDL")


@pytest.fixture
def log_lines():
    """The production handler writing into a buffer, at INFO as in production."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buf = io.StringIO()
    root.handlers[:] = [log_handler(buf)]
    root.setLevel(logging.INFO)
    yield lambda: buf.getvalue().splitlines()
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def boom_ref(fake) -> str:
    (boom,) = [c for c in fake.calls if "Something went wrong" in json.dumps(c.args)]
    return re.search(r"ref `([0-9a-f]+)`", boom.args["text"])[1]


def cid_of(lines: list[str], what: str) -> str:
    (line,) = [line for line in lines if what in line]
    return re.search(r"\[([0-9a-f]+)\]", line)[1]


async def test_the_boom_ref_is_the_id_of_the_commands_log_line(bot, log_lines):
    await seed(bot)
    async with bot.db.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE key_result RENAME TO key_result_gone")
    await bot.req.command("/okr", text="mine", user_id="U0ALICE")
    lines = log_lines()
    ref = boom_ref(bot.fake)
    assert ref == cid_of(lines, "slack command /okr mine")
    assert any(f"[{ref}]" in line and "unhandled error" in line for line in lines)


async def test_the_boom_ref_of_a_replayed_thread_reply_is_the_id_it_came_in_with(bot, log_lines):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    async with bot.db.engine.begin() as conn:
        await conn.exec_driver_sql(  # a failure nothing expects, and not one the inbox waits out and retries
            "CREATE TRIGGER no_checkins BEFORE INSERT ON check_in "
            "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END"
        )
    await bot.req.message_im("U0ALICE", "1: 42 at risk", thread_ts=prompt.ts)
    ref = boom_ref(bot.fake)
    assert ref == cid_of(log_lines(), "slack event message")


def test_at_risk_is_logged_with_its_subcommand_and_never_other_text():
    assert describe({"command": "/okr", "text": "at-risk"}) == "command /okr at-risk"
    assert describe({"command": "/okr", "text": "note <@U0BOB|bob> secret"}) == "command /okr note"
    assert describe({"command": "/okr", "text": "<@U0BOB|bob>"}) == "command /okr"


async def test_no_bolt_token_warning_and_no_per_minute_scheduler_lines(fake_slack, tmp_path, monkeypatch, log_lines):
    from apscheduler.executors.base import run_coroutine_job  # noqa: F401  (the executor whose lines are quiet)

    from bot.app import build_app, build_services
    from bot.logs import quiet_libraries
    from bot.scheduler import build_scheduler
    from tests.harness import test_settings

    quiet_libraries("INFO")
    bolt_logger()
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)  # as in every deploy: Bolt reads it itself
    settings = test_settings(fake_slack, tmp_path / "bot.db")
    svc = build_services(settings)
    build_app(settings, svc)
    sched = build_scheduler(svc, seconds=1)
    sched.start()
    try:
        import asyncio

        await asyncio.sleep(2.5)
    finally:
        sched.shutdown(wait=False)
        await svc.db.dispose()
    text = "\n".join(log_lines())
    assert "token` will be unused" not in text
    assert "Running job" not in text and "executed successfully" not in text
