"""Alice answers her prompt in the full form (a dialog): Open form, fill value, confidence, comment and blockers,
Save; a bad value redraws the dialog with the error and what she typed; Edit on the confirmation amends."""

from copy import deepcopy
from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, KeyResult
from tests.teams.activities import (
    ALICE,
    BOB_CHAT,
    CHAT,
    button,
    card_action,
    card_of,
    inputs,
    install,
    message,
    post_json,
)
from tests.teams.dialogs import fetch, invoke, opener, openers, submit, submit_data
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS, card_texts


async def _prompted(bot) -> dict:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post_json(bot, install(bot.connector))
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    (prompt,) = bot.connector.sent(CHAT)
    return card_of(prompt)


async def _checkins(bot) -> list[CheckIn]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(CheckIn))).all())


async def test_open_form_shows_the_whole_form_prefilled_with_the_kr(teams_bot):
    card = await _prompted(teams_bot)
    assert [b["title"] for b in openers(card)] == ["Open form"]
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    assert dialog.title == "Check in" and "Activation rate" in dialog.texts()
    assert dialog.inputs() == {"value": "30", "confidence": "on_track", "comment": "", "blockers": ""}
    assert dialog.submit()["title"] == "Save" and dialog.submit()["data"]["action"] == "checkin_form"
    assert await _checkins(teams_bot) == []  # opening records nothing


async def test_saving_the_form_records_every_field_and_confirms_in_the_chat(teams_bot):
    card = await _prompted(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    typed = dict(value="42", confidence="at_risk", comment="waiting on legal", blockers="the DPA")
    closed = await submit(teams_bot, dialog, **typed)
    assert closed.message.startswith("Saved: Activation rate, 42%") and closed.message.endswith("at risk")
    (ci,) = await _checkins(teams_bot)
    assert (ci.value, ci.confidence, ci.comment, ci.blockers, ci.source) == (
        42,
        "at_risk",
        "waiting on legal",
        "the DPA",
        "modal",
    )
    confirmation = teams_bot.connector.sent(CHAT)[-1]
    text = card_texts(confirmation)
    assert "Recorded" in text and "Comment: waiting on legal" in text and "Blockers: the DPA" in text
    assert [b["title"] for b in openers(card_of(confirmation))] == ["Edit"]


async def test_a_bad_value_redraws_the_dialog_with_the_error_and_records_nothing(teams_bot):
    card = await _prompted(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    again = await submit(teams_bot, dialog, value="banana", comment="keep this", blockers="and this")
    assert again.message is None and again.title == "Check in"
    assert 'I couldn\'t read a number in "banana"' in again.texts()
    kept = {"value": "banana", "confidence": "on_track", "comment": "keep this", "blockers": "and this"}
    assert again.inputs() == kept
    empty = await submit(teams_bot, again, value="")
    assert "Enter the current value, e.g. 42." in empty.texts()
    bad_confidence = await submit(teams_bot, again, value="42", confidence="lol")
    assert "Choose on track, at risk or off track." in bad_confidence.texts()
    assert await _checkins(teams_bot) == [] and len(teams_bot.connector.sent(CHAT)) == 1  # nothing half-written
    fixed = await submit(teams_bot, again, value="43")  # corrected in the redrawn dialog: saved at last
    assert fixed.message.startswith("Saved: Activation rate, 43%")
    (ci,) = await _checkins(teams_bot)
    assert (ci.value, ci.comment, ci.blockers) == (43, "keep this", "and this")


async def test_edit_from_the_confirmation_opens_what_was_saved_and_amends_it(teams_bot):
    card = await _prompted(teams_bot)
    await submit(teams_bot, await fetch(teams_bot, opener(card, "Open form")), value="42", comment="first go")
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    dialog = await fetch(teams_bot, opener(confirmation, "Edit"))
    assert dialog.title == "Edit check-in"
    assert dialog.inputs() == {"value": "42", "confidence": "on_track", "comment": "first go", "blockers": ""}
    bad = await submit(teams_bot, dialog, value="x1")
    assert bad.title == "Edit check-in" and "x1" in bad.inputs()["value"] and bad.message is None
    closed = await submit(teams_bot, bad, value="44", confidence="off_track", blockers="legal again")
    assert closed.message.startswith("Updated: Activation rate, 44%")
    (ci,) = await _checkins(teams_bot)  # amended in place, not a second check-in
    assert (ci.value, ci.confidence, ci.comment, ci.blockers) == (44, "off_track", "first go", "legal again")
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(KeyResult))).one().current_value == 44
    updated = teams_bot.connector.sent(CHAT)[-1]
    assert "Updated" in card_texts(updated) and "44%" in card_texts(updated)


async def test_the_edit_button_of_a_confirmation_made_on_the_card_opens_the_form_too(teams_bot):
    card = await _prompted(teams_bot)
    save = card_action(teams_bot.connector, button(card, "Save"), inputs(card, value="41"))
    assert (await post_json(teams_bot, save))[0] == 200
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    dialog = await fetch(teams_bot, opener(confirmation, "Edit"))
    assert dialog.inputs()["value"] == "41"
    assert (await submit(teams_bot, dialog, value="39")).message.startswith("Updated: Activation rate, 39%")


async def test_someone_else_cannot_open_or_submit_alices_form(teams_bot):
    card = await _prompted(teams_bot)
    await post_json(teams_bot, install(teams_bot.connector, who="bob"))
    refused = await fetch(teams_bot, opener(card, "Open form"), who="bob")
    assert refused.card is None and refused.message.startswith("Only this KR's owner or co-owners")
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    refused = await submit(teams_bot, dialog, who="bob", value="99")  # Alice's dialog data, sent by Bob
    assert refused.message.startswith("Only this KR's owner or co-owners")
    await submit(teams_bot, dialog, value="42")
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    refused = await fetch(teams_bot, opener(confirmation, "Edit"), who="bob")
    assert refused.message.startswith("Only this KR's owner or co-owners")
    (ci,) = await _checkins(teams_bot)
    assert ci.value == 42 and teams_bot.connector.sent(BOB_CHAT) == []


async def test_a_doctored_or_stale_dialog_is_refused_clearly(teams_bot):
    card = await _prompted(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    kr_id = dialog.submit()["data"]["kr"]
    bad_kr = await submit_data(teams_bot, {"action": "checkin_form", "kr": "drop table", "value": "42"})
    assert bad_kr.message.startswith("This button is out of date")
    gone = await submit_data(teams_bot, {"action": "checkin_form", "kr": kr_id + 999, "value": "42"})
    assert gone.message == "That key result no longer exists."
    unknown = await submit_data(teams_bot, {"action": "delete_everything"})
    assert unknown.message.startswith("This button is out of date")
    wrong_dialog = await fetch(teams_bot, {**opener(card, "Open form"), "data": {"dialog_id": "nope"}})
    assert wrong_dialog.message.startswith("This button is out of date")
    assert await _checkins(teams_bot) == []
    await submit(teams_bot, dialog, value="42")
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    await submit(teams_bot, dialog, value="43")  # a newer check-in: the first confirmation's Edit is stale now
    stale = await fetch(teams_bot, opener(confirmation, "Edit"))
    assert stale.message == "Only the latest check-in of a KR can be edited or undone."


async def test_a_done_or_not_done_kr_gets_a_choice_in_the_form(teams_bot):
    okrs = deepcopy(OKRS)
    okrs["objectives"][0]["key_results"] = [{"title": "Ship the guided setup", "owner": ALICE, "kind": "binary"}]
    await import_okrs(teams_bot.svc, okrs, dry_run=False)
    await post_json(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    dialog = await fetch(teams_bot, opener(card_of(teams_bot.connector.sent(CHAT)[0]), "Open form"))
    (status,) = [i for i in dialog.card["body"] if i.get("id") == "value"]
    assert status["type"] == "Input.ChoiceSet" and status["value"] == "not_done"
    assert [c["value"] for c in status["choices"]] == ["done", "not_done"]
    bad = await submit(teams_bot, dialog, value="maybe")
    assert "Choose done or not done." in bad.texts()
    closed = await submit(teams_bot, dialog, value="done")
    assert closed.message.startswith("Saved: Ship the guided setup, done")
    (ci,) = await _checkins(teams_bot)
    assert ci.value == 1


async def test_a_confirmation_that_cannot_be_posted_still_closes_the_dialog_saying_so(teams_bot):
    card = await _prompted(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Open form"))
    teams_bot.connector.fail_next = [(403, {}, {"error": {"code": "ConversationBlockedByUser"}})]
    closed = await submit(teams_bot, dialog, value="42")
    assert closed.message == (
        "Done, but okrbot could not post the confirmation in this chat (teams_403 ConversationBlockedByUser)."
    )
    (ci,) = await _checkins(teams_bot)  # recorded before the confirmation was sent: not lost, not doubled
    assert ci.value == 42


async def test_a_dialog_invoke_from_no_known_person_opens_nothing(teams_bot):
    card = await _prompted(teams_bot)
    activity = invoke(teams_bot.connector, "task/fetch", opener(card, "Open form")["data"])
    activity["from"] = {"id": "29:someone", "name": "Someone"}  # no Entra object id: not a person okrbot can name
    status, body = await post_json(teams_bot, activity)
    assert status == 200
    assert body["task"] == {"type": "message", "value": "okrbot could not tell who pressed this button."}


async def test_a_confirmation_of_several_krs_has_edit_and_undo_under_each_line(teams_bot):
    okrs = deepcopy(OKRS)
    okrs["objectives"][0]["key_results"].append({"title": "Ship the guided setup", "owner": ALICE, "kind": "binary"})
    await import_okrs(teams_bot.svc, okrs, dry_run=False)
    await post_json(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    await post_json(teams_bot, message(teams_bot.connector, "1: 40, on track\n2: done, on track"))
    confirmation = card_of(teams_bot.connector.sent(CHAT)[-1])
    assert confirmation.get("actions") is None  # each line's buttons sit under it
    sets = [b for b in confirmation["body"] if b["type"] == "ActionSet"]
    assert [[a["title"] for a in s["actions"]] for s in sets] == [
        ["Edit Activation rate", "Undo Activation rate"],
        ["Edit Ship the guided setup", "Undo Ship the guided setup"],
    ]
    dialog = await fetch(teams_bot, opener(confirmation, "Edit Ship the guided setup"))
    assert "Ship the guided setup" in dialog.texts() and dialog.inputs()["value"] == "done"
    closed = await submit(teams_bot, dialog, value="not_done")
    assert closed.message.startswith("Updated: Ship the guided setup, not done")
