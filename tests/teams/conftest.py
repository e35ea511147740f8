"""A running okrbot with Teams on (unauthenticated, local-test mode) beside the fake Slack, and a fake connector."""

import pytest

from tests.fakes.teams_connector import FakeConnector
from tests.harness import running_bot


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()
    assert not fake.rejected, f"the fake connector refused a card: {fake.rejected[0][1]}"


@pytest.fixture
async def teams_bot(fake_slack, tmp_path, connector):
    # Unpaced, as the Slack stories are: the pacer only adds wall time (test_teams_rate_limits.py covers it).
    overrides = {"TEAMS_ALLOW_UNAUTHENTICATED": "true", "TEAMS_MAX_MESSAGES_PER_SECOND": "0"}
    async with running_bot(fake_slack, tmp_path / "bot.db", **overrides) as harness:
        harness.connector = connector
        yield harness
