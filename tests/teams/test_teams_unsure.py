"""Alice answers in plain words that okrbot is not sure it read right ("not on track"): it records nothing and
asks, with Confirm (records exactly what it showed, once) and Edit (the form, prefilled with its reading)."""

from datetime import timedelta

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn
from tests.teams.activities import BOB_CHAT, CHAT, button, buttons, card_action, card_of, install, message, post_json
from tests.teams.dialogs import fetch, opener, openers, submit
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS, card_texts

UNSURE = "40, not on track"  # a negated confidence: the parser must not guess it


async def _asked(bot) -> dict:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post_json(bot, install(bot.connector))
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    assert (await post_json(bot, message(bot.connector, UNSURE)))[0] == 200
    _prompt, asked = bot.connector.sent(CHAT)
    return card_of(asked)


async def _press(bot, card: dict, title: str, who: str = "alice") -> str:
    status, body = await post_json(bot, card_action(bot.connector, button(card, title), who=who))
    assert status == 200
    return body["value"]


async def _checkins(bot) -> list[CheckIn]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(CheckIn))).all())


async def test_an_unsure_reply_is_asked_with_confirm_and_edit_and_not_recorded(teams_bot):
    card = await _asked(teams_bot)
    text = card_texts(teams_bot.connector.sent(CHAT)[-1])
    assert "I'm not sure I read that right, so nothing is recorded yet" in text
    assert "1. Activation rate: 40%" in text and "Not sure: " in text
    assert [b["title"] for b in buttons(card)] == ["Confirm"] and [b["title"] for b in openers(card)] == ["Edit"]
    assert "in-" not in text  # no ids or fingerprints shown as words
    assert await _checkins(teams_bot) == []


async def test_confirm_records_the_reading_once(teams_bot):
    card = await _asked(teams_bot)
    said = await _press(teams_bot, card, "Confirm")
    assert said.startswith("Recorded: Activation rate, 40%")
    (ci,) = await _checkins(teams_bot)
    assert ci.value == 40
    assert "Recorded" in card_texts(teams_bot.connector.sent(CHAT)[-1])
    assert await _press(teams_bot, card, "Confirm") == "That reply was already recorded (or used as a comment)."
    assert len(await _checkins(teams_bot)) == 1


async def test_edit_opens_the_form_with_the_reading_and_confirm_then_records_nothing_twice(teams_bot):
    card = await _asked(teams_bot)
    dialog = await fetch(teams_bot, opener(card, "Edit"))
    assert dialog.title == "Check in" and dialog.inputs()["value"] == "40"
    bad = await submit(teams_bot, dialog, value="forty")
    assert 'I couldn\'t read a number in "forty"' in bad.texts() and await _checkins(teams_bot) == []
    closed = await submit(teams_bot, bad, value="41", confidence="off_track")  # the redrawn dialog still edits it
    assert closed.message.startswith("Saved: Activation rate, 41%") and closed.message.endswith("off track")
    (ci,) = await _checkins(teams_bot)
    assert (ci.value, ci.confidence) == (41, "off_track")
    assert await _press(teams_bot, card, "Confirm") == "That reply was already recorded (or used as a comment)."
    assert len(await _checkins(teams_bot)) == 1  # the edited line is not recorded again


async def test_someone_else_cannot_confirm_or_edit_alices_reply(teams_bot):
    card = await _asked(teams_bot)
    await post_json(teams_bot, install(teams_bot.connector, who="bob"))
    gone = "That reply was already recorded (or used as a comment)."
    assert await _press(teams_bot, card, "Confirm", who="bob") == gone  # the same words whether or not it exists
    refused = await fetch(teams_bot, opener(card, "Edit"), who="bob")
    assert refused.message == gone
    doctored = {**button(card, "Confirm"), "data": {**button(card, "Confirm")["data"], "ts": 5}}
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, doctored))
    assert status == 200 and body["value"].startswith("This card is out of date")
    assert await _checkins(teams_bot) == [] and teams_bot.connector.sent(BOB_CHAT) == []
