"""Issue 11 item 10: every owner and co-owner is prompted once per period, with all their KRs in one DM, at the
earliest check-in slot among their KRs' teams (docs/checkins.md), and nudged like owners."""

import copy
from datetime import timedelta

from tests.scenario.seed import BASE, MONDAY_10_BERLIN, seed

MONDAY_08_BERLIN = MONDAY_10_BERLIN - timedelta(hours=2)


def two_teams() -> dict:
    """Growth asks Mondays 10:00, Platform Mondays 08:00. Eve co-owns Alice's Growth KR and owns nothing;
    Alice also owns a Platform KR, so her earliest slot is Platform's."""
    data = copy.deepcopy(BASE)
    data["objectives"][0]["key_results"][0]["co_owners"] = ["U0EVE"]
    data["teams"].append(
        {
            "name": "Platform",
            "timezone": "Europe/Berlin",
            "managers": ["U0MANAGER"],
            "members": ["U0EVE"],
            "checkin": {"day": "monday", "time": "08:00", "cadence": "weekly"},
        }
    )
    data["objectives"].append(
        {
            "title": "Ship faster",
            "team": "Platform",
            "key_results": [{"title": "Deploys per week to 20", "owner": "U0ALICE", "start": 2, "target": 20}],
        }
    )
    return data


async def test_a_co_owner_is_prompted_and_nudged(bot):
    await seed(bot, two_teams())
    await bot.tick(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0EVE")
    assert "Activation rate" in prompt.text and "Signups" not in prompt.text
    await bot.tick(MONDAY_10_BERLIN + timedelta(days=1))
    (nudge,) = bot.fake.messages("U0EVE", thread_ts=prompt.ts)
    assert "Activation rate" in nudge.text
    bot.fake.assert_no_warnings()


async def test_a_person_in_several_teams_gets_one_prompt_at_the_earliest_slot(bot):
    await seed(bot, two_teams())
    await bot.tick(MONDAY_08_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    assert "Activation rate" in prompt.text and "Deploys per week" in prompt.text  # both teams' KRs, one DM
    await bot.tick(MONDAY_10_BERLIN)  # Growth's own slot: Alice was asked already this period
    assert len(bot.dm("U0ALICE")) == 1


async def test_next_says_the_slot_the_tick_follows(bot):
    await seed(bot, two_teams())
    bot.svc.clock = lambda: MONDAY_08_BERLIN - timedelta(days=1)
    await bot.req.command("/okr", "next", user_id="U0ALICE")
    reply = bot.fake.calls_to("response_url")[-1].args
    assert "08:00" in reply["text"] and "Deploys per week" in reply["text"]
    await bot.req.command("/okr", "next", user_id="U0EVE")
    assert "Activation rate" in bot.fake.calls_to("response_url")[-1].args["text"]
