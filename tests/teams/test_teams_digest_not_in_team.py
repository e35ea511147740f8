"""Growth's digest channel is in a team okrbot was never added to: the connector answers 403
BotNotInConversationRoster, and Growth's managers are told once per period, in their 1:1 chat, how to add the app
to the team (the Teams side of tests/scenario/test_digest_not_in_channel.py)."""

from datetime import timedelta

from tests.teams.activities import BOB_CHAT, CHANNEL, CHAT
from tests.teams.test_teams_checkin import card_texts
from tests.teams.test_teams_digests import FRIDAY_16, _setup


def notices(bot, chat: str) -> list:
    return [c for c in bot.connector.sent(chat) if "Add to a team" in card_texts(c)]


async def test_managers_are_told_once_per_period_to_add_the_app_to_the_team(teams_bot):
    await _setup(teams_bot)
    teams_bot.connector.bot_not_in.add(CHANNEL)
    report = await teams_bot.tick(FRIDAY_16)
    assert any("failed: teams_403 BotNotInConversationRoster" in line for line in report.lines), report.lines
    assert teams_bot.connector.delivered.get(CHANNEL) is None
    (notice,) = notices(teams_bot, BOB_CHAT)
    text = card_texts(notice)
    assert "couldn't post the Growth digest" in text and "okrbot is not in that team" in text
    assert notice.body["textFormat"] == "plain"
    for minutes in (1, 2, 30):  # later ticks retry the digest, but the managers are not told again
        await teams_bot.tick(FRIDAY_16 + timedelta(minutes=minutes))
    assert len(notices(teams_bot, BOB_CHAT)) == 1
    assert notices(teams_bot, CHAT) == []  # Alice is a member, not a manager

    teams_bot.connector.bot_not_in.clear()  # a manager added the app to the team
    await teams_bot.tick(FRIDAY_16 + timedelta(days=7))
    assert len(teams_bot.connector.delivered[CHANNEL]) == 1
    assert len(notices(teams_bot, BOB_CHAT)) == 1


async def test_a_conversation_the_connector_does_not_know_is_told_the_same_way(teams_bot):
    await _setup(teams_bot)
    teams_bot.connector.fail_next = [(404, {}, {"error": {"code": "ConversationNotFound", "message": "gone"}})]
    await teams_bot.tick(FRIDAY_16)
    assert len(notices(teams_bot, BOB_CHAT)) == 1
