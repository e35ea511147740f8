"""Bob manages Alice and Carol on Teams. From his manager digest's per-person cards he adds review notes in a
dialog and reads them in another; Alice (a peer, and the subject) is refused whatever button data she sends, and no
note text reaches a channel, a digest, anyone else's chat, a log line, or any dialog answer but Bob's own."""

import json
from copy import deepcopy
from datetime import timedelta

from sqlmodel import select

from bot.services.notes import add_note
from bot.services.okr_io.importer import import_okrs
from storage.models import ReviewNote
from tests.teams.activities import ALICE, BOB, BOB_CHAT, CHANNEL, CHAT, card_of, install, message, post
from tests.teams.dialogs import fetch, opener, openers, submit, submit_data
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts
from tests.teams.test_teams_digests import FRIDAY_16, OKRS

CAROL = "teams:c3c3c3c3-0000-4000-8000-000000000003"
REFUSAL = "Only this person's line managers and HR can read or write review notes about them."
NOTE = "NOTE-7f3a: struggles with deadlines"


def _okrs() -> dict:
    okrs = deepcopy(OKRS)
    okrs["teams"][0]["members"].append(CAROL)
    okrs["people"].append({"id": CAROL, "name": "Carol"})
    return okrs


async def _digest_cards(bot) -> dict[str, dict]:
    """Alice and Bob installed the app; Friday's manager digest reached Bob: his per-person cards by name."""
    await import_okrs(bot.svc, _okrs(), dry_run=False)
    await post(bot, install(bot.connector))
    await post(bot, install(bot.connector, who="bob"))
    await bot.tick(FRIDAY_16)
    bot.svc.clock = lambda: FRIDAY_16 + timedelta(minutes=30)
    _parent, *people = bot.connector.sent(BOB_CHAT)
    return {p.body["text"].split(":")[0]: card_of(p) for p in people}


async def _notes(bot) -> list[ReviewNote]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(ReviewNote))).all())


async def test_each_per_person_card_offers_add_note_and_show_notes(teams_bot):
    cards = await _digest_cards(teams_bot)
    assert set(cards) == {"Alice", "Carol"}
    for name, subject in (("Alice", ALICE), ("Carol", CAROL)):
        assert [b["title"] for b in openers(cards[name])] == ["Add note", "Show notes"]
        assert {b["data"]["subject"] for b in openers(cards[name])} == {subject}
    parent = card_of(teams_bot.connector.sent(BOB_CHAT)[0])
    assert openers(parent) == []  # the digest itself offers no notes
    assert all(openers(card_of(call)) == [] for call in teams_bot.connector.sent(CHANNEL))


async def test_bob_adds_a_private_note_in_the_dialog_and_reads_it_back(teams_bot):
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    assert dialog.title == "Add review note" and "Review note about Alice" in dialog.texts()
    assert dialog.inputs() == {"body": "", "visibility": "private"}
    closed = await submit(teams_bot, dialog, who="bob", body=f"  {NOTE}  ")
    assert closed.message == (
        "🔒 Saved as a private review note about Alice. Only you, Alice's other line managers and HR can see it."
    ).removeprefix("🔒 ")
    (note,) = await _notes(teams_bot)
    assert (note.author_id, note.subject_id, note.body, note.visibility) == (BOB, ALICE, NOTE, "private")
    shown = await fetch(teams_bot, opener(cards["Alice"], "Show notes"), who="bob")
    assert "Review notes about Alice" in shown.texts() and NOTE in shown.texts() and "(private)" in shown.texts()
    assert shown.card.get("actions") is None  # read-only
    empty = await fetch(teams_bot, opener(cards["Carol"], "Show notes"), who="bob")
    assert empty.texts() == "No review notes about Carol yet."
    assert len(teams_bot.connector.sent(BOB_CHAT)) == 3  # the digest and two cards: nothing posted for the note


async def test_an_empty_or_too_long_note_redraws_the_dialog_and_saves_nothing(teams_bot):
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    empty = await submit(teams_bot, dialog, who="bob", body="   ")
    assert empty.title == "Add review note" and "Write the note first." in empty.texts()
    long = "x" * 3001
    too_long = await submit(teams_bot, dialog, who="bob", body=long, visibility="shared")
    assert "Keep the note under 3000 characters (this one has 3001)." in too_long.texts()
    assert too_long.inputs() == {"body": long, "visibility": "shared"}  # kept, to shorten
    odd = await submit(teams_bot, dialog, who="bob", body="fine", visibility="everyone")
    assert "Choose who can see the note." in odd.texts()
    assert await _notes(teams_bot) == []
    saved = await submit(teams_bot, too_long, who="bob", body="x" * 3000, visibility="private")
    assert saved.message.startswith("Saved as a private review note about Alice")


async def test_a_peer_or_the_subject_is_refused_whatever_the_button_says(teams_bot):
    cards = await _digest_cards(teams_bot)
    # Alice presses (a copy of) Bob's buttons: about Carol, her peer, and about herself.
    for card in (cards["Carol"], cards["Alice"]):
        for title in ("Add note", "Show notes"):
            refused = await fetch(teams_bot, opener(card, title))
            assert refused.card is None and refused.message == REFUSAL
    # A doctored Submit: Alice names Carol; Bob names Bob (nobody writes about themselves).
    refused = await submit_data(teams_bot, {"action": "save_note", "subject": CAROL, "body": "NOTE-X"})
    assert refused.message == REFUSAL and "NOTE-X" not in json.dumps(refused.body)
    refused = await submit_data(teams_bot, {"action": "save_note", "subject": BOB, "body": "NOTE-Y"}, who="bob")
    assert refused.message == REFUSAL
    for data in ({"action": "save_note", "subject": "U0SLACK", "body": "x"}, {"action": "save_note", "body": "x"}):
        stale = await submit_data(teams_bot, data, who="bob")
        assert stale.message.startswith("This button is out of date")
    assert await _notes(teams_bot) == []


async def test_a_shared_note_goes_only_to_the_subjects_own_chat(teams_bot):
    cards = await _digest_cards(teams_bot)
    before = len(teams_bot.connector.calls)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    closed = await submit(teams_bot, dialog, who="bob", body="NOTE-S: great demo", visibility="shared")
    assert closed.message.startswith("Saved as a review note about Alice and shared with Alice")
    assert "NOTE-S" not in closed.message
    intro, shared = teams_bot.connector.sent(CHAT)
    assert "Bob shared a review note about you" in card_texts(intro) and "NOTE-S" not in json.dumps(intro.body)
    assert "NOTE-S: great demo" in card_texts(shared) and "NOTE-S" not in shared.body["text"]  # not in the alert
    for call in teams_bot.connector.calls[before:]:
        assert call.path == f"/v3/conversations/{CHAT}/activities"  # nothing else was called


async def test_no_note_text_reaches_any_connector_call_log_line_or_other_dialog_answer(teams_bot, caplog):
    """Every connector call and every dialog answer is scanned; only Bob's own dialogs may show his notes."""
    await import_okrs(teams_bot.svc, _okrs(), dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await post(teams_bot, install(teams_bot.connector, who="bob"))
    caplog.set_level("INFO")  # okrbot's default; bot/logs.py holds aiosqlite (SQL parameters) at INFO or above
    for ours in ("bot", "teams_in"):
        caplog.set_level("DEBUG", logger=ours)
    await teams_bot.tick(MONDAY_10_BERLIN)
    await teams_bot.tick(FRIDAY_16)
    teams_bot.svc.clock = lambda: FRIDAY_16 + timedelta(minutes=30)
    cards = {p.body["text"].split(":")[0]: card_of(p) for p in teams_bot.connector.sent(BOB_CHAT)[1:]}
    bobs, others = [], []  # dialog answers to Bob (entitled), and to anyone else
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    bobs.append(await submit(teams_bot, dialog, who="bob", body=NOTE + "x" * 3000))  # too long: shown back to Bob
    bobs.append(await submit(teams_bot, dialog, who="bob", body=NOTE))
    bobs.append(await fetch(teams_bot, opener(cards["Alice"], "Show notes"), who="bob"))
    others.append(await fetch(teams_bot, opener(cards["Alice"], "Show notes")))  # Alice, about herself
    others.append(await fetch(teams_bot, opener(cards["Carol"], "Show notes")))
    others.append(await submit_data(teams_bot, {"action": "save_note", "subject": CAROL, "body": "NOTE-C3"}))
    await post(teams_bot, message(teams_bot.connector, "42, at risk"))  # a late check-in: the digest is redrawn
    await post(teams_bot, message(teams_bot.connector, "okr team Growth", who="bob"))
    await post(teams_bot, message(teams_bot.connector, "Alice NOTE-B2 did well", who="bob"))  # no thread: no note
    await teams_bot.tick(FRIDAY_16 + timedelta(days=7))  # next week's digests, with a note now on file
    assert [n.body for n in await _notes(teams_bot)] == [NOTE]
    # Bob's redrawn dialog and his Show notes hold the note (so a scan would see a leak); his "Saved" does not.
    assert [NOTE in json.dumps(a.body) for a in bobs] == [True, False, True]
    assert teams_bot.connector.updated(CHANNEL) and len(teams_bot.connector.sent(CHANNEL)) == 2
    for call in teams_bot.connector.calls:
        seen = json.dumps(call.body) + call.path + json.dumps(call.query)
        assert "NOTE-7f3a" not in seen and "NOTE-C3" not in seen
        assert "NOTE-B2" not in seen or call.path == f"/v3/conversations/{BOB_CHAT}/activities"  # Bob's own words
    for answer in others:
        assert answer.message == REFUSAL and "NOTE-" not in json.dumps(answer.body)
    assert caplog.records and not any("NOTE-" in r.getMessage() for r in caplog.records)


async def test_show_notes_lists_the_newest_notes_that_fit_in_one_dialog(teams_bot):
    cards = await _digest_cards(teams_bot)
    for i in range(8):
        teams_bot.svc.clock = lambda i=i: FRIDAY_16 + timedelta(hours=1 + i)
        await add_note(teams_bot.svc, author_id=BOB, subject_id=ALICE, body=f"N{i}:" + "y" * 2990)
    shown = await fetch(teams_bot, opener(cards["Alice"], "Show notes"), who="bob")
    text = shown.texts()
    assert "The newest 6 of 8." in text and "N0:" not in text and "N1:" not in text
    assert text.index("N7:") < text.index("N2:")  # newest first
    assert len(json.dumps(shown.body)) < 28_000  # Teams' card size limit
