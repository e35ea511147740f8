"""Issue 11 item 13: digest and message wording tells the truth."""

from datetime import UTC, datetime

from storage import people
from tests.scenario.digest_seed import example, seed, texts

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
