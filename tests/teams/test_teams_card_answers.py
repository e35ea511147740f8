"""Alice answers her prompt card: Save with the card's inputs, No change, Undo; bad input and strangers are refused."""

from copy import deepcopy
from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, KeyResult, SendLedger
from tests.fakes.adaptive_cards import card_problems
from tests.teams.activities import (
    ALICE,
    BOB,
    BOB_CHAT,
    CHAT,
    button,
    buttons,
    card_action,
    card_of,
    inputs,
    install,
    post_json,
)
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS, card_texts

MESSAGE = "application/vnd.microsoft.activity.message"


async def _prompted(bot) -> dict:
    """Alice has installed the app and her Monday prompt card has arrived; the card's JSON."""
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post_json(bot, install(bot.connector))
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    (prompt,) = bot.connector.sent(CHAT)
    return card_of(prompt)


async def _press(bot, card: dict, title: str, who: str = "alice", **typed) -> str:
    status, body = await post_json(bot, card_action(bot.connector, button(card, title), inputs(card, **typed), who=who))
    assert status == 200 and body["statusCode"] == 200 and body["type"] == MESSAGE
    return body["value"]


async def _checkins(bot) -> list[CheckIn]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(CheckIn))).all())


async def test_the_prompt_card_asks_each_kr_with_inputs_and_buttons(teams_bot):
    card = await _prompted(teams_bot)
    ids = set(inputs(card))
    (kr_id,) = {int(i.split("-")[1]) for i in ids}
    assert ids == {f"value-{kr_id}", f"confidence-{kr_id}", f"comment-{kr_id}"}
    assert [b["title"] for b in buttons(card)] == ["Save", "No change"]
    assert button(card, "Save")["data"]["kr"] == kr_id and button(card, "Save")["associatedInputs"] == "auto"
    assert card_problems(card) == []  # and the fake connector accepted it (the fixture checks every card)


async def test_save_records_the_cards_inputs_and_confirms_with_undo(teams_bot, caplog):
    card = await _prompted(teams_bot)
    caplog.set_level("INFO")  # okrbot's default LOG_LEVEL; the SDK is held at INFO or above (quiet_sdk_logs)
    said = await _press(teams_bot, card, "Save", value="42", confidence="at_risk", comment="waiting on legal")
    assert caplog.records and not any("waiting on legal" in r.getMessage() for r in caplog.records)  # no inputs
    assert said.startswith("Saved: Activation rate, 42%")
    (ci,) = await _checkins(teams_bot)
    assert (ci.value, ci.confidence, ci.comment, ci.author_id, ci.source) == (
        42,
        "at_risk",
        "waiting on legal",
        ALICE,
        "modal",
    )
    _prompt, confirmation = teams_bot.connector.sent(CHAT)
    text = card_texts(confirmation)
    assert "Recorded" in text and "at risk" in text and "Comment: waiting on legal" in text
    assert button(card_of(confirmation), "Undo")["data"] == {"action": "undo", "checkin": ci.id}


async def test_undo_from_the_confirmation_puts_the_kr_back(teams_bot):
    card = await _prompted(teams_bot)
    await _press(teams_bot, card, "Save", value="42")
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    said = await _press(teams_bot, confirmation, "Undo")
    assert said.startswith("Undone. Activation rate is back to 30%")
    (ci,) = await _checkins(teams_bot)
    assert ci.undone_at is not None
    async with teams_bot.db.transaction() as s:
        (kr,) = (await s.exec(select(KeyResult))).all()
    assert kr.current_value == 30
    notice = teams_bot.connector.sent(CHAT)[-1]
    assert notice.body["text"].startswith("↩️ Undone.")  # Slack's :emoji: name is not shown as typed
    again = await _press(teams_bot, confirmation, "Undo")  # a second press undoes nothing more
    assert again == "That check-in was already undone."


async def test_no_change_records_the_current_value(teams_bot):
    card = await _prompted(teams_bot)
    said = await _press(teams_bot, card, "No change", value="99")  # typed but not sent: No change has no inputs
    assert said == "No change recorded: Activation rate"
    (ci,) = await _checkins(teams_bot)
    assert (ci.value, ci.source, ci.author_id) == (30, "button", ALICE)
    assert "No change recorded" in card_texts(teams_bot.connector.sent(CHAT)[-1])


async def test_a_value_that_is_not_a_number_is_answered_and_nothing_is_recorded(teams_bot):
    card = await _prompted(teams_bot)
    said = await _press(teams_bot, card, "Save", value="banana", comment="kept?")
    assert said == 'I couldn\'t read a number in "banana"; type it like 42, 1,200.5 or $1.2k'
    assert await _checkins(teams_bot) == []
    assert len(teams_bot.connector.sent(CHAT)) == 1  # only the prompt: no confirmation


async def test_only_the_krs_owner_can_answer_its_card(teams_bot):
    card = await _prompted(teams_bot)
    await post_json(teams_bot, install(teams_bot.connector, who="bob"))
    said = await _press(teams_bot, card, "Save", who="bob", value="44")
    assert said.startswith("Only this KR's owner or co-owners")
    said = await _press(teams_bot, card, "No change", who="bob")
    assert said.startswith("Only this KR's owner or co-owners")
    assert await _checkins(teams_bot) == []
    assert teams_bot.connector.sent(BOB_CHAT) == [] and len(teams_bot.connector.sent(CHAT)) == 1


async def test_a_tampered_button_is_refused_clearly(teams_bot):
    card = await _prompted(teams_bot)
    save = {**button(card, "Save"), "data": {"action": "checkin", "kr": "not-an-id"}}
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, save, inputs(card, value="42")))
    assert status == 200 and body["value"].startswith("This card is out of date")
    status, body = await post_json(
        teams_bot, card_action(teams_bot.connector, button(card, "Save"), inputs(card, confidence="lol"))
    )
    assert status == 200 and body["value"] == "Choose on track, at risk or off track."
    unknown = {"type": "Action.Execute", "verb": "delete_everything", "data": {"action": "delete_everything"}}
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, unknown))
    assert status == 200 and body["value"].startswith("This card is out of date")
    assert await _checkins(teams_bot) == []


def test_the_fake_connector_refuses_cards_outside_schema_1_5():
    good = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "hi"}]}
    assert card_problems(good) == []
    assert card_problems({**good, "version": "1.6"}) == ["version is '1.6', not 1.5"]
    bad_body = [
        {"type": "Input.Text", "id": "x", "is_multiline": True},
        {"type": "Input.Text", "id": "x"},
        {"type": "Chart.Pie"},
        {"type": "Container", "items": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun"}]}]},
        {"type": "Input.ChoiceSet", "id": "c", "choices": [{"title": "On track", "value": 1}]},
    ]
    problems = card_problems({**good, "body": bad_body})
    assert "body: Input.Text has snake_case is_multiline" in problems
    assert "input id 'x' is not unique" in problems and "body: unknown type 'Chart.Pie'" in problems
    assert "body/Container/RichTextBlock: TextRun lacks text" in problems
    assert "body: a choice needs a string title and value" in problems


async def test_a_confirmation_that_cannot_be_posted_still_answers_the_click(teams_bot):
    card = await _prompted(teams_bot)
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "ConversationBlockedByUser"}})]
    said = await _press(teams_bot, card, "Save", value="42")
    assert (
        said == "Done, but okrbot could not post the confirmation in this chat (teams_403 ConversationBlockedByUser)."
    )
    (ci,) = await _checkins(teams_bot)  # recorded before the confirmation was sent: not lost, not doubled
    assert ci.value == 42


async def test_with_several_krs_each_save_takes_its_own_inputs(teams_bot):
    okrs = deepcopy(OKRS)
    okrs["objectives"][0]["key_results"].append({"title": "Ship the guided setup", "owner": ALICE, "kind": "binary"})
    await import_okrs(teams_bot.svc, okrs, dry_run=False)
    await post_json(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    (prompt,) = teams_bot.connector.sent(CHAT)
    card = card_of(prompt)
    saves = [b for b in buttons(card) if b["title"] == "Save"]
    assert len(saves) == 2 and len(set(inputs(card))) == 6  # three inputs per KR, none shared
    typed = inputs(card)
    rate, setup = (b["data"]["kr"] for b in saves)
    typed |= {f"value-{rate}": "40", f"value-{setup}": "done", f"confidence-{setup}": "at_risk"}
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, saves[1], typed))
    assert status == 200 and body["value"].startswith("Saved: Ship the guided setup, done, at risk")
    (ci,) = await _checkins(teams_bot)
    assert (ci.kr_id, ci.value, ci.confidence) == (setup, 1, "at_risk")  # KR 1's typed 40 was not taken


async def test_the_confirmation_goes_to_the_clickers_own_chat_whatever_the_card_data_says(teams_bot):
    card = await _prompted(teams_bot)
    okrs = deepcopy(OKRS)
    okrs["teams"][0]["members"].append(BOB)
    okrs["objectives"][0]["key_results"].append({"title": "Bob's own KR", "owner": BOB, "start": 0, "target": 10})
    await import_okrs(teams_bot.svc, okrs, dry_run=False)
    await post_json(teams_bot, install(teams_bot.connector, who="bob"))
    async with teams_bot.db.transaction() as s:
        bobs = (await s.exec(select(KeyResult).where(KeyResult.owner_id == BOB))).one()
        alices_prompt = (await s.exec(select(SendLedger).where(SendLedger.recipient == ALICE))).one()
    crafted = {**button(card, "Save"), "data": {"action": "checkin", "kr": bobs.id, "ledger": alices_prompt.id}}
    status, body = await post_json(
        teams_bot, card_action(teams_bot.connector, crafted, {f"value-{bobs.id}": "5"}, who="bob")
    )
    assert status == 200 and body["value"].startswith("Saved: Bob's own KR, 5 / 10 (50%)")
    assert len(teams_bot.connector.sent(CHAT)) == 1  # Alice's chat got only her prompt
    (confirmation,) = teams_bot.connector.sent(BOB_CHAT)
    assert "Bob's own KR" in card_texts(confirmation)
