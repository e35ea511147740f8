"""429s through the real AsyncWebClient built by bot.slack.client.build_client, against the fake Slack.

A Retry-After over MAX_RETRY_AFTER fails at once (no sleep, no retry) with the 429 and its Retry-After for the
caller; a short one is honoured; a paced chat.postMessage retries through its pacer's slot, via the unchanged
sender. `wait_for` only turns a would-be hour-long sleep of the old code into a failure instead of a hang.
"""

import asyncio

import pytest
from slack_sdk.errors import SlackApiError

from bot.okr.messages import Notice
from bot.services.kernel.ports import DeliveryFailed
from bot.slack.client import MAX_RETRY_AFTER, build_client, close_session, retry_after, share_session
from bot.slack.pacer import Pacer
from bot.slack.sender import SlackNotifier
from tests.fakes.slack_api import FakeSlack

GUARD = 30  # seconds; far under the 3,600 s the old client slept, far over what these calls need


async def test_huge_retry_after_fails_fast_with_the_429_for_the_caller(fake_slack: FakeSlack):
    client = build_client(fake_slack.token, fake_slack.base_url)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3600)
    with pytest.raises(SlackApiError) as err:
        await asyncio.wait_for(client.chat_postMessage(channel="C0GROWTH", text="hi"), GUARD)
    assert err.value.response.status_code == 429
    assert retry_after(err.value) == 3600 > MAX_RETRY_AFTER
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429]  # not retried
    assert fake_slack.messages("C0GROWTH") == []


async def test_retry_after_at_the_cap_is_still_honoured(fake_slack: FakeSlack):
    client = build_client(fake_slack.token, fake_slack.base_url)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    resp = await asyncio.wait_for(client.chat_postMessage(channel="C0GROWTH", text="hi"), GUARD)
    assert resp["ok"]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    assert [m.text for m in fake_slack.messages("C0GROWTH")] == ["hi"]


async def test_unpaced_methods_are_capped_too(fake_slack: FakeSlack):
    client = build_client(fake_slack.token, fake_slack.base_url)
    fake_slack.fail_next("users.list", status=429, retry_after=MAX_RETRY_AFTER + 1)
    with pytest.raises(SlackApiError) as err:
        await asyncio.wait_for(client.users_list(), GUARD)
    assert retry_after(err.value) == MAX_RETRY_AFTER + 1
    assert len(fake_slack.calls_to("users.list")) == 1


async def test_paced_retry_waits_for_a_pacer_slot(fake_slack: FakeSlack):
    client = build_client(fake_slack.token, fake_slack.base_url)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    pacer = Pacer(10, sleep=sleep)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    await pacer.acquire("C0GROWTH")
    await asyncio.wait_for(client.chat_postMessage(channel="C0GROWTH", text="hi"), GUARD)
    assert pacer.rate_limited == 1  # the client's retry handler went through the pacer
    assert waits and waits[-1] >= 1  # and waited there for a slot after Retry-After
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]


async def test_the_sender_retries_through_its_pacer_and_gives_up_on_huge_retry_after(fake_slack: FakeSlack):
    notifier = SlackNotifier(build_client(fake_slack.token, fake_slack.base_url), messages_per_second=10)
    try:
        share_session(notifier.client)
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
        delivered = await asyncio.wait_for(notifier.post("U0ALICE", Notice("one")), GUARD)
        assert delivered.ts and notifier.pacer.rate_limited == 1
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=3600)
        with pytest.raises(DeliveryFailed):
            await asyncio.wait_for(notifier.post("U0BOB", Notice("two")), GUARD)
    finally:
        await close_session(notifier.client)
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200, 429]
    assert notifier.pacer.rate_limited == 1  # the capped 429 was not waited for, in the pacer or elsewhere
