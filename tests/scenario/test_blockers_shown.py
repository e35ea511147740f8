"""Issue 11 item 11: blockers are shown where a manager looks, not only in the thread confirmation.

Alice answers her Monday prompt in its thread with a blocker (through the real app: signed DM events);
the Friday digest, the manager digest, `/okr team`, `/okr at-risk` and her Home tab then show it, escaped.
"""

from datetime import UTC, datetime, timedelta

from tests.scenario.digest_seed import example, seed, texts
from tests.scenario.seed import at

MONDAY_ALICE = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: Alice's prompt
FRIDAY_DIGEST = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)  # 16:00 in Berlin: Growth's digest
BLOCKED = "1: 36%, at risk, blocked by legal <!channel> review\n2: 5%, on track, good week"
SHOWN = ":construction: *Blockers:* legal &lt;!channel&gt; review"


async def _alice_reports_a_blocker(bot, reply: str = BLOCKED, when: datetime = MONDAY_ALICE) -> None:
    await bot.tick(when)
    prompt = [m for m in bot.dm("U0ALICE") if "check-in" in m.text][-1]
    bot.svc.clock = at(when + timedelta(hours=1))
    await bot.req.message_im("U0ALICE", reply, thread_ts=prompt.ts)
    (confirmation,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    assert texts(confirmation).startswith("Recorded")
    assert ("Blockers" in texts(confirmation)) is ("blocked" in reply)


def _reply(bot) -> str:
    call = bot.fake.calls_to("response_url")[-1]
    assert call.ok, call.response
    return texts(call.args["blocks"])


async def test_the_team_and_manager_digests_show_this_periods_blockers(bot):
    await seed(bot)
    await _alice_reports_a_blocker(bot)
    await bot.tick(FRIDAY_DIGEST)
    (digest,) = bot.fake.messages("C0GROWTH")
    assert SHOWN in texts(digest)
    assert "<!channel>" not in texts(digest)  # escaped: it pings no one
    _parent, *sections = bot.fake.messages("U0MANAGER")
    (alice,) = [m for m in sections if "*Alice*" in texts(m)]
    assert SHOWN in texts(alice)
    bot.fake.assert_no_warnings()


async def test_okr_team_at_risk_and_home_show_the_latest_blockers(bot):
    await seed(bot)
    await _alice_reports_a_blocker(bot)
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    assert SHOWN in _reply(bot)
    await bot.req.command("/okr", text="at-risk Growth", user_id="U0MANAGER")
    shown = _reply(bot)
    assert "Activation rate" in shown and SHOWN in shown
    await bot.req.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    assert SHOWN in texts(bot.fake.home_view("U0ALICE")["blocks"])
    bot.fake.assert_no_warnings()


async def test_a_check_in_without_blockers_clears_them(bot):
    await seed(bot)
    await _alice_reports_a_blocker(bot)
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    assert SHOWN in _reply(bot)
    await _alice_reports_a_blocker(bot, "1: 38%, on track, legal signed off\n2: 5%", MONDAY_ALICE + timedelta(days=7))
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    shown = _reply(bot)
    assert "38%" in shown and "Blockers" not in shown


async def test_a_digest_leaves_out_blockers_from_an_earlier_period(bot):
    await seed(bot)
    await _alice_reports_a_blocker(bot)
    later = FRIDAY_DIGEST + timedelta(days=7)  # Alice has not checked in since the week before
    await bot.tick(later)
    digest = bot.fake.messages("C0GROWTH")[-1]
    assert "week 3 of" in texts(digest) and "Blockers" not in texts(digest)
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    assert SHOWN in _reply(bot)  # the views show the latest check-in's, with its date beside it


async def test_a_condensed_digest_keeps_blockers_and_labels(bot):
    data = example()
    data["objectives"] = [
        {
            "title": f"Objective {o}",
            "team": "Growth",
            "key_results": [
                {"title": f"KR {o * 10 + k}", "owner": "U0ALICE", "start": 0, "target": 10} for k in range(10)
            ],
        }
        for o in range(6)
    ]
    await seed(bot, data)
    await _alice_reports_a_blocker(bot, "1: 5, at risk, blocked by the <!here> vendor")
    await bot.tick(FRIDAY_DIGEST)
    (digest,) = bot.fake.messages("C0GROWTH")
    assert len(digest.blocks) <= 50 and "KR 59" in texts(digest)  # condensed: one line per KR
    line = next(t for t in texts(digest).splitlines() if t.startswith("• KR 0 "))
    assert "confidence :large_yellow_circle: pace :warning:" in line
    assert ":construction: *Blockers:* the &lt;!here&gt; vendor" in line
    bot.fake.assert_no_warnings()
