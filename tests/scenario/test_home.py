"""The App Home tab: published on app_home_opened, role sections, block limits, escaping, no review notes."""

import json
from datetime import UTC, datetime

from sqlmodel import select

from storage.models import Cycle, ReviewNote
from tests.scenario.view_seed import add_krs, check_in, seed, text_of


async def open_home(bot, user_id):
    await bot.req.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"})
    view = bot.fake.home_view(user_id)
    assert view is not None and view["type"] == "home"
    return view


async def test_home_shows_my_krs_teams_and_next_prompt(bot):
    s = await seed(bot)
    await check_in(bot, s.kr_ids[0], 60, "on_track")
    view = await open_home(bot, "U0OWNER")
    text = text_of(view["blocks"])
    assert "Your key results" in text and "Signups per week" in text and "60 / 100" in text
    assert "Your teams" in text and "Growth" in text
    assert "next check-in" in text  # Growth asks Mondays 10:00 Berlin: next is 2027-02-22
    assert "Monday 22 Feb at 10:00 (Europe/Berlin)" in text  # in her zone, and the zone named
    updates = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {json.loads(e["value"])["kr"] for e in updates if e["action_id"] == "okr.checkin.update"} == set(s.kr_ids)
    assert "Teams you manage" not in text and "Admin" not in text
    bot.fake.assert_no_warnings()


async def test_manager_section_lists_who_is_missing(bot):
    s = await seed(bot)
    await add_krs(bot, objective_id=s.objective_id, count=1, owner="U0MEMBER", title="Mia's KR")
    await check_in(bot, s.kr_ids[0], 50, "on_track", at=datetime(2027, 2, 15, 10, 0, tzinfo=UTC))
    text = text_of((await open_home(bot, "U0MANAGER"))["blocks"])
    assert "Teams you manage" in text and "No check-in yet this week: Mia" in text
    assert "Olive" not in text.split("No check-in yet this week:")[1]
    assert "Admin" not in text
    buttons = [
        e["action_id"]
        for b in (await open_home(bot, "U0MANAGER"))["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert "okr.home.review_notes" in buttons


async def test_admin_section_only_for_admins(bot):
    await seed(bot)
    view = await open_home(bot, "U0ADMIN")
    text = text_of(view["blocks"])
    assert "Admin" in text and "2027-Q1" in text and "active" in text
    # a member who forges the click is refused and nothing changes
    await bot.req.block_action("U0MEMBER", "okr.home.cycle_close", "1", view=view)
    assert "admins" in bot.dm("U0MEMBER")[-1].text
    assert await cycle_states(bot) == {"2027-Q1": "active"}
    await bot.req.block_action("U0ADMIN", "okr.home.cycle_close", "1", view=view)
    assert "Closed 2027-Q1" in bot.dm("U0ADMIN")[-1].text
    assert await cycle_states(bot) == {"2027-Q1": "closed"}
    assert "closed" in text_of(bot.fake.home_view("U0ADMIN")["blocks"]) or "No active cycle" in text_of(
        bot.fake.home_view("U0ADMIN")["blocks"]
    )


async def cycle_states(bot) -> dict[str, str]:
    async with bot.db.transaction() as sess:
        return {c.name: c.state for c in (await sess.exec(select(Cycle))).all()}


async def test_admin_opens_a_cycle_from_the_home_tab_with_field_errors_first(bot):
    await seed(bot)
    view = await open_home(bot, "U0ADMIN")
    await bot.req.block_action("U0ADMIN", "okr.home.cycle_open", "1", view=view)
    assert bot.fake.calls_to("views.open")[-1].args["view"]["callback_id"] == "okr.cycle.open_modal"

    def form(name, start, end, carry):
        return {
            "okr.cycle.name": {"v": {"type": "plain_text_input", "value": name}},
            "okr.cycle.start": {"v": {"type": "datepicker", "selected_date": start}},
            "okr.cycle.end": {"v": {"type": "datepicker", "selected_date": end}},
            "okr.cycle.carry": {"v": {"type": "checkboxes", "selected_options": [{"value": "carry"}] if carry else []}},
        }

    bad = await bot.req.view_submission(
        "U0ADMIN", "okr.cycle.open_modal", form("2027-Q2", "2027-07-01", "2027-04-05", True)
    )
    assert bad.body["response_action"] == "errors" and "okr.cycle.end" in bad.body["errors"]
    dup = await bot.req.view_submission(
        "U0ADMIN", "okr.cycle.open_modal", form("2027-Q1", "2027-04-05", "2027-07-02", 0)
    )
    assert "already exists" in dup.body["errors"]["okr.cycle.name"]
    assert await cycle_states(bot) == {"2027-Q1": "active"}

    ok = await bot.req.view_submission(
        "U0ADMIN", "okr.cycle.open_modal", form("2027-Q2", "2027-04-05", "2027-07-02", 1)
    )
    assert ok.status == 200 and not ok.body
    assert await cycle_states(bot) == {"2027-Q1": "closed", "2027-Q2": "active"}
    assert "Opened 2027-Q2" in bot.dm("U0ADMIN")[-1].text or "opened 2027-Q2" in bot.dm("U0ADMIN")[-1].text
    assert "2027-Q2" in text_of(bot.fake.home_view("U0ADMIN")["blocks"])


async def test_review_notes_button_lists_people_never_notes(bot):
    await seed(bot)
    async with bot.db.transaction() as sess:
        sess.add(ReviewNote(author_id="U0MANAGER", subject_id="U0OWNER", body="SECRET-MARKER-42"))
    view = await open_home(bot, "U0MANAGER")
    assert "SECRET-MARKER-42" not in str(view)
    await bot.req.block_action("U0MANAGER", "okr.home.review_notes", "notes", view=view)
    modal = bot.fake.calls_to("views.open")[-1]
    assert modal.ok
    modal_text = text_of(modal.args["view"])
    assert "/okr notes <@U0OWNER>" in modal_text and "SECRET-MARKER-42" not in modal_text
    for user in ("U0OWNER", "U0ADMIN", "U0MEMBER"):
        assert "SECRET-MARKER-42" not in str(await open_home(bot, user))


async def test_home_stays_within_100_blocks_with_60_krs(bot):
    s = await seed(bot)
    await add_krs(bot, objective_id=s.objective_id, count=58)
    await bot.req.event({"type": "app_home_opened", "user": "U0ADMIN", "tab": "home"})
    for user in ("U0OWNER", "U0MANAGER"):
        view = await open_home(bot, user)
        assert len(view["blocks"]) <= 100
    owner = await open_home(bot, "U0OWNER")
    assert "…and 45 more" in text_of(owner["blocks"])
    bot.fake.assert_no_warnings()


async def test_home_escapes_titles(bot):
    await seed(bot, kr_titles=("<!channel> <https://evil.example|bank>",))
    text = text_of((await open_home(bot, "U0OWNER"))["blocks"])
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; &lt;https://evil.example|bank&gt;" in text
