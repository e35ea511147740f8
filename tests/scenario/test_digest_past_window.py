"""Past a digest's lateness window the digest step reads only the teams without a done row (issue 15 item 6):
a digest missed during downtime, or one whose post failed for good, is still recorded skipped by the first
tick after the window (never posted late), and the ticks after that read no team's row at all.
"""

from datetime import UTC, datetime, timedelta

from tests.scenario.seed import ledger_rows, okr_data, seed

FRIDAY_16_BERLIN = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
SATURDAY = datetime(2027, 1, 16, 12, 0, tzinfo=UTC)  # 20 h after it: past the 6 h limit
TEAM = {"channel": "C0GROWTH", "digest": {"day": "friday", "time": "16:00"}}


def digest_lines(report) -> list[str]:
    return [line for line in report.lines if line.startswith("digest for")]


async def test_a_digest_missed_while_down_is_recorded_skipped_once_after_its_window(bot):
    await seed(bot, okr_data(team=TEAM))
    first = await bot.tick(SATURDAY)  # the bot was down all Friday
    assert digest_lines(first) == ["digest for Growth (2027-01-15) skipped: more than 6h late"], first.lines
    assert digest_lines(await bot.tick(SATURDAY + timedelta(minutes=1))) == []
    (row,) = await ledger_rows(bot, "digest")
    assert row.status == "skipped"
    assert bot.fake.messages("C0GROWTH") == []


async def test_a_digest_that_failed_for_good_is_recorded_skipped_after_its_window_not_posted_late(bot):
    await seed(bot, okr_data(team=TEAM))
    bot.fake.fail_next("chat.postMessage", times=4, status=500, retry_after=None)  # 1 try + 3 retries
    friday = await bot.tick(FRIDAY_16_BERLIN)
    assert any(line.startswith("digest for Growth") and "failed" in line for line in friday.lines), friday.lines
    (row,) = await ledger_rows(bot, "digest")
    assert row.status == "failed"

    first = await bot.tick(SATURDAY)
    assert digest_lines(first) == ["digest for Growth (2027-01-15) skipped: more than 6h late"], first.lines
    assert digest_lines(await bot.tick(SATURDAY + timedelta(minutes=1))) == []
    (row,) = await ledger_rows(bot, "digest")
    assert row.status == "skipped"
    assert bot.fake.messages("C0GROWTH") == []
