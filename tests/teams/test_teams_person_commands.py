"""okr @person (a Teams @mention, or an email), okr away … delegate @person, okr back and okr timezone, on Teams."""

from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import Person
from tests.teams.activities import (
    ALICE,
    BOB,
    BOB_AAD,
    BOB_CHAT,
    CHANNEL,
    CHAT,
    channel_message,
    install,
    message,
    post,
)
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts

CAROL = "carol@example.com"
OKRS = {
    "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
    "teams": [
        {
            "name": "Growth",
            "platform": "teams",
            "timezone": "UTC",
            "members": [ALICE, BOB, CAROL],
            "checkin": {"day": "monday"},
        }
    ],
    "people": [{"id": ALICE, "name": "Alice"}, {"id": BOB, "name": "Bob"}, {"id": CAROL, "name": "Carol"}],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [
                {"title": "Activation rate", "owner": ALICE, "start": 30, "target": 45, "unit": "%"},
                {"title": "Signup time", "owner": BOB, "start": 300, "target": 60, "unit": "s"},
                {"title": "Docs coverage", "owner": CAROL, "start": 10, "target": 80, "unit": "%"},
            ],
        }
    ],
}


def mentioning(activity: dict, *people: tuple[str, str, str | None]) -> dict:
    """Teams' mention entities for `<at>Name</at>` in the text: (name, 29: id, Entra object id or None)."""
    entities = list(activity.get("entities", []))
    for name, user_id, aad in people:
        mentioned = {"id": user_id, "name": name} | ({"aadObjectId": aad} if aad else {})
        entities.append({"type": "mention", "text": f"<at>{name}</at>", "mentioned": mentioned})
    return {**activity, "entities": entities}


async def _ask(bot, text: str, *people, where: str = CHAT, **kw) -> str:
    before = len(bot.connector.sent(where))
    activity = channel_message(bot.connector, text, **kw) if where == CHANNEL else message(bot.connector, text, **kw)
    assert await post(bot, mentioning(activity, *people)) == 200
    (answer,) = bot.connector.sent(where)[before:]
    return card_texts(answer)


async def _ready(bot) -> None:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post(bot, install(bot.connector))
    await post(bot, install(bot.connector, who="bob", tz="America/New_York"))
    bot.svc.clock = lambda: MONDAY_10_BERLIN


BOB_MENTION = ("Bob", "29:bob", BOB_AAD)


async def test_okr_at_person_shows_their_key_results(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr <at>Bob</at>", BOB_MENTION)
    assert "Bob's key results (2027-Q1)" in text and "Signup time" in text and "Activation rate" not in text
    # Teams did not send the Entra id: okrbot knows Bob by the 29: id it stored when he installed.
    assert "Bob's key results" in await _ask(teams_bot, "okr <at>Bob</at>", ("Bob", "29:bob", None))
    assert "Bob's key results" in await _ask(teams_bot, "okr <at>Bob</at>", BOB_MENTION, where=CHANNEL)


async def test_okr_email_shows_their_key_results_and_unknown_people_get_a_clear_answer(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr Carol@Example.com")
    assert "Carol's key results (2027-Q1)" in text and "Docs coverage" in text
    assert "Bob's key results" in await _ask(teams_bot, "okr <at>Bob</at>", BOB_MENTION, where=CHANNEL)
    unknown = await _ask(teams_bot, "okr nobody@example.com")
    assert unknown == "okrbot knows nobody with the email nobody@example.com: they are not in the OKR file by that " + (
        "email, and okrbot has not read it from the team roster yet."
    )
    stranger = await _ask(teams_bot, "okr <at>Dan Brown</at>", ("Dan Brown", "29:dan", None))
    assert stranger.startswith("okrbot doesn't know Dan Brown on Teams yet") and "okr person@example.com" in stranger
    newcomer = "d4d4d4d4-0000-4000-8000-000000000004"  # Teams said who, but okrbot has never heard of them
    delegate = await _ask(teams_bot, "okr away until 2027-01-15 delegate <at>Dan</at>", ("Dan", "29:dan", newcomer))
    assert delegate.startswith("okrbot doesn't know Dan on Teams yet")
    async with teams_bot.db.transaction() as s:
        assert await s.get(Person, f"teams:{newcomer}") is None and (await s.get(Person, ALICE)).away_until is None
    undescribed = await _ask(teams_bot, "okr <at>Eve</at>")  # no mention entity: Teams did not say who
    assert "couldn't tell who that mention is" in undescribed


async def test_okr_away_with_a_mentioned_delegate_hands_over_the_prompt(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr away until 2027-01-15 delegate <at>Bob</at>", BOB_MENTION)
    assert text == (
        "🌴 You're away through Friday 15 January 2027. Bob gets your check-in prompts meanwhile. "
        "Write okr back to return early."
    )
    async with teams_bot.db.transaction() as s:
        alice = await s.get(Person, ALICE)
    assert (str(alice.away_until), alice.delegate_id) == ("2027-01-15", BOB)
    await teams_bot.tick(MONDAY_10_BERLIN)  # Alice's 10:00: she is away, so nothing comes to her
    await teams_bot.tick(MONDAY_10_BERLIN + timedelta(hours=6))  # 10:00 in New York: Bob, her delegate, is asked
    assert [c for c in teams_bot.connector.sent(CHAT) if "Weekly check-in" in card_texts(c)] == []
    (covering,) = [c for c in teams_bot.connector.sent(BOB_CHAT) if "covering for Alice" in card_texts(c)]
    assert "Activation rate" in card_texts(covering)
    back = await _ask(teams_bot, "okr back")
    assert back.startswith("👋 Welcome back!")
    async with teams_bot.db.transaction() as s:
        assert (await s.get(Person, ALICE)).away_until is None


async def test_okr_away_by_email_and_its_mistakes(teams_bot):
    await _ready(teams_bot)
    assert "Carol@example.com".lower() in await _ask(teams_bot, "okr away until 2027-01-15 delegate carol@example.com")
    async with teams_bot.db.transaction() as s:
        assert (await s.get(Person, ALICE)).delegate_id == "email:carol@example.com"
    usage = "Use okr away until YYYY-MM-DD or okr away until YYYY-MM-DD delegate @person."
    assert await _ask(teams_bot, "okr away next week") == f"I couldn't read that. {usage}"
    assert await _ask(teams_bot, "okr away until banana") == f"'banana' is not a date. {usage}"
    assert "is in the past" in await _ask(teams_bot, "okr away until 2026-12-01")
    selfish = await _ask(teams_bot, "okr away until 2027-01-15 delegate <at>Alice</at>", ("Alice", "29:alice", None))
    assert selfish == "You can't delegate to yourself; leave out the delegate instead."
    assert "I couldn't read the delegate." in await _ask(teams_bot, "okr away until 2027-01-15 delegate Bob")
    assert "weren't marked away" in await _ask(teams_bot, "okr back", where=BOB_CHAT, who="bob")


async def test_okr_timezone_sets_my_zone_until_teams_says(teams_bot):
    await import_okrs(teams_bot.svc, OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector, tz=None))  # this Teams client sends no localTimezone
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN - timedelta(days=3)
    answer = await _ask(teams_bot, "okr timezone europe/paris", tz=None)
    assert answer.startswith("✅ Your time zone is now Europe/Paris (it is 10:00 there).")
    assert "(Europe/Paris)" in await _ask(teams_bot, "okr next", tz=None)
    assert "already Europe/Paris" in await _ask(teams_bot, "okr tz Europe/Paris", tz=None)
    bad = await _ask(teams_bot, "okr timezone Mars/Olympus", tz=None)
    assert bad == (
        "'Mars/Olympus' is not a time zone okrbot knows. Write a time zone name, for example: "
        "okr timezone Europe/Berlin (or America/New_York, Asia/Kolkata, UTC)."
    )
    assert (await _ask(teams_bot, "okr timezone", tz=None)).startswith("Write a time zone name, for example")
    async with teams_bot.db.transaction() as s:
        assert (await s.get(Person, ALICE)).tz == "Europe/Paris"
    # Once Teams reports her device's zone, that wins, and okrbot says so rather than pretend.
    said = await _ask(teams_bot, "okr timezone Asia/Tokyo", tz="Europe/Berlin")
    assert "Teams reports Europe/Berlin for your device" in said and "goes back to Europe/Berlin" in said
    await post(teams_bot, message(teams_bot.connector, "hello", tz="Europe/Berlin"))
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(Person.tz).where(Person.id == ALICE))).one() == "Europe/Berlin"


async def test_help_lists_the_person_commands(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr help")
    for usage in ("okr @person", "okr away until YYYY-MM-DD [delegate @person]", "okr back", "okr timezone ZONE"):
        assert usage in text
    assert "Did you mean okr timezone?" in await _ask(teams_bot, "okr timezon")


async def test_personal_commands_are_not_answered_in_a_channel(teams_bot):
    await _ready(teams_bot)
    for text in ("okr away until 2027-01-15", "timezone Asia/Tokyo", "okr home", "okr back"):
        word = text.removeprefix("okr ").split()[0]
        answer = await _ask(teams_bot, text, where=CHANNEL)
        assert (
            answer == f"okr {word} is answered in your 1:1 chat with okrbot (find okrbot under Apps), not in a channel."
        )
    async with teams_bot.db.transaction() as s:
        alice = await s.get(Person, ALICE)
    assert (alice.away_until, alice.tz) == (None, "Europe/Berlin")  # nothing changed
