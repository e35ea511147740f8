"""slack_sdk formats every request (body included) into a debug string unless its logger's own level says not to.

The client checks `logger.level <= DEBUG` on the logger itself, so a logger left at NOTSET pays for the string
on every call even though logging then drops the line (issue 15: measurable in a fan-out). The counting string
below is rendered with repr() only when slack_sdk builds that debug line: JSON encoding never calls repr().
"""

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import SDK_CLIENT_LOGGERS, setup_logging
from bot.slack.client import build_client, close_session, share_session
from tests.fakes.slack_api import FakeSlack


class CountingText(str):
    shown = 0

    def __repr__(self) -> str:
        CountingText.shown += 1
        return super().__repr__()


async def _post(client: AsyncWebClient) -> int:
    CountingText.shown = 0
    share_session(client)
    try:
        resp = await client.api_call("chat.postMessage", json={"channel": "C0GROWTH", "text": CountingText("hi")})
    finally:
        await close_session(client)
    assert resp["ok"] is True
    return CountingText.shown


async def test_okrbots_client_builds_no_debug_string_per_call(fake_slack: FakeSlack):
    bare = AsyncWebClient(token=fake_slack.token, base_url=fake_slack.base_url, logger=logging.getLogger("bare.sdk"))
    assert await _post(bare) > 0  # the cost this guards against: a NOTSET logger formats the payload
    assert await _post(build_client(fake_slack.token, fake_slack.base_url)) == 0
    assert [c.args["text"] for c in fake_slack.calls_to("chat.postMessage")] == ["hi", "hi"]


def test_debug_logging_still_never_prints_slack_payloads():
    setup_logging("DEBUG")
    try:
        for name in SDK_CLIENT_LOGGERS:
            assert logging.getLogger(name).level >= logging.INFO
    finally:
        setup_logging("INFO")
