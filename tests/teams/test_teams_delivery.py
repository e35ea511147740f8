"""The connector throttles or fails: okrbot waits out 429s, retries 5xx a bounded number of times, records the rest."""

from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from bot.teams.sender import RETRIES
from storage.models import SendLedger, TeamsAddress
from tests.teams.activities import ALICE, CHAT, install, message, post
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS


async def _ready(bot) -> None:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post(bot, install(bot.connector))
    bot.svc.notifier.teams.backoff = 0.01  # the retry schedule, shortened for the test


async def _prompt_row(bot) -> SendLedger:
    async with bot.db.transaction() as s:
        query = select(SendLedger).where(SendLedger.kind == "prompt", SendLedger.period == "2027-01-11")
        return (await s.exec(query)).one()


async def test_429_waits_for_retry_after_then_delivers_once(teams_bot):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(429, {"Retry-After": "0"}, {"error": {"code": "Throttled"}})]
    await teams_bot.tick(MONDAY_10_BERLIN)
    assert len(teams_bot.connector.calls) == 2  # the throttled try, then the delivered one
    assert len(teams_bot.connector.sent(CHAT)) == 2
    row = await _prompt_row(teams_bot)
    assert (row.status, row.ts) == ("sent", "act-1")


async def test_5xx_is_retried_a_bounded_number_of_times_then_recorded_failed(teams_bot):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(503, {}, {"error": {"code": "ServiceUnavailable"}})] * (RETRIES + 1)
    report = await teams_bot.tick(MONDAY_10_BERLIN)
    assert len(teams_bot.connector.calls) == RETRIES + 1
    row = await _prompt_row(teams_bot)
    assert (row.status, row.error) == ("failed", "teams_503 ServiceUnavailable")
    assert any("failed: teams_503" in line and "a later tick retries it" in line for line in report.lines)
    await teams_bot.tick(MONDAY_10_BERLIN.replace(minute=5))  # the next tick re-claims it and delivers
    assert (await _prompt_row(teams_bot)).status == "sent"


async def test_a_blocked_bot_is_not_retried(teams_bot):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "ConversationBlockedByUser"}})]
    await teams_bot.tick(MONDAY_10_BERLIN)
    assert len(teams_bot.connector.calls) == 1
    row = await _prompt_row(teams_bot)
    assert (row.status, row.error) == ("failed", "teams_403 ConversationBlockedByUser")


async def test_a_person_who_never_installed_the_app_is_a_clear_failure(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)  # no install activity: no address, no zone
    early = await teams_bot.tick(MONDAY_10_BERLIN)  # zone unknown: the team's (UTC) applies, so not due yet
    assert not any("sent prompt" in line or "failed" in line for line in early.lines)
    report = await teams_bot.tick(MONDAY_10_BERLIN + timedelta(hours=1))
    assert teams_bot.connector.calls == []
    row = await _prompt_row(teams_bot)
    assert row.status == "failed" and "not installed the app" in row.error
    assert any("not installed the app" in line for line in report.lines)


async def _ledger(bot, period: str) -> SendLedger:
    async with bot.db.transaction() as s:
        query = select(SendLedger).where(SendLedger.kind == "prompt", SendLedger.period == period)
        return (await s.exec(query)).one()


async def _blocked_at(bot):
    async with bot.db.transaction() as s:
        return (await s.exec(select(TeamsAddress))).one().blocked_at


async def test_message_writes_blocked_marks_the_address_inactive_and_is_not_retried(teams_bot):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "MessageWritesBlocked", "message": "blocked"}})]
    report = await teams_bot.tick(MONDAY_10_BERLIN)
    assert len(teams_bot.connector.calls) == 1  # no retry
    row = await _prompt_row(teams_bot)
    assert row.status == "skipped" and row.error.startswith("they blocked okrbot in Teams (403 MessageWritesBlocked)")
    assert f"prompt for {ALICE} (2027-01-11) failed: they blocked okrbot in Teams" in "\n".join(report.lines)
    assert any(line.endswith("; it is not retried") for line in report.lines)
    assert await _blocked_at(teams_bot) is not None

    await teams_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=5))  # the skipped row is not claimed again
    next_week = await teams_bot.tick(MONDAY_10_BERLIN + timedelta(days=7))  # nor is the inactive chat written to
    assert len(teams_bot.connector.calls) == 1
    assert (await _ledger(teams_bot, "2027-01-18")).status == "skipped"
    assert any("their Teams address is inactive" in line for line in next_week.lines)


async def test_writing_to_okrbot_again_reactivates_the_address(teams_bot):
    await _ready(teams_bot)
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "MessageWritesBlocked"}})]
    await teams_bot.tick(MONDAY_10_BERLIN)
    assert await post(teams_bot, message(teams_bot.connector, "hello again")) == 200  # they unblocked and wrote
    assert await _blocked_at(teams_bot) is None
    await teams_bot.tick(MONDAY_10_BERLIN + timedelta(days=7))
    assert (await _ledger(teams_bot, "2027-01-18")).status == "sent"
