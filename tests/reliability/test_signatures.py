"""Requests not signed by Slack (bad, missing or stale signature) get 401 and change nothing."""

import json
import time
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from storage.models import InboxItem

COMMAND = urlencode({"command": "/okr", "text": "help", "user_id": "U0ALICE", "response_url": "http://127.0.0.1:9/x"})
EVENT = json.dumps(
    {
        "type": "event_callback",
        "event_id": "EvFORGED",
        "team_id": "T0TEST",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "D0ALICE",
            "user": "U0ALICE",
            "text": "42",
            "ts": "1.1",
        },
    }
)
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "case",
    [
        {"signature": "v0=" + "0" * 64},  # bad
        {"signature": ""},  # missing
        {"age": 301},  # stale: correctly signed, but over 300 s old
        {"age": -330},  # from the future, with a margin: on a loaded box the request can take a second to arrive
    ],
    ids=["bad", "missing", "stale", "future"],
)
@pytest.mark.parametrize("body,ctype", [(COMMAND, FORM), (EVENT, "application/json")], ids=["command", "event"])
async def test_unsigned_requests_get_401_and_no_side_effect(bot, case, body, ctype):
    if "age" in case:  # computed now, not at collection, so the test can't drift into the window
        case = {"timestamp": int(time.time()) - case["age"]}
    resp = await bot.req.raw(body, ctype, **case)
    assert resp.status == 401
    assert bot.fake.calls == []  # nothing was sent to Slack on anyone's behalf
    async with bot.db.transaction() as s:
        assert (await s.exec(select(InboxItem))).all() == []  # nothing was kept to be worked on


async def test_a_correct_signature_is_accepted(bot):
    resp = await bot.req.raw(EVENT, "application/json")
    assert resp.status == 200
    async with bot.db.transaction() as s:
        assert [e.key for e in (await s.exec(select(InboxItem))).all()] == ["event:EvFORGED"]
