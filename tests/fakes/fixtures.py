"""Pytest fixtures for the fake Slack; import them into a conftest: ``from tests.fakes.fixtures import *``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from slack_sdk.web.async_client import AsyncWebClient

from .slack_api import FakeSlack

__all__ = ["fake_slack", "fake_slack_client"]


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A started FakeSlack on a free port; stopped (and all hung handlers released) after the test."""
    async with FakeSlack() as fake:
        yield fake


@pytest_asyncio.fixture
async def fake_slack_client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    """The real AsyncWebClient pointed at ``fake_slack``, with no retry handlers (tests add their own)."""
    yield AsyncWebClient(token=fake_slack.token, base_url=fake_slack.base_url, retry_handlers=[])
