"""Alice is on Teams: she installs okrbot, gets her Monday prompt at 10:00 in her own zone, and answers it."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, Person, SendLedger, TeamsAddress
from tests.teams.activities import ALICE, ALICE_AAD, CHAT, TENANT, install, message, post

# Monday 2027-01-11 10:00 in Berlin is 09:00 UTC; the team's own zone is UTC, where 10:00 comes an hour later.
MONDAY_10_BERLIN = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
OKRS = {
    "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
    "teams": [
        {"name": "Growth", "platform": "teams", "timezone": "UTC", "members": [ALICE], "checkin": {"day": "monday"}}
    ],
    "people": [{"id": ALICE, "name": "Alice"}],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [{"title": "Activation rate", "owner": ALICE, "start": 30, "target": 45, "unit": "%"}],
        }
    ],
}


def card_texts(call) -> str:
    """Every TextRun of every card in a connector call, as one string."""
    out = [call.body.get("text") or ""]
    for attachment in call.body.get("attachments") or []:
        for block in attachment["content"]["body"]:
            out += [inline["text"] for inline in block.get("inlines", [])]
    return "\n".join(out)


async def test_install_stores_the_conversation_reference_and_zone(teams_bot):
    assert await post(teams_bot, install(teams_bot.connector)) == 200
    async with teams_bot.db.transaction() as s:
        (row,) = (await s.exec(select(TeamsAddress))).all()
        person = await s.get(Person, ALICE)
    assert (row.person_id, row.aad_object_id, row.user_id) == (ALICE, ALICE_AAD, "29:alice")
    assert (row.tenant_id, row.conversation_id, row.service_url) == (TENANT, CHAT, teams_bot.connector.base_url)
    assert (person.tz, person.display_name) == ("Europe/Berlin", "Alice")
    assert teams_bot.connector.calls == []  # installing sends nothing yet
    teams_bot.fake.assert_no_warnings()


async def test_prompt_goes_out_once_at_10_in_the_persons_zone(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN - timedelta(minutes=1))
    assert teams_bot.connector.sent() == []
    report = await teams_bot.tick(MONDAY_10_BERLIN)
    await teams_bot.tick(MONDAY_10_BERLIN + timedelta(minutes=1))  # a second pass sends nothing more
    (prompt,) = teams_bot.connector.sent(CHAT)
    assert prompt.auth and prompt.auth.startswith("Bearer ey")  # a JWT-shaped stand-in, never a real token
    text = card_texts(prompt)
    assert "Weekly check-in" in text and "1. Activation rate: 30% of 45%" in text
    assert prompt.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert any(f"sent prompt for {ALICE}" in line for line in report.lines)
    async with teams_bot.db.transaction() as s:
        query = select(SendLedger).where(SendLedger.kind == "prompt", SendLedger.period == "2027-01-11")
        (row,) = (await s.exec(query)).all()
    assert (row.recipient, row.status, row.ts) == (ALICE, "sent", "act-1")  # the platform-aware ledger key
    assert row.channel.startswith("teams-chat:")
    assert teams_bot.fake.calls_to("chat.postMessage") == []  # nothing went to Slack


async def test_plain_words_reply_records_the_checkin_and_confirms(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    assert await post(teams_bot, message(teams_bot.connector, "42, at risk, waiting on legal")) == 200
    async with teams_bot.db.transaction() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
    assert (ci.value, ci.confidence, ci.comment, ci.source, ci.author_id) == (
        42,
        "at_risk",
        "waiting on legal",
        "thread",
        ALICE,
    )
    prompt, confirmation = teams_bot.connector.sent(CHAT)
    text = card_texts(confirmation)
    assert "Recorded" in text and "at risk" in text and "waiting on legal" in text


async def test_a_message_before_any_prompt_gets_a_clear_answer_and_records_nothing(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    assert await post(teams_bot, message(teams_bot.connector, "42")) == 200
    (answer,) = teams_bot.connector.sent(CHAT)
    assert "once your weekly prompt has arrived" in answer.body["text"]
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(CheckIn))).all() == []


async def test_conversation_update_stores_the_reference_too(teams_bot):
    activity = {**install(teams_bot.connector), "type": "conversationUpdate", "membersAdded": [{"id": "28:okrbot"}]}
    activity.pop("action")
    assert await post(teams_bot, activity) == 200
    async with teams_bot.db.transaction() as s:
        (row,) = (await s.exec(select(TeamsAddress))).all()
    assert (row.person_id, row.conversation_id) == (ALICE, CHAT)


async def test_a_malformed_activity_is_refused_without_logging_its_text(teams_bot, caplog):
    broken = {"type": "message", "text": "SECRET-NOTE-TEXT about Bob"}  # no from, no conversation
    assert await post(teams_bot, broken) == 500
    assert caplog.records and not any("SECRET-NOTE-TEXT" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("microsoft_teams"))
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(TeamsAddress))).all() == []


async def test_words_okrbot_cannot_read_get_the_problem_and_an_example(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    assert await post(teams_bot, message(teams_bot.connector, "[click](http://evil) banana")) == 200
    _prompt, answer = teams_bot.connector.sent(CHAT)
    assert "couldn't read a number" in answer.body["text"] and "30%, on track" in answer.body["text"]  # and an example
    assert answer.body["textFormat"] == "plain"  # Teams would read the person's words as Markdown otherwise
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(CheckIn))).all() == []
