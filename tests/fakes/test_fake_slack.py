"""Behaviour of FakeSlack as seen through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return {**block, "block_id": block_id} if block_id else block


def modal(title: str = "Check-in", blocks: list | None = None, **extra) -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks or [section("hi")],
        **extra,
    }


async def test_records_calls_and_parsed_args(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    await fake_slack_client.chat_postMessage(channel="C0GROWTH", text="hello", blocks=[section("*hi*")])
    # Form-encoded call with JSON-string blocks, as older code paths send it: args are decoded all the same.
    await fake_slack_client.api_call(
        "chat.postMessage", data={"channel": "C0GROWTH", "text": "x", "blocks": '[{"type": "divider"}]'}
    )
    first, second = fake_slack.calls_to("chat.postMessage")
    assert first.args == {"channel": "C0GROWTH", "text": "hello", "blocks": [section("*hi*")]}
    assert second.args["blocks"] == [{"type": "divider"}]
    assert first.status == 200 and first.ok and first.response["channel"] == "C0GROWTH"
    assert "token" not in first.args
    fake_slack.reset_calls()
    assert fake_slack.calls == []


async def test_wrong_or_missing_token_is_invalid_auth(fake_slack: FakeSlack):
    fake_slack.revoked.add("xoxb-revoked")
    for token, error in (("xoxb-wrong", "invalid_auth"), (None, "not_authed"), ("xoxb-revoked", "token_revoked")):
        with pytest.raises(SlackApiError) as err:
            await AsyncWebClient(token=token, base_url=fake_slack.base_url).auth_test()
        assert err.value.response["error"] == error


async def test_apps_connections_open_takes_only_the_app_token(fake_slack: FakeSlack):
    client = AsyncWebClient(base_url=fake_slack.base_url)
    opened = await client.apps_connections_open(app_token=fake_slack.app_token)
    assert opened["url"].startswith("wss://")
    for token in ("xapp-wrong", fake_slack.token):  # a bot token is not an app-level token
        with pytest.raises(SlackApiError) as err:
            await client.apps_connections_open(app_token=token)
        assert err.value.response["error"] == "invalid_auth"


async def test_auth_test_and_unknown_method(fake_slack_client: AsyncWebClient):
    auth = await fake_slack_client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("U0BOT", "B0BOT", "T0TEST")
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.api_call("okr.doesNotExist")
    assert err.value.response["error"] == "unknown_method"


async def test_dm_channels_are_stable_and_ts_increase(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    first = await fake_slack_client.chat_postMessage(channel="U0ALICE", text="one")
    second = await fake_slack_client.chat_postMessage(channel="U0ALICE", text="two", thread_ts=first["ts"])
    opened = await fake_slack_client.conversations_open(users="U0ALICE")
    dm = fake_slack.dm_channel("U0ALICE")
    assert dm.startswith("D") and first["channel"] == second["channel"] == opened["channel"]["id"] == dm
    assert float(second["ts"]) > float(first["ts"]) and first["ts"] == "1700000000.000100"
    assert [m.text for m in fake_slack.messages(channel=dm)] == ["one", "two"]
    assert [m.text for m in fake_slack.messages(thread_ts=first["ts"])] == ["two"]
    assert fake_slack.messages("U0ALICE") == fake_slack.messages(dm)
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.chat_postMessage(channel="#general", text="nope")
    assert err.value.response["error"] == "channel_not_found"


async def test_update_delete_ephemeral_permalink(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    posted = await fake_slack_client.chat_postMessage(channel="C0GROWTH", text="draft")
    await fake_slack_client.chat_update(channel="C0GROWTH", ts=posted["ts"], text="final", blocks=[section("final")])
    (msg,) = fake_slack.messages("C0GROWTH")
    assert (msg.text, msg.blocks, msg.original["text"]) == ("final", [section("final")], "draft")
    assert msg.edits == [{"text": "final", "blocks": [section("final")], "attachments": None}]
    link = await fake_slack_client.chat_getPermalink(channel="C0GROWTH", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/C0GROWTH/p1700000000000100")
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.chat_update(channel="C0GROWTH", ts="1.000000", text="x")
    assert err.value.response["error"] == "message_not_found"

    eph = await fake_slack_client.chat_postEphemeral(channel="C0GROWTH", user="U0ALICE", text="psst")
    assert [m.ts for m in fake_slack.ephemeral_messages(user="U0ALICE")] == [eph["message_ts"]]
    assert len(fake_slack.messages("C0GROWTH")) == 1  # ephemerals are kept apart

    await fake_slack_client.chat_delete(channel="C0GROWTH", ts=posted["ts"])
    assert fake_slack.messages("C0GROWTH") == [] and fake_slack.messages("C0GROWTH", include_deleted=True)


async def test_users_info_and_paginated_list(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    fake_slack.add_user("U0ALICE", name="alice", real_name="Alice A", tz="Europe/Berlin")
    fake_slack.add_user("U0BOB", name="bob", tz="America/New_York")
    fake_slack.add_user("U0CAROL", name="carol", tz="Asia/Kolkata", deleted=True)
    info = await fake_slack_client.users_info(user="U0ALICE")
    assert info["user"]["real_name"] == "Alice A" and info["user"]["profile"]["display_name"] == "alice"
    assert info["user"]["tz_offset"] in (3600, 7200)
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"

    seen, cursor, pages = [], None, 0
    while True:
        page = await fake_slack_client.users_list(limit=2, cursor=cursor)
        seen += [(m["id"], m["tz_offset"]) for m in page["members"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 2 and [s[0] for s in seen] == ["U0ALICE", "U0BOB", "U0CAROL"]
    assert dict(seen)["U0CAROL"] == 19800


async def test_views_trigger_single_use_update_push_publish(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    trigger = fake_slack.issue_trigger_id()
    opened = await fake_slack_client.views_open(trigger_id=trigger, view=modal(callback_id="checkin"))
    view = opened["view"]
    assert view["id"].startswith("V") and view["hash"] and fake_slack.open_views[0]["callback_id"] == "checkin"
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.views_open(trigger_id=trigger, view=modal())
    assert err.value.response["error"] == "invalid_trigger_id"

    updated = await fake_slack_client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Step 2"))
    assert updated["view"]["title"]["text"] == "Step 2" and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    assert err.value.response["error"] == "hash_conflict"
    pushed = await fake_slack_client.views_push(trigger_id=fake_slack.issue_trigger_id(), view=modal("More"))
    assert pushed["view"]["root_view_id"] == view["id"] and len(fake_slack.open_views) == 2

    home = {"type": "home", "blocks": [section("Your OKRs")]}
    await fake_slack_client.views_publish(user_id="U0ALICE", view=home)
    assert fake_slack.home_view("U0ALICE")["blocks"] == home["blocks"] and fake_slack.home_view("U0BOB") is None


async def test_response_url_recorded_and_limited_to_five_posts(fake_slack: FakeSlack):
    posted = await AsyncWebClient(token="xoxb-test", base_url=fake_slack.base_url).chat_postMessage(
        channel="C0GROWTH", text="question"
    )
    url = fake_slack.response_url(channel="C0GROWTH", ts=posted["ts"], user="U0ALICE")
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(6):
            async with http.post(url, json={"replace_original": True, "text": f"answer {i}"}) as resp:
                statuses.append((resp.status, await resp.text()))
    assert [s for s, _ in statuses] == [200] * 5 + [404] and statuses[-1][1] == "used_url"
    calls = fake_slack.calls_to("response_url")
    assert len(calls) == 6 and calls[0].args == {"replace_original": True, "text": "answer 0"} and calls[0].url == url
    (msg,) = fake_slack.messages("C0GROWTH")
    assert msg.text == "answer 4" and len(msg.edits) == 5


# ---- Block Kit validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param([{"type": "fancy_widget"}], id="unknown-type"),
        pytest.param([section(f"s{i}") for i in range(51)], id="51-blocks"),
        pytest.param([section("x" * 3001)], id="section-text-3001"),
        pytest.param([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], id="header-151"),
        pytest.param([section("a", "same"), section("b", "same")], id="duplicate-block-id"),
        pytest.param([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}], id="unknown-key"),
    ],
)
async def test_message_blocks_rejected(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient, blocks):
    for send in (
        lambda: fake_slack_client.chat_postMessage(channel="C0GROWTH", text="t", blocks=blocks),
        lambda: fake_slack_client.chat_postEphemeral(channel="C0GROWTH", user="U0ALICE", text="t", blocks=blocks),
    ):
        with pytest.raises(SlackApiError) as err:
            await send()
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "invalid_blocks" and err.value.response["errors"]
    assert fake_slack.messages() == [] and fake_slack.ephemeral_messages() == []


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(modal("A title that is far too long"), id="modal-title-25+"),
        pytest.param(modal(private_metadata="m" * 3001), id="private-metadata-3001"),
        pytest.param(modal(callback_id="c" * 256), id="callback-id-256"),
        pytest.param(modal(blocks=[{"type": "nope"}]), id="unknown-block"),
    ],
)
async def test_modal_rejected(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient, view):
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.views_open(trigger_id=fake_slack.issue_trigger_id(), view=view)
    assert err.value.response["error"] == "invalid_blocks"
    assert fake_slack.open_views == []


async def test_home_view_limit_and_valid_blocks_accepted(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    with pytest.raises(SlackApiError) as err:
        await fake_slack_client.views_publish(user_id="U0A", view={"type": "home", "blocks": [section("x")] * 101})
    assert err.value.response["error"] == "invalid_blocks" and fake_slack.home_view("U0A") is None
    await fake_slack_client.views_publish(user_id="U0A", view={"type": "home", "blocks": [section("x")] * 100})
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("x" * 3000, "s1"),
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
    ] + [{"type": "divider"}] * 46
    await fake_slack_client.chat_postMessage(channel="C0GROWTH", text="fallback", blocks=blocks)
    await fake_slack_client.views_open(trigger_id=fake_slack.issue_trigger_id(), view=modal("t" * 24))
    fake_slack.assert_no_warnings()


async def test_missing_text_fallback_is_a_warning(fake_slack: FakeSlack, fake_slack_client: AsyncWebClient):
    with pytest.warns(UserWarning):  # slack_sdk itself warns client-side too
        resp = await fake_slack_client.chat_postMessage(channel="C0GROWTH", blocks=[section("no fallback")])
    assert resp["ok"] and resp["response_metadata"]["warnings"] == ["missing_text_fallback"]
    assert fake_slack.calls[-1].warnings == ["missing_text_fallback"]
    with pytest.raises(AssertionError, match="missing_text_fallback"):
        fake_slack.assert_no_warnings()
    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning):
        await fake_slack_client.chat_postMessage(channel="C0GROWTH", text="")
    assert err.value.response["error"] == "no_text"


async def test_latency_holds_the_answer_after_the_call_is_carried_out(
    fake_slack: FakeSlack, fake_slack_client: AsyncWebClient
):
    fake_slack.latency = 1.0  # benchmarks: Slack's round trip; the call counts on arrival, the answer waits
    answer = asyncio.create_task(fake_slack_client.chat_postMessage(channel="C0GROWTH", text="hello"))
    while not fake_slack.calls_to("chat.postMessage"):
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.3)
    assert not answer.done() and fake_slack.messages("C0GROWTH")[0].text == "hello"
    assert (await answer)["ok"]
    assert FakeSlack().latency == 0  # off unless asked for: every existing test is unchanged
