"""Item 9: mrkdwn injection. Hostile text in every user-controlled field never reaches Slack unescaped."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.reliability.helpers import string_leaves
from tests.scenario.seed import MONDAY_10_BERLIN, at, okr_data, seed

EVIL = "<!channel> <!here> <@U0ALICE> <https://evil.example|your bank> & <#C0GROWTH>"
FORBIDDEN = ["<!channel>", "<!here>", "<@U0ALICE>", "<https://evil", "<#C0GROWTH>"]
TEAM = "<!here> <#C0GROWTH> & <!channel>"  # team names are at most 80 characters
FRIDAY_DUE = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)  # Friday 16:00 Berlin


def hostile_org() -> dict:
    data = okr_data(
        team={"name": TEAM, "channel": "C0GROWTH", "digest": {"day": "friday", "time": "16:00"}},
        extra_krs=[{"title": f"KR {EVIL}", "owner": "U0ALICE", "start": 0, "target": 10}],
    )
    data["objectives"][0].update(title=f"Objective {EVIL}", team=TEAM)
    bob = next(p for p in data["people"] if p["id"] == "U0BOB")
    bob["name"] = f"Bob {EVIL}"
    bob["tz"] = "Europe/Berlin"
    return data


def mrkdwn_leaves(node, out: list[str] | None = None) -> list[str]:
    """String leaves Slack may parse as mrkdwn: all of them except inside plain_text objects."""
    out = [] if out is None else out
    if isinstance(node, dict) and node.get("type") != "plain_text":
        for value in node.values():
            mrkdwn_leaves(value, out)
    elif isinstance(node, list):
        for value in node:
            mrkdwn_leaves(value, out)
    elif isinstance(node, str):
        out.append(node)
    return out


def assert_escaped(calls) -> None:
    """The one scan: every string Slack receives (text, blocks, views, response_url posts)."""
    for call in calls:
        for leaf in mrkdwn_leaves(call.args):
            hits = [f for f in FORBIDDEN if f in leaf]
            assert not hits, (call.method, hits, leaf[:300])


async def _prompt(bot):
    await bot.tick(MONDAY_10_BERLIN)


async def _reply(bot):
    await bot.tick(MONDAY_10_BERLIN)
    prompt = bot.dm("U0ALICE")[0]
    bot.svc.clock = at(MONDAY_10_BERLIN + timedelta(hours=1))
    await bot.req.message_im("U0ALICE", f"1: 42 at risk, {EVIL}, blocked by {EVIL}", thread_ts=prompt.ts)
    await bot.req.message_im("U0ALICE", f"what is {EVIL}", thread_ts=prompt.ts)  # not understood: echoed back


async def _digests(bot):
    await _reply(bot)
    await bot.req.command("/okr", f"note <@U0BOB|bob> {EVIL}", user_id="U0MANAGER")
    await bot.tick(FRIDAY_DUE)


async def _home(bot):
    await _reply(bot)
    for user in ("U0ALICE", "U0MANAGER", "U0ADMIN"):
        await bot.req.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})


async def _commands(bot):
    await _reply(bot)
    await bot.req.command("/okr", f"note <@U0BOB|bob> {EVIL}", user_id="U0MANAGER")
    for user, text in [
        ("U0ALICE", "mine"),
        ("U0ALICE", "team"),
        ("U0ALICE", "<@U0BOB|bob>"),
        ("U0ALICE", "at-risk"),
        ("U0MANAGER", "digest"),
        ("U0MANAGER", "notes <@U0BOB|bob>"),
        ("U0ALICE", f"team {EVIL}"),  # unknown team: the refusal repeats nothing unescaped
        ("U0ALICE", f"{EVIL}"),  # unknown subcommand
    ]:
        assert (await bot.req.command("/okr", text, user_id=user)).status == 200, text


SURFACES = {"prompt": _prompt, "reply": _reply, "digests": _digests, "home": _home, "commands": _commands}


@pytest.mark.parametrize("surface", list(SURFACES))
async def test_hostile_text_is_escaped_everywhere(bot, surface):
    await seed(bot, hostile_org())
    bot.fake.add_user("U0ADMIN", name="Ada")
    await SURFACES[surface](bot)
    assert bot.fake.calls_to("chat.postMessage") or bot.fake.calls_to("views.publish")
    assert_escaped(bot.fake.calls)
    shown = "\n".join(string_leaves([c.args for c in bot.fake.calls]))
    assert "&lt;!channel&gt;" in shown  # the text was shown, escaped, not dropped
    bot.fake.assert_no_warnings()
