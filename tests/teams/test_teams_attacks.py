"""An attacker and a nosy colleague at POST /api/messages (local-test mode: the JWT is not checked here, see
test_teams_auth.py for that): another tenant, another Bot Framework channel, a channel posing as a 1:1 chat,
doctored button data, replays, and the export. Malformed, huge and injected text: test_teams_attacks_text.py."""

import json
from copy import deepcopy

import aiohttp
from sqlmodel import select

from bot.services.notes import add_note
from bot.services.okr_io.exporter import export_okrs
from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, Person, ReviewNote, TeamsAddress
from tests.teams.activities import (
    ALICE,
    BOB,
    BOB_CHAT,
    CHANNEL,
    CHAT,
    button,
    card_action,
    inputs,
    install,
    message,
    post,
    post_json,
)
from tests.teams.dialogs import fetch, invoke, opener, submit, submit_data
from tests.teams.test_teams_card_answers import _prompted
from tests.teams.test_teams_digests import OKRS as DIGEST_OKRS
from tests.teams.test_teams_notes import CAROL, REFUSAL, _digest_cards

MARKER = "MARKER-5e2b"
NOT_YOURS = "Only this KR's owner or co-owners"


async def _rows(bot, model) -> list:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(model))).all())


async def _raw(bot, data: bytes | str, content_type: str = "application/json") -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.app_url}/api/messages", data=data, headers={"Content-Type": content_type}) as r:
            return r.status, await r.text()


# --- Another tenant, another channel, a channel posing as a 1:1 chat ----------------------------------------------


def _elsewhere(activity: dict, tenant: str = "tid-evil", chat: str = "a:1on1-mallory") -> dict:
    activity = deepcopy(activity)
    activity["conversation"] = {**activity["conversation"], "id": chat, "tenantId": tenant}
    activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


async def test_an_activity_from_another_tenant_cannot_move_where_a_persons_notes_go(teams_bot, caplog):
    """Alice's address was seen in tid-1; an activity naming her Entra id from another tenant (and another chat)
    is refused before anything runs, so Bob's shared note still goes to her own chat."""
    cards = await _digest_cards(teams_bot)
    for spoof in (install(teams_bot.connector), message(teams_bot.connector, "okr mine")):
        status, _ = await post_json(teams_bot, _elsewhere(spoof))
        assert status == 403
    assert any("another tenant than the sender's stored address" in r.getMessage() for r in caplog.records)
    (alice,) = [a for a in await _rows(teams_bot, TeamsAddress) if a.person_id == ALICE]
    assert (alice.tenant_id, alice.conversation_id) == ("tid-1", CHAT)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    await submit(teams_bot, dialog, who="bob", body=f"{MARKER} shared", visibility="shared")
    shared = [c for c in teams_bot.connector.calls if MARKER in json.dumps(c.body)]
    assert [c.path for c in shared] == [f"/v3/conversations/{CHAT}/activities"]


async def test_a_channel_posing_as_a_personal_chat_is_not_stored_as_anyones_chat(teams_bot):
    await import_okrs(teams_bot.svc, DIGEST_OKRS, dry_run=False)
    posing = install(teams_bot.connector)
    posing["conversation"] = {"id": CHANNEL, "conversationType": "personal", "tenantId": "tid-1"}
    posing["channelData"] = {"tenant": {"id": "tid-1"}, "team": {"id": "19:team"}, "channel": {"id": CHANNEL}}
    assert await post(teams_bot, posing) == 403
    assert await _rows(teams_bot, TeamsAddress) == []
    # A real channel message stores nothing either, and a real 1:1 install is still taken.
    assert await post(teams_bot, install(teams_bot.connector)) == 200
    ((address),) = await _rows(teams_bot, TeamsAddress)
    assert address.conversation_id == CHAT


async def test_an_activity_from_another_bot_framework_channel_does_nothing(teams_bot):
    for channel in ("webchat", "directline", "emulator", "slack"):
        spoof = install(teams_bot.connector)
        spoof["channelId"] = channel
        assert await post(teams_bot, spoof) == 403
    assert await _rows(teams_bot, TeamsAddress) == [] and await _rows(teams_bot, Person) == []


# --- Doctored button data from a peer -----------------------------------------------------------------------------


async def test_a_peer_cannot_undo_or_edit_someone_elses_checkin_with_its_ids(teams_bot):
    """Carol (a member of Alice's team, not a manager) copies the ids of Alice's confirmation into her own clicks."""
    card = await _prompted(teams_bot)
    await post(teams_bot, install(teams_bot.connector, who="bob"))  # Bob stands in for the peer (no rights on it)
    status, body = await post_json(
        teams_bot, card_action(teams_bot.connector, button(card, "Save"), inputs(card, value="42"))
    )
    assert body["value"].startswith("Saved")
    (checkin,) = await _rows(teams_bot, CheckIn)
    undo = {"type": "Action.Execute", "verb": "undo", "data": {"action": "undo", "checkin": checkin.id}}
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, undo, who="bob"))
    assert status == 200 and body["value"].startswith(NOT_YOURS)
    edit = await fetch(
        teams_bot, {"associatedInputs": "none", "data": {"dialog_id": "edit_checkin", "checkin": checkin.id}}, who="bob"
    )
    assert edit.card is None and edit.message.startswith(NOT_YOURS)
    doctored = {"action": "checkin_form", "checkin": checkin.id, "kr": checkin.kr_id, "value": "1", "confidence": ""}
    answer = await submit_data(teams_bot, doctored, who="bob")
    assert answer.message.startswith(NOT_YOURS)
    (still,) = await _rows(teams_bot, CheckIn)
    assert (still.id, still.value) == (checkin.id, checkin.value)
    assert teams_bot.connector.sent(BOB_CHAT) == []


async def test_a_note_dialogs_data_cannot_choose_where_a_shared_note_goes(teams_bot):
    """Bob may share a note with Alice; extra fields in the Submit's data (a channel, Bob's chat, Carol) are ignored:
    the note goes to Alice's own chat, and the subject is the one the permission check was made for."""
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    extra = {"channel": CHANNEL, "thread_ts": "1", "to": BOB_CHAT, "conversation": CHANNEL, "subject_id": CAROL}
    data = {**dialog.inputs(body=f"{MARKER} one", visibility="shared"), **dialog.submit()["data"], **extra}
    closed = await submit_data(teams_bot, data, who="bob")
    assert closed.message.startswith("Saved as a review note about Alice and shared with Alice")
    (note,) = await _rows(teams_bot, ReviewNote)
    assert note.subject_id == ALICE
    shared = [c for c in teams_bot.connector.calls if MARKER in json.dumps(c.body)]
    assert [c.path for c in shared] == [f"/v3/conversations/{CHAT}/activities"]


async def test_a_note_invoke_from_a_channel_answers_only_the_entitled_clicker(teams_bot):
    """Bob presses Show notes in a team channel (a card copied there): the notes come back in the invoke's own
    answer, to him alone; nothing is posted in the channel, and Alice pressing it there is refused."""
    cards = await _digest_cards(teams_bot)
    await add_note(teams_bot.svc, author_id=BOB, subject_id=ALICE, body=f"{MARKER} private")
    before = len(teams_bot.connector.calls)
    data = dict(opener(cards["Alice"], "Show notes")["data"])
    for who, expect in (("bob", True), ("alice", False)):
        activity = invoke(teams_bot.connector, "task/fetch", data, who=who)
        activity["conversation"] = {"id": CHANNEL, "conversationType": "channel", "tenantId": "tid-1"}
        activity["channelData"] = {"tenant": {"id": "tid-1"}, "team": {"id": "19:team"}, "channel": {"id": CHANNEL}}
        status, body = await post_json(teams_bot, activity)
        assert status == 200 and (MARKER in json.dumps(body)) is expect
        if not expect:
            assert body["task"]["value"] == REFUSAL
    assert teams_bot.connector.calls[before:] == []


# --- Replays (Teams retries an activity it got no answer to within 15 s, with the same id) ------------------------


async def test_a_replayed_note_submit_saves_one_note(teams_bot):
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    activity = invoke(
        teams_bot.connector, "task/submit", {**dialog.inputs(body="N1"), **dialog.submit()["data"]}, who="bob"
    )
    for _ in range(2):
        assert (await post_json(teams_bot, activity))[0] == 200
    assert len(await _rows(teams_bot, ReviewNote)) == 1


async def test_a_replayed_card_save_records_one_checkin(teams_bot):
    card = await _prompted(teams_bot)
    activity = card_action(teams_bot.connector, button(card, "Save"), inputs(card, value="42"))
    for _ in range(2):
        assert (await post_json(teams_bot, activity))[0] == 200
    assert len(await _rows(teams_bot, CheckIn)) == 1


async def test_a_replayed_chat_message_records_one_checkin(teams_bot):
    await _prompted(teams_bot)
    activity = message(teams_bot.connector, "42, at risk")
    for _ in range(2):
        assert await post(teams_bot, activity) == 200
    assert len(await _rows(teams_bot, CheckIn)) == 1


async def test_an_export_holds_a_teams_note_only_when_asked(teams_bot):
    cards = await _digest_cards(teams_bot)
    dialog = await fetch(teams_bot, opener(cards["Alice"], "Add note"), who="bob")
    await submit(teams_bot, dialog, who="bob", body=f"{MARKER} exported?")
    for fmt in ("yaml", "json", "csv"):
        for history in (False, True):
            text = await export_okrs(teams_bot.svc, fmt=fmt, history=history)
            assert MARKER not in text, (fmt, history)
    assert ALICE in await export_okrs(teams_bot.svc, fmt="yaml")  # the export did hold Alice
    assert MARKER in await export_okrs(teams_bot.svc, fmt="json", include_review_notes=True)
