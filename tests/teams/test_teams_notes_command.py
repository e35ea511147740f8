"""`okr notes @person [cycle]` typed in the 1:1 chat: Bob (Alice's manager) and Hana (HR, who gets no manager
digest) read Alice's notes on Teams; Alice, a peer or a channel get nothing; bad input says what is wrong; the
command stays off the manifest's full command menu."""

import json

import pytest
from pydantic import ValidationError

from bot.services.notes import add_note
from bot.services.okr_io.importer import import_okrs
from teams_in.catalogue import COMMANDS, MENU
from tests.harness import running_bot
from tests.harness import test_settings as settings_for
from tests.teams.activities import (
    ALICE,
    ALICE_AAD,
    BOB,
    BOB_CHAT,
    CHANNEL,
    CHAT,
    channel_message,
    install,
    message,
    post,
)
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, card_texts
from tests.teams.test_teams_notes import CAROL, REFUSAL, _okrs
from tests.teams.test_teams_person_commands import mentioning

HANA_AAD = "d4d4d4d4-0000-4000-8000-000000000004"
HANA = f"teams:{HANA_AAD}"
HANA_CHAT = "a:1on1-hana"
NOTE = "NOTE-c5: needs support on planning"
ALICE_MENTION = ("Alice", "29:alice", ALICE_AAD)


@pytest.fixture
async def hr_bot(fake_slack, tmp_path, connector):
    env = {"TEAMS_ALLOW_UNAUTHENTICATED": "true", "OKRBOT_HR": HANA}
    async with running_bot(fake_slack, tmp_path / "bot.db", **env) as harness:
        harness.connector = connector
        yield harness


def _as_hana(activity: dict) -> dict:
    activity["from"] = {"id": "29:hana", "name": "Hana", "aadObjectId": HANA_AAD}
    activity["conversation"] = {**activity["conversation"], "id": HANA_CHAT}
    return activity


async def _ready(bot) -> None:
    await import_okrs(bot.svc, _okrs(), dry_run=False)
    await post(bot, install(bot.connector))
    await post(bot, install(bot.connector, who="bob"))
    await post(bot, _as_hana(install(bot.connector)))
    bot.svc.clock = lambda: MONDAY_10_BERLIN
    await add_note(bot.svc, author_id=BOB, subject_id=ALICE, body=NOTE)


async def _ask(bot, activity: dict, where: str) -> str:
    before = len(bot.connector.sent(where))
    assert await post(bot, activity) == 200
    (answer,) = bot.connector.sent(where)[before:]
    return card_texts(answer)


async def test_the_line_manager_and_hr_read_the_notes_in_their_own_chat(hr_bot, caplog):
    await _ready(hr_bot)
    caplog.set_level("DEBUG", logger="teams_in")
    said = await _ask(
        hr_bot, mentioning(message(hr_bot.connector, "okr notes <at>Alice</at>", who="bob"), ALICE_MENTION), BOB_CHAT
    )
    assert "Review notes about Alice" in said and NOTE in said and "(private)" in said
    # Hana gets no manager digest: the command is her way in.
    hana = mentioning(_as_hana(message(hr_bot.connector, "okr notes <at>Alice</at> 2027-Q1")), ALICE_MENTION)
    said = await _ask(hr_bot, hana, HANA_CHAT)
    assert "Review notes about Alice in 2027-Q1" in said and NOTE in said
    assert not any("NOTE-c5" in r.getMessage() for r in caplog.records)


async def test_the_subject_a_peer_and_a_channel_get_nothing(hr_bot):
    await _ready(hr_bot)
    own = mentioning(message(hr_bot.connector, "okr notes <at>Alice</at>"), ALICE_MENTION)
    assert await _ask(hr_bot, own, CHAT) == REFUSAL  # Alice about herself
    carol = ("Carol", "29:carol", CAROL.removeprefix("teams:"))
    peer = mentioning(message(hr_bot.connector, "okr notes <at>Carol</at>"), carol)
    assert await _ask(hr_bot, peer, CHAT) == REFUSAL  # Alice about Carol, her peer
    in_channel = mentioning(channel_message(hr_bot.connector, "okr notes <at>Alice</at>", who="bob"), ALICE_MENTION)
    said = await _ask(hr_bot, in_channel, CHANNEL)
    assert said.startswith("okr notes is answered in your 1:1 chat with okrbot")
    for call in hr_bot.connector.calls:
        assert "NOTE-c5" not in json.dumps(call.body) or call.path == f"/v3/conversations/{BOB_CHAT}/activities"


async def test_bad_input_says_what_is_wrong(hr_bot):
    await _ready(hr_bot)
    assert await _ask(hr_bot, message(hr_bot.connector, "okr notes", who="bob"), BOB_CHAT) == (
        "Mention the person: okr notes @person [cycle] (or their email)."
    )
    assert await _ask(hr_bot, message(hr_bot.connector, "okr notes Alice", who="bob"), BOB_CHAT) == (
        "Mention the person: okr notes @person [cycle] (or their email)."
    )
    said = await _ask(hr_bot, message(hr_bot.connector, "okr notes nobody@example.com", who="bob"), BOB_CHAT)
    assert "nobody@example.com" in said and "NOTE-c5" not in said
    wrong_cycle = mentioning(message(hr_bot.connector, "okr notes <at>Alice</at> 1999-Q9", who="bob"), ALICE_MENTION)
    assert await _ask(hr_bot, wrong_cycle, BOB_CHAT) == "No cycle called '1999-Q9'."


def test_okr_notes_is_in_help_but_not_in_the_full_command_menu():
    assert "notes" in {c.name for c in COMMANDS} and "notes" not in {c.name for c in MENU}
    assert len(MENU) <= 10


def test_okrbot_hr_takes_slack_and_teams_people_and_names_a_wrong_one(fake_slack, tmp_path):
    settings = settings_for(fake_slack, tmp_path / "x.db", OKRBOT_HR=f"U0HR, {HANA}")
    assert settings.hr == {"U0HR", HANA}
    with pytest.raises(ValidationError) as err:
        settings_for(fake_slack, tmp_path / "x.db", OKRBOT_HR="teams:hana")
    assert "'teams:hana' is not a Slack user id or teams:<Entra object id>" in str(err.value)
