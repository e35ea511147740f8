"""Growth is on Teams: its Friday digest goes to its Teams channel once, a late check-in replaces it in place,
and its manager Bob gets the manager digest in his 1:1 chat; no review note ever reaches the connector."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.services.notes import add_note
from bot.services.okr_io.importer import import_okrs
from bot.services.okr_io.okr_file import OkrFileInvalid, load_okr_file
from storage.models import ReviewNote, SendLedger
from tests.teams.activities import ALICE, BOB, BOB_CHAT, CHANNEL, CHAT, install, message, post
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts

FRIDAY_16 = datetime(2027, 1, 15, 16, 0, tzinfo=UTC)  # the team's zone is UTC
NOTE = "NOTE-7f3a: struggles with deadlines"
OKRS = {
    "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
    "teams": [
        {
            "name": "Growth",
            "platform": "teams",
            "channel": CHANNEL,
            "timezone": "UTC",
            "managers": [BOB],
            "members": [ALICE],
            "checkin": {"day": "monday"},
            "digest": {"day": "friday", "time": "16:00"},
        }
    ],
    "people": [{"id": ALICE, "name": "Alice"}, {"id": BOB, "name": "Bob"}],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [{"title": "Activation rate", "owner": ALICE, "start": 30, "target": 45, "unit": "%"}],
        }
    ],
}


async def _setup(bot) -> None:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post(bot, install(bot.connector))
    await post(bot, install(bot.connector, who="bob"))


async def _digest_row(bot) -> SendLedger:
    async with bot.db.transaction() as s:
        query = select(SendLedger).where(SendLedger.kind == "digest", SendLedger.period == "2027-01-15")
        (row,) = (await s.exec(query)).all()
    return row


async def test_team_digest_goes_to_the_teams_channel_exactly_once(teams_bot):
    await _setup(teams_bot)
    await teams_bot.tick(FRIDAY_16 - timedelta(minutes=1))
    assert teams_bot.connector.sent(CHANNEL) == []
    report = await teams_bot.tick(FRIDAY_16)
    await teams_bot.tick(FRIDAY_16 + timedelta(minutes=1))  # a second tick posts nothing more
    (digest,) = teams_bot.connector.sent(CHANNEL)
    text = card_texts(digest)
    assert "Growth digest: 2027-Q1, week 2 of 13" in text
    assert "Activation rate: 30% of 45%" in text and "No check-in yet: Alice" in text
    assert digest.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    row = await _digest_row(teams_bot)
    assert row.status == "sent" and row.ts.startswith("act-")
    assert row.channel.startswith("teams-channel:") and len(row.channel) <= 32
    assert any(f"digest for Growth (2027-01-15) posted to {CHANNEL}" in line for line in report.lines)
    assert teams_bot.fake.calls_to("chat.postMessage") == []  # nothing went to Slack


async def test_a_late_checkin_replaces_the_posted_digest_in_place(teams_bot):
    await _setup(teams_bot)
    await teams_bot.tick(MONDAY_10_BERLIN)  # Alice's prompt
    await teams_bot.tick(FRIDAY_16)
    row = await _digest_row(teams_bot)
    teams_bot.svc.clock = lambda: FRIDAY_16 + timedelta(hours=1)
    assert await post(teams_bot, message(teams_bot.connector, "42, at risk, waiting on legal")) == 200
    (update,) = teams_bot.connector.updated(CHANNEL)
    assert update.path == f"/v3/conversations/{CHANNEL}/activities/{row.ts}"
    text = card_texts(update)
    assert "Activation rate: 42% of 45%" in text and "Updated at 17:00 after a late check-in" in text
    assert "Everyone has checked in this period." in text
    assert len(teams_bot.connector.sent(CHANNEL)) == 1  # replaced, not posted again


async def test_each_manager_gets_the_manager_digest_in_their_1to1_chat(teams_bot):
    await _setup(teams_bot)
    report = await teams_bot.tick(FRIDAY_16)
    await teams_bot.tick(FRIDAY_16 + timedelta(minutes=5))
    parent, alice = teams_bot.connector.sent(BOB_CHAT)
    assert "Your manager digest for Growth" in card_texts(parent)
    assert "Activation rate: 30% of 45%" in card_texts(parent)
    assert "Alice (Growth): no check-in this period, never checked in" in card_texts(alice)
    assert "review note" not in (card_texts(parent) + card_texts(alice)).lower()  # notes: buttons (test_teams_notes)
    assert teams_bot.connector.sent(CHAT) == []  # Alice is no manager: no manager digest for her
    assert any(f"manager digest for {BOB} sent" in line for line in report.lines)


async def test_no_review_note_text_reaches_any_connector_call(teams_bot):
    await _setup(teams_bot)
    await teams_bot.tick(MONDAY_10_BERLIN)
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    await add_note(teams_bot.svc, author_id=BOB, subject_id=ALICE, body=NOTE)
    await teams_bot.tick(FRIDAY_16)
    teams_bot.svc.clock = lambda: FRIDAY_16 + timedelta(hours=1)
    await post(teams_bot, message(teams_bot.connector, "42, at risk"))
    await post(teams_bot, message(teams_bot.connector, "okr team Growth", who="bob"))
    # Bob writes in the chat his per-person card is in: a Teams chat has no threads, so this is never a note.
    await post(teams_bot, message(teams_bot.connector, "Alice NOTE-B2 did well", who="bob"))
    async with teams_bot.db.transaction() as s:
        assert [n.body for n in (await s.exec(select(ReviewNote))).all()] == [NOTE]
    assert teams_bot.connector.sent(CHANNEL) and teams_bot.connector.updated(CHANNEL)
    assert len(teams_bot.connector.sent(BOB_CHAT)) >= 2
    for call in teams_bot.connector.calls:
        seen = json.dumps(call.body) + call.path + json.dumps(call.query)
        assert "NOTE-7f3a" not in seen
        assert "NOTE-B2" not in seen or call.path == f"/v3/conversations/{BOB_CHAT}/activities"  # only to Bob


def test_the_okr_file_takes_a_teams_channel_only_on_a_teams_team():
    team = {"name": "G", "platform": "teams", "members": [ALICE], "channel": CHANNEL}
    cycle = OKRS["cycle"]
    assert load_okr_file({"cycle": cycle, "teams": [team]}).teams[0].channel == CHANNEL
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file({"cycle": cycle, "teams": [{**team, "channel": "C0GROWTH"}]})
    assert "is not a Teams channel id (19:…@thread.tacv2), as platform: teams needs" in str(err.value.errors)
    with pytest.raises(OkrFileInvalid) as err:
        load_okr_file({"cycle": cycle, "teams": [{"name": "G", "members": ["U0ALICE"], "channel": CHANNEL}]})
    assert "is not a Slack channel id (C…), as platform: slack needs" in str(err.value.errors)


async def test_before_anyone_in_the_team_installed_the_app_the_digest_fails_and_is_retried(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    report = await teams_bot.tick(FRIDAY_16)
    assert teams_bot.connector.calls == []
    row = await _digest_row(teams_bot)
    assert row.status == "failed" and row.error.startswith("no Teams connector address for this team's channel")
    assert any("digest for Growth (2027-01-15) failed: no Teams connector address" in line for line in report.lines)
    await post(teams_bot, install(teams_bot.connector, who="bob"))
    await teams_bot.tick(FRIDAY_16 + timedelta(minutes=10))
    assert len(teams_bot.connector.sent(CHANNEL)) == 1
    assert (await _digest_row(teams_bot)).status == "sent"
