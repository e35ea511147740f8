"""Text commands on Teams: okr mine, team, at-risk, next, help in the 1:1 chat and after an @mention in a channel."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn
from teams_in.catalogue import COMMANDS
from tests.teams.activities import BOB_CHAT, CHANNEL, CHAT, channel_message, install, message, post
from tests.teams.test_teams_checkin import MONDAY_10_BERLIN, OKRS, card_texts

MID_FEBRUARY = datetime(2027, 2, 15, 12, 0, tzinfo=UTC)  # six weeks in: Activation rate, still at 30%, is behind


async def _ask(bot, text: str, where: str = CHAT, **kw) -> str:
    before = len(bot.connector.sent(where))
    activity = channel_message(bot.connector, text, **kw) if where == CHANNEL else message(bot.connector, text, **kw)
    assert await post(bot, activity) == 200
    (answer,) = bot.connector.sent(where)[before:]
    return card_texts(answer)


async def _ready(bot, at: datetime = MONDAY_10_BERLIN) -> None:
    await import_okrs(bot.svc, OKRS, dry_run=False)
    await post(bot, install(bot.connector))
    bot.svc.clock = lambda: at


async def test_okr_mine_lists_my_key_results(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr mine")
    assert "Your key results (2027-Q1)" in text and "Activation rate: 30% of 45% (0%)" in text


async def test_okr_team_shows_the_named_team_and_says_when_there_is_none(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "OKR team growth")
    assert "Growth (2027-Q1)" in text and "Make onboarding effortless: 0%" in text and "Activation rate" in text
    assert "Sales" in await _ask(teams_bot, "okr team Sales")  # the service's own NotFound, sent as words


async def test_okr_at_risk_lists_krs_behind_pace(teams_bot):
    await _ready(teams_bot, MID_FEBRUARY)
    text = await _ask(teams_bot, "okr at-risk")
    assert "At-risk key results: all teams" in text and "Activation rate" in text
    assert "At-risk key results: Growth" in await _ask(teams_bot, "okr risk Growth")  # an alias, with a team


async def test_okr_next_says_when_in_my_zone(teams_bot):
    await _ready(teams_bot)
    text = await _ask(teams_bot, "okr next")
    assert text.startswith("📅 Your next check-in: Monday 18 Jan at 10:00 (Europe/Berlin)")
    assert "• Activation rate" in text


async def test_okr_help_and_unknown_words_list_every_command(teams_bot):
    await _ready(teams_bot)
    help_text = await _ask(teams_bot, "okr help")
    assert all(f"{c.usage}: {c.summary}" in help_text for c in COMMANDS)
    unknown = await _ask(teams_bot, "okr mnie")
    assert "I don't know okr mnie. Did you mean okr mine?" in unknown and "okr team NAME" in unknown
    assert "I don't know okr banana." in await _ask(teams_bot, "okr banana")
    assert "okr next" in await _ask(teams_bot, "okr")


async def test_a_command_after_a_prompt_is_not_read_as_a_checkin(teams_bot):
    await _ready(teams_bot)
    await teams_bot.tick(MONDAY_10_BERLIN)
    assert "Your key results" in await _ask(teams_bot, "okr mine")
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(CheckIn))).all() == []


async def test_in_a_channel_okrbot_answers_when_mentioned_with_or_without_okr(teams_bot):
    await _ready(teams_bot)
    assert "Your key results" in await _ask(teams_bot, "okr mine", where=CHANNEL)
    assert "Growth (2027-Q1)" in await _ask(teams_bot, "team Growth", where=CHANNEL)
    assert "I don't know okr 42." in await _ask(teams_bot, "42 on track", where=CHANNEL)  # no check-ins here
    assert await post(teams_bot, channel_message(teams_bot.connector, "okr mine", mention=False)) == 200
    assert len(teams_bot.connector.sent(CHANNEL)) == 3  # not mentioned: not for okrbot
    async with teams_bot.db.transaction() as s:
        assert (await s.exec(select(CheckIn))).all() == []


async def test_a_message_that_is_no_command_and_no_reply_points_to_help(teams_bot):
    await _ready(teams_bot)
    assert "Write okr help for the commands." in await _ask(teams_bot, "hello there")


async def test_errors_are_plain_words_with_teams_commands(teams_bot):
    await _ready(teams_bot)
    await post(teams_bot, install(teams_bot.connector, who="bob"))  # Bob is in no team
    before = len(teams_bot.connector.sent(BOB_CHAT))
    assert await post(teams_bot, message(teams_bot.connector, "okr team", who="bob")) == 200
    (answer,) = teams_bot.connector.sent(BOB_CHAT)[before:]
    assert answer.body["text"] == "You're not in a team. Try okr team <name>. Teams: Growth."
    assert answer.body["textFormat"] == "plain"  # a team name or typed words are never read as Markdown
