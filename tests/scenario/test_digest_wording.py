"""Issue 11 item 13: digest and message wording tells the truth."""

from datetime import UTC, datetime, timedelta

from storage import people
from tests.scenario.digest_seed import example, seed, texts
from tests.scenario.seed import opens_home

FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)


async def test_a_co_owner_is_not_told_they_have_no_krs(bot):
    data = example()
    for objective in data["objectives"]:
        for kr in objective["key_results"]:
            if kr.get("owner") == "U0BOB":
                kr["owner"] = "U0ALICE"  # Bob now only co-owns "Trial-to-paid conversion"
    await seed(bot, data)
    await bot.tick(FRIDAY_DUE)
    _parent, *people = bot.fake.messages("U0MANAGER")
    (bob,) = [m for m in people if "*Bob*" in texts(m)]
    assert "No KRs of their own" not in texts(bob)
    assert "Trial-to-paid conversion" in texts(bob)
    assert "Bob: 1 KRs" in bob.text


async def test_okr_notes_never_shows_a_bare_user_id(bot):
    await seed(bot)
    await bot.req.command("/okr", text="note <@U0BOB|bob> good week", user_id="U0MANAGER")
    async with bot.db.transaction() as s:
        (await people.get_person(session=s, person_id="U0MANAGER")).display_name = ""  # a name never learnt
    await bot.req.command("/okr", text="notes <@U0BOB|bob>", user_id="U0MANAGER")
    shown = texts(bot.fake.calls_to("response_url")[-1].args["blocks"])
    assert "good week" in shown
    assert "<@U0MANAGER>" in shown  # Slack shows the reader Maya's name
    assert "*U0MANAGER*" not in shown


# --- labelled statuses, alignment, cadence words, zones, day one, the example reply ---------------------------

CAROL_FIRST_PROMPT = datetime(2027, 1, 5, 14, 30, tzinfo=UTC)  # Tuesday 09:30 in New York, the cycle's day one
MONDAY_ALICE = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
FRIDAY_WEEK_2 = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)  # Growth's digest, 16:00 in Berlin


def _reply(bot) -> str:
    call = bot.fake.calls_to("response_url")[-1]
    assert call.ok, call.response
    return texts(call.args["blocks"])


async def _alice_checks_in(bot) -> None:
    await bot.tick(MONDAY_ALICE)
    prompt = bot.dm("U0ALICE")[-1]
    bot.svc.clock = lambda: MONDAY_ALICE + timedelta(hours=1)
    await bot.req.message_im("U0ALICE", "1: 36%, at risk\n2: 5%, on track", thread_ts=prompt.ts)


async def test_confidence_and_pace_are_labelled_wherever_both_are_shown(bot):
    await seed(bot)
    await _alice_checks_in(bot)
    await bot.tick(FRIDAY_WEEK_2)
    (digest,) = bot.fake.messages("C0GROWTH")
    both = "confidence: :large_yellow_circle: at risk  ·  pace: :warning: at risk"
    assert both in texts(digest)
    assert "KRs by pace:" in texts(digest)
    _parent, *sections = bot.fake.messages("U0MANAGER")
    (alice,) = [m for m in sections if "*Alice*" in texts(m)]
    assert "confidence :large_yellow_circle: pace :warning:" in texts(alice)
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    assert both in _reply(bot)
    await opens_home(bot, "U0ALICE")
    assert "pace: :white_check_mark:" in texts(bot.fake.home_view("U0ALICE")["blocks"])  # her teams' counts


async def test_an_objectives_alignment_is_shown_with_its_roll_up(bot):
    await seed(bot)
    await bot.req.command("/okr", text="team Growth", user_id="U0MANAGER")
    growth = _reply(bot)
    assert "_includes aligned:_ A platform that never slows product teams down (Platform) 0%" in growth
    await bot.req.command("/okr", text="team Platform", user_id="U0CAROL")
    assert "_aligned under Grow self-serve revenue (Growth)_" in _reply(bot)
    await bot.tick(FRIDAY_DUE)
    assert "includes aligned:_ A platform that never slows" in texts(bot.fake.messages("C0GROWTH")[0])


async def test_a_biweekly_team_is_not_told_weekly_and_day_one_has_no_pace_verdict(bot):
    await seed(bot)  # Platform checks in every other week; Carol's KRs are all Platform's
    await bot.tick(CAROL_FIRST_PROMPT)
    (prompt,) = bot.dm("U0CAROL")
    shown = texts(prompt)
    assert "check-in for these two weeks" in shown and "weekly" not in shown.lower()
    assert "expected 0.0" not in shown and "▼" not in shown  # no "expected 0.05 milestones today (▼ -0.05)"
    assert "too early to judge the pace" in shown and "pace: :hourglass_flowing_sand: too early to tell" in shown
    await bot.tick(MONDAY_ALICE)
    assert "Time for your weekly check-in" in texts(bot.dm("U0ALICE")[-1])  # Growth is weekly


async def test_the_example_reply_is_introduced_as_an_example_from_the_persons_own_kr(bot):
    await seed(bot)
    await bot.tick(MONDAY_ALICE)
    shown = texts(bot.dm("U0ALICE")[-1])
    assert "For example: `1: 30%, on track, waiting on legal`" in shown
    assert "notes on" not in shown and "e.g." not in shown


async def test_times_shown_to_a_person_name_their_zone(bot):
    await seed(bot)
    await _alice_checks_in(bot)
    await bot.tick(FRIDAY_WEEK_2)
    _parent, *sections = bot.fake.messages("U0MANAGER")
    (alice,) = [m for m in sections if "*Alice*" in texts(m)]
    assert "Last check-in: Mon 11 Jan 11:00 (Europe/Berlin)" in texts(alice)  # Maya's zone
    prompt = bot.dm("U0ALICE")[0]
    bot.svc.clock = lambda: FRIDAY_WEEK_2 + timedelta(hours=2)
    await bot.req.message_im("U0ALICE", "1: 37%, at risk", thread_ts=prompt.ts)  # late: edits the digest
    (edit,) = [c for c in bot.fake.calls_to("chat.update") if c.args.get("channel") == "C0GROWTH"]
    assert "updated 18:00 (Europe/Berlin)" in texts(edit.args["blocks"])


async def test_home_names_each_managed_teams_own_cadence(bot):
    await seed(bot)
    bot.svc.clock = lambda: FRIDAY_WEEK_2
    for manager in ("U0CAROL", "U0MANAGER"):
        await bot.req.event({"type": "app_home_opened", "user": manager, "tab": "home"})
    carol = texts(bot.fake.home_view("U0CAROL")["blocks"])
    assert "No check-in yet these two weeks" in carol and "this week" not in carol  # Platform is biweekly
    assert "No check-in yet this week" in texts(bot.fake.home_view("U0MANAGER")["blocks"])  # Growth is weekly
    assert "(America/New_York)" in carol  # her next prompt, with her zone named


async def test_a_manager_digest_section_never_shows_a_bare_user_id(bot):
    await seed(bot)
    await bot.tick(FRIDAY_DUE - timedelta(minutes=1))  # today's directory refresh is done
    async with bot.db.transaction() as s:
        (await people.get_person(session=s, person_id="U0BOB")).display_name = ""  # a name never learnt
    await bot.tick(FRIDAY_DUE)
    _parent, *sections = bot.fake.messages("U0MANAGER")
    (bob,) = [m for m in sections if "<@U0BOB>" in texts(m)]
    assert "*U0BOB*" not in texts(bob) and "U0BOB:" not in bob.text
