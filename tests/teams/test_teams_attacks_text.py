"""Text as an attacker sends it to POST /api/messages (local-test mode): bodies that are not activities, activities
of the wrong shape, huge text, user text made of Markdown, <at> tags and links, and what reaches the log at
LOG_LEVEL=DEBUG. Identity, tenants and doctored ids: test_teams_attacks.py; the JWT: test_teams_auth.py."""

import json
import traceback
from copy import deepcopy
from datetime import timedelta

import pytest

from bot.logs import quiet_libraries
from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, ReviewNote, TeamsAddress
from tests.harness import running_bot
from tests.teams.activities import (
    ALICE,
    BOB,
    BOB_CHAT,
    CHAT,
    button,
    card_action,
    card_of,
    inputs,
    install,
    message,
    post,
    post_json,
)
from tests.teams.dialogs import fetch, invoke, opener, submit
from tests.teams.test_teams_attacks import MARKER, _raw, _rows
from tests.teams.test_teams_card_answers import _prompted
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN
from tests.teams.test_teams_digests import FRIDAY_16
from tests.teams.test_teams_digests import OKRS as DIGEST_OKRS
from tests.teams.test_teams_notes import _digest_cards

# --- Malformed and oversized activities -------------------------------------------------------------------------


def _broken(connector) -> dict[str, dict]:
    """Activities of the wrong shape, each carrying MARKER somewhere."""

    def changed(base: dict, **fields) -> dict:
        return {**base, **fields}

    msg = message(connector, f"okr help {MARKER}")
    no_type = dict(msg)
    no_type.pop("type")
    fetch_value = invoke(connector, "task/fetch", {})
    action = card_action(connector, {"verb": "checkin", "data": {}})
    return {
        "from is a string": changed(msg, **{"from": MARKER}),
        "conversation is null": changed(msg, conversation=None),
        "text is a number": changed(msg, text=12345, name=MARKER),
        "no type": no_type,
        "an unknown type": changed(msg, type=MARKER),
        "channelData is a string": changed(msg, channelData=MARKER),
        "entities is a string": changed(msg, entities=MARKER),
        "a dialog invoke's value is a string": changed(fetch_value, value=MARKER),
        "a card action without its action": changed(action, value={"trigger": MARKER}),
        "card data is a list": changed(action, value={"action": {"type": "Action.Execute", "data": [MARKER]}}),
    }


async def test_malformed_bodies_get_a_clear_4xx_and_log_one_line_without_the_body(teams_bot, caplog):
    caplog.set_level("DEBUG", logger="bot")
    deep = ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000)
    for body in (f"not json {MARKER}", *deep, json.dumps([MARKER]), json.dumps(MARKER), b"\xff\xfe" + MARKER.encode()):
        status, answer = await _raw(teams_bot, body)
        assert status == 400 and MARKER not in answer  # deep JSON used to be aiohttp's 500 with a traceback
    big = json.dumps(message(teams_bot.connector, MARKER + "x" * 1_100_000))
    assert (await _raw(teams_bot, big))[0] == 413  # aiohttp's client_max_size, as for /slack/events
    refusals = [r for r in caplog.records if r.name == "bot.teams.http_guard"]
    assert len(refusals) == 6 and all(r.getMessage().startswith("rejected a malformed") for r in refusals)
    assert not any(MARKER in r.getMessage() or r.exc_info for r in caplog.records)
    assert teams_bot.connector.calls == [] and await _rows(teams_bot, TeamsAddress) == []


async def test_activities_of_the_wrong_shape_do_nothing_and_never_log_their_content(teams_bot, caplog):
    """The SDK refuses them while validating (its own 500: nothing ran); okrbot's filter keeps the validation error's
    text, which quotes the activity, out of the log. (A 400 would need hooking after the SDK's JWT check.)"""
    caplog.set_level("DEBUG", logger="bot")
    caplog.set_level("DEBUG", logger="teams_in")
    for name, activity in _broken(teams_bot.connector).items():
        status, answer = await _raw(teams_bot, json.dumps(activity))
        assert status in (400, 500), name
        assert MARKER not in answer, name
    assert not any(MARKER in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records if r.name.startswith(("microsoft_teams", "aiohttp")))
    assert teams_bot.connector.calls == [] and await _rows(teams_bot, TeamsAddress) == []


async def test_a_huge_chat_message_is_answered_harmlessly_and_never_logged(teams_bot, caplog):
    caplog.set_level("DEBUG", logger="bot")
    caplog.set_level("DEBUG", logger="teams_in")
    await import_okrs(teams_bot.svc, DIGEST_OKRS, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await teams_bot.tick(MONDAY_10_BERLIN)
    text = f"42, at risk, {MARKER} " + "y" * 900_000  # Teams itself caps a message at about 28 KB
    assert await post(teams_bot, message(teams_bot.connector, text)) == 413
    assert await _rows(teams_bot, CheckIn) == []  # the parser keeps a comment verbatim: it never saw this one
    assert len(teams_bot.connector.sent(CHAT)) == 1  # the prompt; nothing answered the refused message
    assert any(
        r.getMessage() == "refused a Teams message: a text longer than any Teams message" for r in caplog.records
    )
    assert not any(MARKER in r.getMessage() for r in caplog.records)
    # On the card, whose inputs a client can doctor at will, the service keeps comments to 3,000 characters.
    card = card_of(teams_bot.connector.sent(CHAT)[0])
    long = inputs(card, value="42", comment=MARKER + "z" * 3000)
    status, body = await post_json(teams_bot, card_action(teams_bot.connector, button(card, "Save"), long))
    assert status == 200 and body["value"] == "Keep the comment under 3000 characters (this one has 3011)."
    assert await _rows(teams_bot, CheckIn) == []


# --- User text that looks like Markdown, Adaptive Card syntax, mentions or links ----------------------------------

EVIL = "**bold** [click](https://evil.example) <at>okrbot</at> ${$root.x} {{DATE(2027-01-01T00:00:00Z)}} <b>hi</b>"


def _strings(node, path=()):
    """Every string in a JSON value, with the chain of objects above it."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, (node, key)))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, path)
    elif isinstance(node, str):
        yield node, path


def _where_user_text_is(body: dict) -> set[str]:
    """Where EVIL's link sits in an activity: `TextRun.text`, `Input.*.value`, `text(plain)`, a dialog's title (a
    plain string in Teams' dialog header), or anywhere else (a TextBlock, a FactSet, a URL, a button: a finding)."""
    found = set()
    for text, path in _strings(body):
        if "evil.example" not in text:
            continue
        parent, key = path[-1]
        kind = parent.get("type", "")
        if kind == "TextRun" and key == "text":
            found.add("TextRun.text")
        elif kind.startswith("Input.") and key == "value":
            found.add("Input.value")
        elif len(path) == 1 and key == "text":
            found.add(f"text({body.get('textFormat')})")
        else:
            found.add("dialog title" if set(parent) == {"card", "title"} else f"{kind or '?'}.{key}")
    return found


async def test_user_text_with_markdown_mentions_and_links_is_only_ever_a_text_run(teams_bot):
    okrs = deepcopy(DIGEST_OKRS)
    okrs["people"] = [{"id": ALICE, "name": f"Alice {EVIL}"}, {"id": BOB, "name": "Bob"}]
    okrs["objectives"][0]["title"] = f"Objective {EVIL}"
    okrs["objectives"][0]["key_results"][0]["title"] = f"KR {EVIL}"
    await import_okrs(teams_bot.svc, okrs, dry_run=False)
    await post(teams_bot, install(teams_bot.connector))
    await post(teams_bot, install(teams_bot.connector, who="bob"))
    await teams_bot.tick(MONDAY_10_BERLIN)
    teams_bot.svc.clock = lambda: MONDAY_10_BERLIN + timedelta(hours=1)
    (prompt,) = teams_bot.connector.sent(CHAT)
    answers = [
        await post_json(
            teams_bot,
            card_action(
                teams_bot.connector, button(card_of(prompt), "Save"), inputs(card_of(prompt), value="42", comment=EVIL)
            ),
        )
    ]
    for text in ("okr mine", "okr team Growth", "okr at-risk", "43, at risk, " + EVIL):
        await post(teams_bot, message(teams_bot.connector, text))
    await teams_bot.tick(FRIDAY_16)
    teams_bot.svc.clock = lambda: FRIDAY_16 + timedelta(minutes=30)
    per_person = card_of(teams_bot.connector.sent(BOB_CHAT)[1])
    dialog = await fetch(teams_bot, opener(per_person, "Add note"), who="bob")
    await submit(teams_bot, dialog, who="bob", body=EVIL, visibility="shared")
    shown = await fetch(teams_bot, opener(per_person, "Show notes"), who="bob")
    bodies = [c.body for c in teams_bot.connector.calls if c.body] + [shown.body]
    places = set().union(*(_where_user_text_is(b) for b in bodies))
    assert {"TextRun.text", "text(plain)"} <= places  # the scan saw the text on cards and in chat
    assert places <= {"TextRun.text", "Input.value", "text(plain)", "dialog title"}, places
    assert not any(body.get("entities") for body in bodies)  # no mention entity is ever built from user text
    assert all(status == 200 and "evil" in json.dumps(answer) for status, answer in answers)


# --- Logs at LOG_LEVEL=DEBUG ---------------------------------------------------------------------------------------


@pytest.fixture
async def debug_bot(fake_slack, tmp_path, connector, caplog):
    """okrbot as `LOG_LEVEL=DEBUG okrbot serve` logs: every logger at DEBUG but the ones bot.logs keeps quiet
    (set before the bot is built, as serve does, so the Teams SDK's own level follows it)."""
    caplog.set_level("DEBUG")
    quiet_libraries("DEBUG")
    async with running_bot(fake_slack, tmp_path / "bot.db", TEAMS_ALLOW_UNAUTHENTICATED="true", LOG_LEVEL="DEBUG") as h:
        h.connector = connector
        yield h


async def test_at_debug_no_note_text_or_body_reaches_a_log_line_even_when_the_connector_fails(debug_bot, caplog):
    bot = debug_bot
    cards = await _digest_cards(bot)
    dialog = await fetch(bot, opener(cards["Alice"], "Add note"), who="bob")
    await submit(bot, dialog, who="bob", body=f"{MARKER} too long " + "x" * 3000)  # redrawn with the text
    await submit(bot, dialog, who="bob", body=f"{MARKER} private")
    # A definite refusal (a 500 is "maybe delivered" and not resent, so it would not fail the share).
    bot.connector.fail_next = [(400, {}, {"error": {"code": "BadArgument", "message": "boom"}})] * 4
    failed = await submit(bot, dialog, who="bob", body=f"{MARKER} shared", visibility="shared")  # sharing fails
    assert failed.message.startswith("Done, but okrbot could not post")
    await fetch(bot, opener(cards["Alice"], "Show notes"), who="bob")
    await fetch(bot, opener(cards["Alice"], "Show notes"))  # Alice: refused
    await post(bot, message(bot.connector, f"okr team Growth {MARKER}"))
    await post(bot, message(bot.connector, f"42, at risk, {MARKER} comment"))
    await _raw(bot, json.dumps({**message(bot.connector, MARKER), "from": MARKER}))  # the SDK refuses it
    assert [n.body.split()[0] for n in await _rows(bot, ReviewNote)] == [MARKER, MARKER]
    records = caplog.records
    assert any(r.levelname == "DEBUG" for r in records)  # DEBUG really was on
    leaks = [f"{r.name}: {r.getMessage()[:120]}" for r in records if MARKER in r.getMessage()]
    leaks += [r.name for r in records if r.exc_info and MARKER in "".join(traceback.format_exception(*r.exc_info))]
    assert leaks == []


async def test_the_forms_comment_and_blockers_are_kept_to_3000_characters_and_redrawn(teams_bot):
    card = await _prompted(teams_bot)
    form = await fetch(teams_bot, opener(card, "Open form"))
    for field in ("comment", "blockers"):
        redrawn = await submit(teams_bot, form, value="42", **{field: "b" * 3001})
        assert f"Keep the {field} under 3000 characters (this one has 3001)." in redrawn.texts()
        assert redrawn.inputs()[field] == "b" * 3001  # kept, to shorten
    assert await _rows(teams_bot, CheckIn) == []
    saved = await submit(teams_bot, form, value="42", comment="c" * 3000, blockers="b" * 3000)
    assert saved.message.startswith("Saved")
