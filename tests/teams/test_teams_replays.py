"""Teams resends an invoke it got no answer to, with the same activity id: every button and dialog that writes
acts once, and the resend is answered with what was done ("Already …", or the note's same confirmation).
A new press of the same button (a new activity id) is not a replay: it gets the service's own answer."""

from sqlmodel import select

from storage.models import CheckIn, InboxItem, ReviewNote
from tests.teams.activities import CHAT, button, card_action, card_of, inputs, post_json
from tests.teams.dialogs import _answer, fetch, invoke, opener
from tests.teams.test_teams_card_answers import _prompted
from tests.teams.test_teams_notes import _digest_cards
from tests.teams.test_teams_unsure import _asked


async def _rows(bot, model) -> list:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(model))).all())


async def _twice(bot, activity: dict) -> list[str]:
    """Post the same card action twice (a Bot Framework retry); the two texts Teams shows on the card."""
    said = []
    for _ in range(2):
        status, body = await post_json(bot, activity)
        assert status == 200 and body["statusCode"] == 200
        said.append(body["value"])
    return said


async def _submit_twice(bot, dialog, who: str = "alice", **typed) -> list[str]:
    """Submit a dialog, then Teams resends that same task/submit; the two messages that close it."""
    activity = invoke(bot.connector, "task/submit", {**dialog.inputs(**typed), **dialog.submit()["data"]}, who=who)
    return [_answer(*await post_json(bot, activity)).message for _ in range(2)]


async def test_a_resent_save_records_one_checkin_and_says_it_is_saved(teams_bot):
    card = await _prompted(teams_bot)
    first, again = await _twice(
        teams_bot, card_action(teams_bot.connector, button(card, "Save"), inputs(card, value="42"))
    )
    assert first.startswith("Saved: Activation rate, 42%")
    assert again == "Already saved: okrbot kept this check-in the first time."
    assert len(await _rows(teams_bot, CheckIn)) == 1
    assert len(teams_bot.connector.sent(CHAT)) == 2  # the prompt and one confirmation


async def test_a_resent_no_change_records_one_checkin(teams_bot):
    card = await _prompted(teams_bot)
    first, again = await _twice(teams_bot, card_action(teams_bot.connector, button(card, "No change")))
    assert (first, again) == ("No change recorded: Activation rate", "Already recorded: no change.")
    assert len(await _rows(teams_bot, CheckIn)) == 1
    assert len(teams_bot.connector.sent(CHAT)) == 2


async def test_a_resent_undo_undoes_once(teams_bot):
    card = await _prompted(teams_bot)
    await _twice(teams_bot, card_action(teams_bot.connector, button(card, "Save"), inputs(card, value="42")))
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    first, again = await _twice(teams_bot, card_action(teams_bot.connector, button(confirmation, "Undo")))
    assert first.startswith("Undone. Activation rate is back to 30%") and again == "Already undone."
    (ci,) = await _rows(teams_bot, CheckIn)
    assert ci.undone_at is not None
    assert len(teams_bot.connector.sent(CHAT)) == 3  # prompt, confirmation, one undo notice


async def test_a_resent_confirm_records_the_reading_once(teams_bot):
    card = await _asked(teams_bot)
    first, again = await _twice(teams_bot, card_action(teams_bot.connector, button(card, "Confirm")))
    assert first.startswith("Recorded: Activation rate, 40%")
    assert again == "Already recorded: okrbot kept it the first time."
    assert len(await _rows(teams_bot, CheckIn)) == 1


async def test_a_resent_form_dialog_records_one_checkin(teams_bot):
    card = await _prompted(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    first, again = await _submit_twice(teams_bot, dialog, value="42", comment="first go")
    assert first.startswith("Saved: Activation rate, 42%")
    assert again == "Already saved: okrbot kept this check-in the first time."
    (ci,) = await _rows(teams_bot, CheckIn)
    assert (ci.value, ci.comment) == (42, "first go")
    assert len(teams_bot.connector.sent(CHAT)) == 2


async def test_a_resent_edit_dialog_amends_once(teams_bot):
    card = await _prompted(teams_bot)
    await _submit_twice(teams_bot, await fetch(teams_bot, opener(card, "Open form")), value="42")
    dialog = await fetch(teams_bot, opener(card_of(teams_bot.connector.sent(CHAT)[-1]), "Edit"))
    first, again = await _submit_twice(teams_bot, dialog, value="44")
    assert first.startswith("Updated: Activation rate, 44%")
    assert again == "Already updated: okrbot kept this the first time."
    (ci,) = await _rows(teams_bot, CheckIn)
    assert ci.value == 44
    assert len(teams_bot.connector.sent(CHAT)) == 3  # prompt, confirmation, one "Updated"


async def test_a_resent_note_saves_one_note_and_confirms_the_same(teams_bot):
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    first, again = await _submit_twice(teams_bot, dialog, who="bob", body="N1")
    assert first.startswith("Saved as a private review note about Alice") and again == first
    assert [n.body for n in await _rows(teams_bot, ReviewNote)] == ["N1"]


async def test_a_new_press_is_not_a_replay_and_a_refused_press_claims_nothing(teams_bot):
    card = await _prompted(teams_bot)
    refused = card_action(teams_bot.connector, button(card, "No change"), who="bob")
    assert (await _twice(teams_bot, refused))[1].startswith("Only this KR's owner")  # refused again, not "Already"
    assert await _rows(teams_bot, InboxItem) == []  # the refusal rolled its claim back
    for _ in range(2):  # two presses, two activity ids: two check-ins, as before
        said = await _twice(teams_bot, card_action(teams_bot.connector, button(card, "No change")))
        assert said[0] == "No change recorded: Activation rate"
    assert len(await _rows(teams_bot, CheckIn)) == 2
    claims = await _rows(teams_bot, InboxItem)
    assert len(claims) == 2 and {c.state for c in claims} == {"done"} and {c.payload for c in claims} == {""}


async def test_someone_elses_request_with_the_same_id_is_not_answered_as_done(teams_bot):
    card = await _prompted(teams_bot)
    alices = card_action(teams_bot.connector, button(card, "No change"))
    assert (await _twice(teams_bot, alices))[0] == "No change recorded: Activation rate"
    bobs = {**alices, "from": card_action(teams_bot.connector, button(card, "No change"), who="bob")["from"]}
    said = (await _twice(teams_bot, bobs))[0]  # the same conversation and activity id, another sender
    assert said.startswith("Only this KR's owner"), said  # refused, not "Already recorded"
    assert len(await _rows(teams_bot, CheckIn)) == 1
