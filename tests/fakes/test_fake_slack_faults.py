"""Injected faults and rate limits, observed through the real AsyncWebClient and its retry handlers."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack

FAST = FixedValueRetryIntervalCalculator(0.05)


def client(fake: FakeSlack, *handlers, timeout: int = 30) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=list(handlers), timeout=timeout)


async def test_429_retried_once_by_rate_limit_handler(fake_slack: FakeSlack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    web = client(fake_slack, AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    await web.chat_postMessage(channel="C0GROWTH", text="hello")
    attempts = fake_slack.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert len(fake_slack.messages("C0GROWTH")) == 1


async def test_429_without_handler_raises_with_retry_after(fake_slack: FakeSlack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client(fake_slack).chat_postMessage(channel="C0GROWTH", text="hello")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert fake_slack.messages() == [] and len(fake_slack.calls) == 1


async def test_500_retried_by_server_error_handler(fake_slack: FakeSlack):
    fake_slack.fail_next("chat.postMessage", status=500)
    handler = AsyncServerErrorRetryHandler(max_retry_count=1, interval_calculator=FAST)
    await client(fake_slack, handler).chat_postMessage(channel="C0GROWTH", text="hello")
    assert [c.status for c in fake_slack.calls] == [500, 200] and len(fake_slack.messages()) == 1

    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    with pytest.raises(SlackApiError) as err:
        await client(fake_slack).chat_postMessage(channel="C0GROWTH", text="again")
    assert err.value.response.status_code == 500 and "Retry-After" not in err.value.response.headers


async def test_dropped_connection_retried_by_connection_handler(fake_slack: FakeSlack):
    fake_slack.drop_next("chat.postMessage")
    handler = AsyncConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=FAST)
    await client(fake_slack, handler).chat_postMessage(channel="C0GROWTH", text="hello")
    assert [c.status for c in fake_slack.calls] == [0, 200] and len(fake_slack.messages()) == 1

    fake_slack.drop_next("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client(fake_slack).chat_postMessage(channel="C0GROWTH", text="lost")
    assert len(fake_slack.messages()) == 1


async def test_hang_times_out_client_but_side_effect_happens(fake_slack: FakeSlack):
    fake_slack.hang_next("chat.postMessage", seconds=1.5)
    with pytest.raises(asyncio.TimeoutError):
        await client(fake_slack, timeout=1).chat_postMessage(channel="C0GROWTH", text="slow")
    for _ in range(40):  # the server finishes the call after the client gave up, as Slack may
        if fake_slack.messages():
            break
        await asyncio.sleep(0.05)
    assert [m.text for m in fake_slack.messages()] == ["slow"]


async def test_hung_call_does_not_block_stop():
    fake = await FakeSlack().start()
    fake.hang_next("auth.test", seconds=60)
    task = asyncio.create_task(client(fake).auth_test())
    await asyncio.sleep(0.1)
    await asyncio.wait_for(fake.stop(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_per_channel_limit(fake_slack: FakeSlack):
    fake_slack.enforce_limits(per_channel_per_sec=1.0)
    web = client(fake_slack)
    await web.chat_postMessage(channel="C0GROWTH", text="1")
    with pytest.raises(SlackApiError) as err:
        await web.chat_postMessage(channel="C0GROWTH", text="2")
    assert err.value.response.status_code == 429 and err.value.response.headers["Retry-After"] == "1"
    await web.chat_postMessage(channel="C0OTHER", text="other channel is independent")
    await web.chat_update(channel="C0GROWTH", ts=fake_slack.messages("C0GROWTH")[0].ts, text="updates not limited")
    assert fake_slack.rate_limited_count == 1
    # With the rate-limit handler the client waits Retry-After and gets through.
    await client(fake_slack, AsyncRateLimitErrorRetryHandler(max_retry_count=2)).chat_postMessage(
        channel="C0GROWTH", text="3"
    )
    assert [m.text for m in fake_slack.messages("C0GROWTH")] == ["updates not limited", "3"]


async def test_workspace_and_conversations_open_limits(fake_slack: FakeSlack):
    fake_slack.enforce_limits(per_channel_per_sec=None, workspace_per_sec=100, conversations_open_per_min=2)
    web = client(fake_slack)
    await web.conversations_open(users="U0A")
    await web.conversations_open(users="U0B")
    with pytest.raises(SlackApiError) as err:
        await web.conversations_open(users="U0C")
    # Two per minute: the next token arrives ~30 s after the first call.
    assert 29 <= int(err.value.response.headers["Retry-After"]) <= 30

    fake_slack.enforce_limits(per_channel_per_sec=None, workspace_per_sec=2)
    await web.auth_test()
    await web.auth_test()
    with pytest.raises(SlackApiError) as err:
        await web.chat_postMessage(channel="C0GROWTH", text="x")
    assert err.value.response.headers["Retry-After"] == "1"
    assert fake_slack.rate_limited_count == 2 and [c.status for c in fake_slack.calls].count(429) == 2


def test_limits_reject_non_positive_rates():
    with pytest.raises(ValueError):
        FakeSlack().enforce_limits(per_channel_per_sec=0)


async def test_fault_on_response_url(fake_slack: FakeSlack):
    url = fake_slack.response_url()
    fake_slack.fail_next("response_url", status=500)
    async with aiohttp.ClientSession() as http:
        for expected in (500, 200):
            async with http.post(url, json={"text": "hi"}) as resp:
                assert resp.status == expected
    assert [c.status for c in fake_slack.calls_to("response_url")] == [500, 200]
