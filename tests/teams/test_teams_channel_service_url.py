"""The team digest goes to the service URL Teams gave for the team's channel (the app's install in the team, or an
@mention there), not to the one a member's 1:1 chat came with; before okrbot has heard from the team, the member's
is the documented fallback."""

from datetime import timedelta

from sqlmodel import select

from storage.models import TeamsChannel
from tests.fakes.teams_connector import FakeConnector
from tests.teams.activities import CHANNEL, TENANT, _base, channel_message, post
from tests.teams.test_teams_digests import FRIDAY_16, _setup

TEAM = "19:team"


def team_install(connector) -> dict:
    """installationUpdate in team scope: the app was added to the team (Teams sends it from the General channel)."""
    activity = _base(connector, "installationUpdate", who="bob")
    activity["conversation"] = {"id": TEAM, "conversationType": "channel", "tenantId": TENANT, "isGroup": True}
    activity["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": TEAM, "name": "Growth"}}
    return {**activity, "action": "add"}


async def test_the_digest_goes_to_the_channels_own_service_url(teams_bot):
    await _setup(teams_bot)  # Alice and Bob installed: their 1:1 chats came from teams_bot.connector
    regional = FakeConnector()  # the team's channel is served from another connector endpoint
    await regional.start()
    try:
        assert await post(teams_bot, team_install(regional)) == 200
        assert await post(teams_bot, channel_message(regional, "okr help")) == 200  # an @mention in the channel
        async with teams_bot.db.read() as s:
            rows = {r.conversation_id: r for r in (await s.exec(select(TeamsChannel))).all()}
        assert set(rows) == {TEAM, CHANNEL} and {r.service_url for r in rows.values()} == {regional.base_url}
        assert rows[CHANNEL].tenant_id == TENANT and rows[CHANNEL].team_id == TEAM
        (help_card,) = regional.delivered[CHANNEL]  # the SDK answers an @mention at the activity's own URL
        await teams_bot.tick(FRIDAY_16)
        _help, digest = regional.delivered[CHANNEL]
        assert "Growth digest" in digest["text"]
        assert CHANNEL not in teams_bot.connector.delivered  # not the members' 1:1 service URL
    finally:
        await regional.stop()
    assert not regional.rejected


async def test_before_okrbot_hears_from_the_team_a_members_service_url_is_used(teams_bot):
    await _setup(teams_bot)
    await teams_bot.tick(FRIDAY_16)
    await teams_bot.tick(FRIDAY_16 + timedelta(minutes=1))
    assert len(teams_bot.connector.delivered[CHANNEL]) == 1
