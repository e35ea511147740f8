"""Item 5: the fake Slack answers every odd way Slack (or a proxy in front of it) can, on the methods okrbot
sends with; after later ticks nothing is lost and nothing is duplicated (issue 10, items 2-3).

Each fault hits the prompt's chat.postMessage. A definite refusal (an HTTP 503 in text or HTML) is retried
by a later tick; an answer that may hide a posted message (bad JSON, a text/plain 200, `ok` without
channel/ts, a timeout past the client's) is reconciled against the DM's history by the message's ledger id.
"""

import asyncio
import time
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.app import build_services
from bot.runtime import close
from storage.models import CheckIn, SendLedger
from tests import harness
from tests.fakes.slack_api import HTML_503
from tests.reliability.helpers import dm_event
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

CLIENT_TIMEOUT = 1  # seconds: SLACK_TIMEOUT_SECONDS in these tests, so "slower than the client" is quick
SERVER_RETRIES = 4  # slack_sdk's server-error handler tries 1 + 3 times: every attempt gets the fault


def _fault(fake, kind: str) -> None:
    post = "chat.postMessage"
    if kind == "text_503":
        fake.answer_next(post, SERVER_RETRIES, status=503, content_type="text/plain", body="upstream connect error")
    elif kind == "html_503":
        fake.answer_next(post, SERVER_RETRIES, status=503, content_type="text/html", body=HTML_503)
    elif kind == "bad_json_200":
        fake.answer_next(post, status=200, content_type="application/json", body='{"ok": tru', after=True)
    elif kind == "text_200":
        fake.answer_next(post, status=200, content_type="text/plain", body="ok", after=True)
    elif kind == "html_200":
        fake.answer_next(post, status=200, content_type="text/html", body="<html>ok</html>", after=True)
    elif kind == "ok_without_fields":
        fake.ok_without_fields_next(post)
    elif kind == "timeout":
        fake.hang_next(post, seconds=CLIENT_TIMEOUT + 0.5)  # the fake still posts it, after the client gave up
    else:
        raise AssertionError(kind)


async def _until(condition, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the fake never finished the slow call"
        await asyncio.sleep(0.05)


@pytest.fixture
async def slow_client_bot(fake_slack, tmp_path):
    async with harness.running_bot(fake_slack, tmp_path / "bot.db", SLACK_TIMEOUT_SECONDS=str(CLIENT_TIMEOUT)) as b:
        yield b


async def _ledger(bot) -> list[SendLedger]:
    async with bot.db.transaction() as s:
        stmt = select(SendLedger).where(SendLedger.kind == "prompt", SendLedger.recipient == "U0ALICE")
        return list((await s.exec(stmt)).all())


@pytest.mark.parametrize(
    "kind", ["text_503", "html_503", "bad_json_200", "text_200", "html_200", "ok_without_fields", "timeout"]
)
async def test_an_odd_answer_to_a_prompt_loses_nothing_and_duplicates_nothing(slow_client_bot, kind):
    bot = slow_client_bot
    await seed(bot)
    _fault(bot.fake, kind)
    first = await bot.tick(MONDAY_10_BERLIN)  # the fault: recorded failed or unknown, never a crash
    assert any("prompt for U0ALICE" in line and "failed" in line for line in first.lines), first.lines
    (row,) = await _ledger(bot)
    assert row.status in ("failed", "unknown") and row.error
    if kind == "timeout":
        # Ticks run a minute apart, far past the client's timeout, so Slack has finished the slow post before
        # the next tick reconciles it; here ticks follow each other at once, so wait for the fake to finish it.
        await _until(lambda: bot.dm("U0ALICE"))
    later = MONDAY_10_BERLIN
    for _ in range(3):  # the next ticks retry or reconcile
        later += timedelta(minutes=1)
        await bot.tick(later)

    prompts = [m for m in bot.dm("U0ALICE") if m.thread_ts is None]
    assert len(prompts) == 1, f"{kind}: {len(prompts)} prompts"  # duplicated = 0, lost = 0
    (row,) = await _ledger(bot)
    assert (row.status, row.ts) == ("sent", prompts[0].ts)
    assert prompts[0].metadata == {"event_type": "okrbot_ledger", "event_payload": {"ledger_id": row.id}}
    # The thread reply to the one prompt is recorded: its ts is the ledger's.
    bot.svc.clock = at(later + timedelta(minutes=5))
    response = await bot.req.event(dm_event(bot.fake, "U0ALICE", "41", thread_ts=prompts[0].ts), event_id="Ev0F")
    assert response.status == 200
    await bot.inbox.wait_idle()
    async with bot.db.transaction() as s:
        assert [c.value for c in (await s.exec(select(CheckIn))).all()] == [41]


async def test_a_reconcile_reads_history_once_with_metadata_within_slacks_limit(slow_client_bot):
    bot = slow_client_bot
    await seed(bot)
    bot.fake.ok_without_fields_next("chat.postMessage")
    await bot.tick(MONDAY_10_BERLIN)
    report = await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    (history,) = bot.fake.calls_to("conversations.history")
    assert history.args["limit"] == 15 and history.args["include_all_metadata"] in (True, "true", "1")
    assert any("found in Slack: recorded sent" in line for line in report.lines), report.lines
    assert len(bot.fake.calls_to("chat.postMessage")) == 1  # found, so not sent again


@pytest.mark.parametrize("kind", ["text_503", "html_503", "bad_json_200", "text_200", "ok_without_fields", "timeout"])
async def test_an_odd_answer_to_users_list_is_reported_and_retried(slow_client_bot, kind):
    bot = slow_client_bot
    await seed(bot)
    _fault_method(bot.fake, "users.list", kind)
    first = await bot.tick(MONDAY_10_BERLIN)
    assert any(line.startswith("timezone refresh failed (users.list") for line in first.lines), first.lines
    assert [m for m in bot.dm("U0ALICE") if m.thread_ts is None]  # the later steps still ran: the prompt went
    second = await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
    assert any(line.startswith("refreshed timezones") for line in second.lines), second.lines


def _fault_method(fake, method: str, kind: str) -> None:
    if kind == "text_503":
        fake.answer_next(method, SERVER_RETRIES, status=503, content_type="text/plain", body="upstream error")
    elif kind == "html_503":
        fake.answer_next(method, SERVER_RETRIES, status=503, content_type="text/html", body=HTML_503)
    elif kind == "bad_json_200":
        fake.answer_next(method, status=200, content_type="application/json", body="{", after=True)
    elif kind == "text_200":
        fake.answer_next(method, status=200, content_type="text/plain", body="ok", after=True)
    elif kind == "ok_without_fields":
        fake.ok_without_fields_next(method)
    elif kind == "timeout":
        fake.hang_next(method, seconds=CLIENT_TIMEOUT + 0.5)


async def test_a_huge_retry_after_reschedules_the_prompt_instead_of_blocking_the_tick(fake_slack, tmp_path):
    """bot/slack/client.py caps Retry-After: past the cap the 429 comes back at once as a SlackApiError. A
    client without the rate-limit handler answers exactly that way, so this test needs no hour-long wait."""
    client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.base_url, retry_handlers=[])
    settings = harness.test_settings(fake_slack, tmp_path / "bot.db")
    svc = build_services(settings, client=client)
    await svc.db.create_all()
    bot = harness.Harness(fake_slack, svc, "http://127.0.0.1:1", settings, None)
    try:
        await seed(bot)
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=3600)
        started = time.monotonic()
        first = await bot.tick(MONDAY_10_BERLIN)
        assert time.monotonic() - started < 10  # the tick did not wait out the hour
        assert any("rate limited" in line and "a later tick sends it" in line for line in first.lines), first.lines
        assert [m for m in bot.dm("U0ALICE") if m.thread_ts is None] == []  # left due
        await bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))
        assert len([m for m in bot.dm("U0ALICE") if m.thread_ts is None]) == 1
        (row,) = await _ledger(bot)
        assert row.status == "sent" and row.attempts == 2
    finally:
        await close(svc)
