"""okr home: the "My OKRs" card (Slack's Home tab, on Teams); its Update buttons check in, as the prompt card does."""

from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, ReviewNote
from tests.fakes.adaptive_cards import card_problems
from tests.teams.activities import ALICE, BOB, BOB_CHAT, CHAT, card_action, card_of, install, message, post, post_json
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS

NOTE = "SECRET-REVIEW-NOTE about Alice's attitude"
MANAGED = OKRS | {
    "teams": [OKRS["teams"][0] | {"managers": [BOB]}],
    "people": [{"id": ALICE, "name": "Alice"}, {"id": BOB, "name": "Bob", "manager": None}],
}


def walk(items):
    """Every element of a card, into show cards too."""
    for item in items or []:
        yield item
        for key in ("items", "actions", "columns"):
            yield from walk(item.get(key))
        if isinstance(item.get("card"), dict):
            yield from walk(item["card"].get("body"))


def texts(card: dict) -> str:
    return "\n".join(i["text"] for block in walk(card["body"]) for i in block.get("inlines", []))


async def _home(bot, who: str = "alice") -> dict:
    chat = BOB_CHAT if who == "bob" else CHAT
    before = len(bot.connector.sent(chat))
    assert await post(bot, message(bot.connector, "okr home", who=who)) == 200
    (answer,) = bot.connector.sent(chat)[before:]
    return card_of(answer)


async def _ready(bot, data: dict = MANAGED) -> None:
    await import_okrs(bot.svc, data, dry_run=False)
    await post(bot, install(bot.connector))
    await post(bot, install(bot.connector, who="bob"))
    bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)


def _form(card: dict) -> tuple[dict, dict]:
    """The Update button's show card, and its inputs as Teams would submit them."""
    (update,) = [a for a in walk(card["body"]) if a.get("type") == "Action.ShowCard"]
    assert update["title"] == "Update"
    form = update["card"]
    values = {i["id"]: i.get("value", "") for i in walk(form["body"]) if i.get("type", "").startswith("Input.")}
    return form, values


def _button(form: dict, title: str) -> dict:
    (found,) = [a for a in walk(form["body"]) if a.get("type") == "Action.Execute" and a["title"] == title]
    return found


async def test_my_okrs_card_shows_my_krs_teams_and_next_checkin(teams_bot):
    await _ready(teams_bot)
    text = texts(await _home(teams_bot))
    assert "My OKRs (2027-Q1)" in text and "Your key results" in text
    assert "Activation rate: 30% of 45% (0%)" in text and "Make onboarding effortless" in text
    assert "I'll ask for your next check-in Monday 18 Jan at 10:00 (Europe/Berlin)." in text
    assert "Your teams" in text and "Growth: 0% · 1 KRs" in text
    assert "Teams you manage" not in text  # Alice manages nobody


async def test_update_then_save_on_the_card_records_a_checkin(teams_bot):
    await _ready(teams_bot)
    form, values = _form(await _home(teams_bot))
    (value_id,) = [k for k in values if k.startswith("value-")]
    typed = values | {value_id: "42", next(k for k in values if k.startswith("comment-")): "legal signed"}
    save = _button(form, "Save")
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, save, typed))
    assert status == 200 and body["value"].startswith("Saved: Activation rate, 42%")
    async with teams_bot.db.transaction() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
    assert (ci.value, ci.comment, ci.author_id, ci.source) == (42, "legal signed", ALICE, "modal")
    assert "Activation rate: 42% of 45%" in texts(await _home(teams_bot))  # a fresh card shows it


async def test_no_change_and_a_bad_value_on_the_card(teams_bot):
    await _ready(teams_bot, OKRS)  # Bob is in no team here
    form, values = _form(await _home(teams_bot))
    (value_id,) = [k for k in values if k.startswith("value-")]
    status, body = await post_json(
        teams_bot, card_action(teams_bot.connector, _button(form, "Save"), values | {value_id: "banana"})
    )
    assert status == 200 and "couldn't read" in body["value"]
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, _button(form, "No change")))
    assert status == 200 and body["value"] == "No change recorded: Activation rate"
    async with teams_bot.db.transaction() as s:
        (ci,) = (await s.exec(select(CheckIn))).all()
    assert (ci.value, ci.source) == (30, "button")
    # Bob (in no team) presses Alice's button (a forwarded card): refused by the same permission check as Slack's.
    _, body = await post_json(teams_bot, card_action(teams_bot.connector, _button(form, "No change"), who="bob"))
    async with teams_bot.db.transaction() as s:
        assert len((await s.exec(select(CheckIn))).all()) == 1
    assert body["value"].startswith("Only this KR's owner or co-owners, a manager of its team")


async def test_a_managers_card_lists_who_has_not_checked_in_and_never_a_note(teams_bot):
    await _ready(teams_bot)
    async with teams_bot.db.transaction() as s:
        s.add(ReviewNote(author_id=BOB, subject_id=ALICE, body=NOTE))
    card = await _home(teams_bot, who="bob")
    text = texts(card)
    assert "Teams you manage" in text and "No check-in yet this week: Alice" in text
    assert "You own no key results this cycle." in text
    assert not [a for a in walk(card["body"]) if a.get("type") == "Action.ShowCard"]  # nothing of his to update
    assert not any("SECRET-REVIEW-NOTE" in str(c.body) for c in teams_bot.connector.calls)


async def test_without_a_cycle_the_card_says_so(teams_bot):
    await post(teams_bot, install(teams_bot.connector))
    assert "There is no active OKR cycle yet." in texts(await _home(teams_bot))


def test_the_fake_connector_checks_inside_show_cards():
    shown = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text", "id": "value-1"}]}
    update = {"type": "Action.ShowCard", "title": "Update", "card": shown}
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text", "id": "value-1"}]}
    assert card_problems(card | {"actions": [update]}) == ["input id 'value-1' is not unique"]
    broken = update | {"card": {"type": "AdaptiveCard", "body": [{"type": "Input.Txt", "id": "x"}]}}
    assert card_problems(card | {"actions": [broken]}) == ["actions/card: unknown type 'Input.Txt'"]
