"""SlackRequests against a real Bolt AsyncApp served by aiohttp, with FakeSlack as its Web API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.signing import SlackRequests, sign
from tests.fakes.slack_api import FakeSlack

SECRET = "test-secret"


async def eventually(condition: Callable[[], object], timeout: float = 3.0) -> None:
    """Bolt acks first and runs the rest of a listener afterwards, so side effects land a moment later."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest_asyncio.fixture
async def bolt(fake_slack: FakeSlack) -> AsyncIterator[tuple[SlackRequests, dict]]:
    seen: dict[str, object] = {}
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=fake_slack.token, base_url=fake_slack.base_url))

    @app.command("/okr")
    async def okr(ack, command, respond, client):
        await ack()
        seen["command"] = command
        await client.views_open(trigger_id=command["trigger_id"], view=modal_view())
        await respond(text=f"you said {command['text']}")

    @app.action("approve")
    async def approve(ack, body, client):
        await ack()
        seen["action"] = body
        await client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="approved")

    @app.view("checkin")
    async def checkin(ack, view):
        await ack()
        seen["view"] = view

    @app.event("message")
    async def on_dm(event, say):
        seen["event"] = event
        await say(text=f"echo: {event['text']}")

    runner = web.AppRunner(app.web_app(), shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield SlackRequests(f"http://127.0.0.1:{port}", SECRET, fake=fake_slack), seen
    finally:
        await runner.cleanup()


def modal_view() -> dict:
    block = {
        "type": "input",
        "block_id": "progress",
        "label": {"type": "plain_text", "text": "Progress"},
        "element": {"type": "plain_text_input", "action_id": "value"},
    }
    return {
        "type": "modal",
        "callback_id": "checkin",
        "title": {"type": "plain_text", "text": "Check-in"},
        "submit": {"type": "plain_text", "text": "Save"},
        "private_metadata": "kr-7",
        "blocks": [block],
    }


def test_sign_matches_slack_sdk_verifier():
    body, ts = "token=x&text=hi", str(int(time.time()))
    signature = sign(SECRET, ts, body)
    assert signature.startswith("v0=") and len(signature) == 67
    assert SignatureVerifier(SECRET).is_valid(body=body, timestamp=ts, signature=signature)
    assert sign(SECRET, ts, body.encode()) == signature


async def test_command_opens_modal_and_responds(bolt, fake_slack: FakeSlack):
    req, seen = bolt
    resp = await req.command("/okr", text="mine", user_id="U0ALICE", channel_id="C0GROWTH")
    assert resp.status == 200
    await eventually(lambda: fake_slack.calls_to("response_url"))
    command = seen["command"]
    assert (command["text"], command["user_id"], command["channel_id"]) == ("mine", "U0ALICE", "C0GROWTH")
    assert command["team_id"] == "T0TEST" and command["response_url"].startswith(fake_slack.url)
    assert fake_slack.open_views[0]["callback_id"] == "checkin"
    assert fake_slack.calls_to("response_url")[0].args["text"] == "you said mine"
    assert [m.text for m in fake_slack.ephemeral_messages(user="U0ALICE")] == ["you said mine"]


async def test_block_action_on_a_message(bolt, fake_slack: FakeSlack):
    req, seen = bolt
    web_client = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.base_url)
    await web_client.chat_postMessage(channel="U0ALICE", text="Approve KR?")
    (msg,) = fake_slack.messages("U0ALICE")
    resp = await req.block_action("U0ALICE", "approve", "kr-7", block_id="kr", message=msg)
    assert resp.status == 200
    await eventually(lambda: msg.edits)
    body = seen["action"]
    assert body["type"] == "block_actions" and body["user"]["id"] == "U0ALICE"
    assert body["actions"][0] | {"action_ts": None} == {
        "action_id": "approve",
        "block_id": "kr",
        "value": "kr-7",
        "type": "button",
        "action_ts": None,
        "text": {"type": "plain_text", "text": "approve"},
    }
    assert body["container"]["message_ts"] == msg.ts and body["channel"]["id"] == msg.channel
    assert msg.text == "approved"


async def test_view_submission_uses_the_opened_modal(bolt, fake_slack: FakeSlack):
    req, seen = bolt
    await req.command("/okr", text="mine", user_id="U0ALICE")
    await eventually(lambda: fake_slack.open_views)
    resp = await req.view_submission("U0ALICE", "checkin", {"progress": {"value": "60%"}})
    assert resp.status == 200 and resp.body == ""  # Bolt's ack() without response_action: empty 200
    view = seen["view"]
    assert view["id"] == fake_slack.open_views[0]["id"] and view["private_metadata"] == "kr-7"
    assert view["state"]["values"] == {"progress": {"value": {"type": "plain_text_input", "value": "60%"}}}


async def test_dm_event_gets_echo_in_same_dm(bolt, fake_slack: FakeSlack):
    req, seen = bolt
    resp = await req.message_im("U0ALICE", "progress 50%")
    assert resp.status == 200
    await eventually(lambda: fake_slack.messages("U0ALICE"))
    assert seen["event"]["channel_type"] == "im" and seen["event"]["channel"] == fake_slack.dm_channel("U0ALICE")
    assert [m.text for m in fake_slack.messages("U0ALICE")] == ["echo: progress 50%"]
    retried = await req.event(
        {"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C1", "ts": "1.2"}, retry_num=1
    )
    assert retried.status in (200, 404)  # signature accepted; no app_mention listener is fine


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"signature": "v0=" + "0" * 64}, id="bad-signature"),
        pytest.param({"signature": ""}, id="missing-signature"),
        pytest.param({"headers": {"X-Slack-Request-Timestamp": None}}, id="missing-timestamp"),
        pytest.param({"timestamp": int(time.time()) - 301}, id="stale-timestamp"),
    ],
)
async def test_bad_signatures_are_rejected(bolt, fake_slack: FakeSlack, case):
    req, seen = bolt
    body = urlencode({"command": "/okr", "text": "mine", "user_id": "U0ALICE", "team_id": "T0TEST"})
    resp = await req.raw(body, "application/x-www-form-urlencoded", **case)
    assert resp.status == 401 and "command" not in seen
    ok = await req.raw(json.dumps({"type": "url_verification", "challenge": "c"}), "application/json")
    assert ok.status == 200 and ok.body == {"challenge": "c"}
