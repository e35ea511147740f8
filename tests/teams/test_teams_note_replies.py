"""Bob manages Alice and Carol on Teams. He replies (Teams' quoted "Reply") to the per-person cards of his manager
digest, and each reply becomes a private review note about that person, confirmed to him alone, in either shape
Teams sends a quoted reply. A reply quoting anything else stays a check-in answer or a command; Alice quoting
Bob's card is refused; the note text reaches no other connector call, no log line, and nobody else."""

import io
import json
import logging
from datetime import timedelta

from sqlmodel import select

from bot.logs import quiet_libraries, setup_logging
from bot.okr.types import SendKind
from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, ReviewThread, SendLedger
from tests.teams.activities import ALICE, BOB, BOB_CHAT, CHAT, install, message, post
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts
from tests.teams.test_teams_digests import FRIDAY_16
from tests.teams.test_teams_notes import CAROL, REFUSAL, _digest_cards, _notes, _okrs

NOTE = "NOTE-q9: missed the launch review"
SAVED = "Saved as a private review note about {name}. Only you, {name}'s other line managers and HR can see it."


def quoting(connector, message_id: str, text: str, *, who: str = "bob", preview: str = "Alice: 1 KRs") -> dict:
    """A quoted reply as Teams sends it now: a quotedReply entity and a placeholder before the text."""
    activity = message(connector, f'<quoted messageId="{message_id}"/> {text}', who=who)
    data = {"messageId": message_id, "senderId": "28:okrbot", "senderName": "okrbot", "preview": preview}
    activity["entities"] = [{"type": "quotedReply", "quotedReply": {**data, "time": "1768492800000"}}]
    return activity


def quoting_html(connector, message_id: str, text: str, *, who: str = "bob", preview: str = "Carol: 1 KRs") -> dict:
    """The older shape: the quote as an HTML blockquote (schema.skype.com/Reply) in a text/html attachment."""
    html = (
        f'<blockquote itemscope="" itemtype="http://schema.skype.com/Reply" itemid="{message_id}">\r\n'
        f'<strong itemprop="mri" itemid="28:okrbot">okrbot</strong><span itemprop="time" itemid="{message_id}">'
        f'</span>\r\n<p itemprop="preview">{preview}</p>\r\n</blockquote>\r\n<p>{text}</p>'
    )
    activity = message(connector, f"okrbot\r\n{preview}\r\n{text}", who=who)
    activity["attachments"] = [{"contentType": "text/html", "content": html}]
    return activity


async def _cards_ids(bot) -> dict[str, str]:
    """The activity id of each per-person card, as okrbot stored it when it posted the card (its review thread)."""
    async with bot.db.read() as s:
        return {t.subject_id: t.ts for t in (await s.exec(select(ReviewThread))).all()}


async def test_bob_replies_to_alices_card_and_it_is_a_private_note_confirmed_only_to_him(teams_bot, caplog):
    await _digest_cards(teams_bot)
    ids = await _cards_ids(teams_bot)
    caplog.set_level("DEBUG", logger="bot")
    caplog.set_level("DEBUG", logger="teams_in")
    before = len(teams_bot.connector.calls)
    assert await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], f"  {NOTE}  ")) == 200
    (note,) = await _notes(teams_bot)
    assert (note.author_id, note.subject_id, note.body, note.visibility) == (BOB, ALICE, NOTE, "private")
    (answer,) = teams_bot.connector.calls[before:]  # one call: the confirmation in Bob's own chat
    assert answer.path == f"/v3/conversations/{BOB_CHAT}/activities"
    assert SAVED.format(name="Alice") in card_texts(answer) or SAVED.format(name="Alice") in json.dumps(answer.body)
    assert "NOTE-q9" not in json.dumps(answer.body)  # never echoed
    assert not any("NOTE-q9" in r.getMessage() for r in caplog.records)
    # Teams retries an activity it got no answer to: the same activity id is kept once.
    again = quoting(teams_bot.connector, ids[ALICE], "NOTE-r2: second thought")
    await post(teams_bot, again)
    await post(teams_bot, again)
    assert [n.body for n in await _notes(teams_bot)] == [NOTE, "NOTE-r2: second thought"]


async def test_the_older_html_quote_is_read_too_and_the_quote_is_not_kept_in_the_note(teams_bot):
    await _digest_cards(teams_bot)
    ids = await _cards_ids(teams_bot)
    await post(teams_bot, quoting_html(teams_bot.connector, ids[CAROL], "NOTE-h1: great &amp; steady<br>line two"))
    (note,) = await _notes(teams_bot)
    assert (note.subject_id, note.body) == (CAROL, "NOTE-h1: great & steady\nline two")
    assert "Carol: 1 KRs" not in note.body and "okrbot" not in note.body
    (answer,) = teams_bot.connector.sent(BOB_CHAT)[3:]
    assert SAVED.format(name="Carol") in card_texts(answer) and "NOTE-h1" not in json.dumps(answer.body)


async def test_an_empty_or_too_long_reply_saves_nothing_and_says_why(teams_bot):
    await _digest_cards(teams_bot)
    ids = await _cards_ids(teams_bot)
    await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], "NOTE-L " + "x" * 3000))
    (answer,) = teams_bot.connector.sent(BOB_CHAT)[3:]
    assert "Keep the note under 3000 characters (this one has 3007)." in card_texts(answer)
    assert "NOTE-L" not in json.dumps(answer.body)
    await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], "   "))  # only the quote (or a file)
    assert card_texts(teams_bot.connector.sent(BOB_CHAT)[-1]).endswith("Write the note first.")
    assert await _notes(teams_bot) == []


async def test_a_reply_quoting_any_other_message_is_not_a_note(teams_bot):
    await _digest_cards(teams_bot)
    await teams_bot.tick(MONDAY_10_BERLIN + timedelta(days=7))  # Alice's next prompt
    prompt = teams_bot.connector.sent(CHAT)[-1]
    # Bob quotes his digest's own intro card (not a per-person card): today's path, a command here.
    async with teams_bot.db.read() as s:
        (intro,) = (await s.exec(select(SendLedger).where(SendLedger.kind == SendKind.MANAGER_DIGEST))).all()
    assert intro.ts and intro.ts not in (await _cards_ids(teams_bot)).values()
    await post(teams_bot, quoting(teams_bot.connector, intro.ts, "okr help"))
    assert "okr mine" in card_texts(teams_bot.connector.sent(BOB_CHAT)[-1])
    # Alice quotes her prompt (or anything) with a check-in: recorded as a check-in, as unquoted text would be.
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(days=7, hours=1)
    await post(teams_bot, quoting(teams_bot.connector, "some-other-id", "42, at risk", who="alice"))
    async with teams_bot.db.read() as s:
        (checkin,) = (await s.exec(select(CheckIn))).all()
    assert (checkin.value, checkin.confidence) == (42, "at_risk")
    assert prompt.body  # the prompt was there to answer
    assert await _notes(teams_bot) == []


async def test_alice_quoting_bobs_card_is_refused_and_nothing_is_echoed(teams_bot):
    """A forwarded (or doctored) quote of Bob's card about Carol, or about Alice herself, from Alice's chat."""
    await _digest_cards(teams_bot)
    ids = await _cards_ids(teams_bot)
    before = len(teams_bot.connector.calls)
    await post(teams_bot, quoting(teams_bot.connector, ids[CAROL], "NOTE-A1 carol is slow", who="alice"))
    await post(teams_bot, quoting_html(teams_bot.connector, ids[ALICE], "NOTE-A2 I am great", who="alice"))
    answers = teams_bot.connector.calls[before:]
    assert [c.path for c in answers] == [f"/v3/conversations/{CHAT}/activities"] * 2
    for call in answers:
        assert REFUSAL in card_texts(call) or REFUSAL in json.dumps(call.body)
        assert "NOTE-A" not in json.dumps(call.body)
    assert await _notes(teams_bot) == []


async def test_no_reply_note_text_reaches_any_connector_call_or_log_line(teams_bot, caplog):
    """Every connector call of a whole week is scanned: notes taken by reply (both shapes), a refused quote, a
    too-long reply, a late check-in that redraws the channel digest, and the next week's digests."""
    caplog.set_level("INFO")  # okrbot's default (bot/logs.py keeps aiosqlite's SQL parameters out)
    for ours in ("bot", "teams_in"):
        caplog.set_level("DEBUG", logger=ours)
    await import_okrs(teams_bot.svc, _okrs(), dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await post(teams_bot, install(teams_bot.connector, who="bob"))
    await teams_bot.tick(MONDAY_10_BERLIN)  # Alice's prompt, answered late below
    await teams_bot.tick(FRIDAY_16)
    teams_bot.svc.clock = lambda: FRIDAY_16 + timedelta(minutes=30)
    ids = await _cards_ids(teams_bot)
    await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], "NOTE-s1: missed two deadlines"))
    await post(teams_bot, quoting_html(teams_bot.connector, ids[CAROL], "NOTE-s2: ready for a bigger scope"))
    await post(teams_bot, quoting(teams_bot.connector, ids[CAROL], "NOTE-s3 carol", who="alice"))  # refused
    await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], "NOTE-s4 " + "y" * 3000))  # too long
    await post(teams_bot, message(teams_bot.connector, "42, at risk"))  # Alice's late check-in: digest redrawn
    await teams_bot.tick(FRIDAY_16 + timedelta(days=7))
    assert sorted(n.body for n in await _notes(teams_bot)) == [
        "NOTE-s1: missed two deadlines",
        "NOTE-s2: ready for a bigger scope",
    ]
    assert teams_bot.connector.updated("19:general@thread.tacv2")  # the scan covers the redrawn digest too
    for call in teams_bot.connector.calls:
        seen = json.dumps(call.body) + call.path + json.dumps(call.query)
        assert "NOTE-s" not in seen, call.path
    assert caplog.records and not any("NOTE-s" in r.getMessage() for r in caplog.records)


async def test_even_at_log_level_debug_no_log_line_holds_the_note(teams_bot):
    """LOG_LEVEL=DEBUG: the Teams SDK logs each received activity whole at DEBUG; bot/teams/server.py holds it at
    INFO, and okrbot's own lines name ids only."""
    await _digest_cards(teams_bot)
    ids = await _cards_ids(teams_bot)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    try:
        await post(teams_bot, quoting(teams_bot.connector, ids[ALICE], "NOTE-d1: at debug"))
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        quiet_libraries("INFO")
    assert [n.body for n in await _notes(teams_bot)] == ["NOTE-d1: at debug"]
    logged = stream.getvalue()
    assert "teams message" in logged and "NOTE-d1" not in logged
