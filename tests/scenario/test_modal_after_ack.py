"""Issue 15 item 1: a click (or /okr subcommand) that opens a modal is acked first, and the modal opens straight
after the ack, ahead of the inbox's queued work: its trigger_id expires 3 s after the click.

Each test clicks a rendered button through the real signed HTTP endpoint while the inbox holds a backlog (a burst
of DMs from many people, more lanes than there are workers), then checks that the fake Slack got views.open with
that click's trigger_id while the backlog was still queued, and submits the modal it opened through the endpoint.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlmodel import select

from bot.slack.ids import DigestId
from storage import inbox, okrs, teams
from storage.models import CheckIn, Cycle, ReviewNote
from tests.fakes.signing import Response
from tests.fakes.state import buttons
from tests.scenario import digest_seed, view_seed
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

MODAL = "okr.checkin.modal"
FRIDAY_DUE = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # Maya's manager digest (tests/scenario/test_review_notes.py)
BACKLOG_PEOPLE, BACKLOG_EACH = 24, 5  # 120 items in 24 lanes: every worker is busy, and more wait


def sel(value) -> dict:
    return {"type": "static_select", "selected_option": {"value": str(value)}}


async def open_behind_a_backlog(bot, click: Callable[[str], Awaitable[Response]]) -> dict:
    """Queue the backlog, click with a fresh trigger_id, and return the modal that click opened."""
    settle, bot.req.settle = bot.req.settle, None  # requests return at their ack; the backlog stays queued
    try:
        sent = [
            bot.req.message_im(f"U0Q{p:03d}", f"hello {i}")  # each its own event id
            for p in range(BACKLOG_PEOPLE)
            for i in range(BACKLOG_EACH)
        ]
        assert {r.status for r in await asyncio.gather(*sent)} == {200}  # all kept before their acks
        trigger = bot.fake.issue_trigger_id()
        answer = await click(trigger)
        assert answer.status == 200 and not answer.body  # the ack: no modal, no error in it
        opened = await views_open_for(bot, trigger)
        assert opened.ok, opened.response
        async with bot.db.read() as s:
            assert await inbox.count_open(session=s) > 0  # the modal did not wait for the queue to drain
    finally:
        bot.req.settle = settle
    await settle()  # the backlog is worked off; then the modal is submitted
    return opened.response["view"]  # as the fake stored it: its id, hash and private_metadata


async def views_open_for(bot, trigger: str):
    async with asyncio.timeout(30):
        while True:
            calls = [c for c in bot.fake.calls_to("views.open") if c.args.get("trigger_id") == trigger]
            if calls:
                (call,) = calls
                return call
            await asyncio.sleep(0.005)


async def rows(bot, model, *where) -> list:
    async with bot.db.read() as s:
        return list((await s.exec(select(model).where(*where).order_by(model.id))).all())


async def submit(bot, user_id: str, view: dict, values: dict) -> None:
    resp = await bot.req.view_submission(user_id, view["callback_id"], values, view_id=view["id"])
    assert resp.status == 200 and not resp.body, resp.body


CHECKIN = {"value": {"value": "77"}, "confidence": {"confidence": sel("at_risk")}, "comment": {"comment": "modal"}}


async def prompted(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    (prompt,) = bot.dm("U0ALICE")
    return prompt


async def test_the_prompts_update_button(bot):
    prompt = await prompted(bot)
    value = buttons(prompt)["okr.checkin.update"]
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0ALICE", "okr.checkin.update", value, message=prompt, trigger_id=t)
    )
    assert view["callback_id"] == MODAL
    await submit(bot, "U0ALICE", view, CHECKIN)
    (ci,) = await rows(bot, CheckIn, CheckIn.comment == "modal")
    assert (ci.value, ci.confidence, ci.author_id) == (77, "at_risk", "U0ALICE")


async def test_the_confirmations_edit_button(bot):
    prompt = await prompted(bot)
    await bot.req.message_im("U0ALICE", "40", thread_ts=prompt.ts)
    confirmation = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)[-1]
    value = buttons(confirmation)["okr.checkin.edit"]
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0ALICE", "okr.checkin.edit", value, message=confirmation, trigger_id=t)
    )
    await submit(bot, "U0ALICE", view, CHECKIN)
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence, ci.comment) == (77, "at_risk", "modal") and ci.edited_at is not None


async def test_the_unsure_replys_edit_button(bot):
    prompt = await prompted(bot)
    await bot.req.message_im("U0ALICE", "1: 95, not on track", thread_ts=prompt.ts)
    (answer,) = bot.fake.messages("U0ALICE", thread_ts=prompt.ts)
    value = buttons(answer)["okr.checkin.edit_reply.1"]
    view = await open_behind_a_backlog(
        bot,
        lambda t: bot.req.block_action("U0ALICE", "okr.checkin.edit_reply.1", value, message=answer, trigger_id=t),
    )
    await submit(bot, "U0ALICE", view, {"value": {"value": "95"}, "confidence": {"confidence": sel("off_track")}})
    (ci,) = await rows(bot, CheckIn)
    assert (ci.value, ci.confidence) == (95, "off_track")


async def test_okr_checkin(bot):
    await prompted(bot)
    view = await open_behind_a_backlog(bot, lambda t: bot.req.command("/okr", "checkin 1", trigger_id=t))
    await submit(bot, "U0ALICE", view, CHECKIN)
    (ci,) = await rows(bot, CheckIn, CheckIn.comment == "modal")
    assert (ci.value, ci.source) == (77, "command")


async def test_okr_new_objective(bot):
    s = await view_seed.seed(bot)
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.command("/okr", "new objective", user_id="U0MANAGER", trigger_id=t)
    )
    values = {"team": {"team": sel(s.growth_id)}, "title": {"title": "Delight customers"}}
    await submit(
        bot, "U0MANAGER", view, {**values, "owner": {"owner": {"type": "users_select", "selected_user": "U0MANAGER"}}}
    )
    async with bot.db.read() as sess:
        assert await okrs.find_objective(
            session=sess, cycle_id=s.cycle_id, team_id=s.growth_id, title="Delight customers"
        )


async def test_the_kr_and_objective_edit_buttons(bot):
    s = await view_seed.seed(bot)
    await bot.req.command("/okr", "team growth", user_id="U0MANAGER")
    rendered = bot.fake.calls_to("response_url")[-1].args["blocks"]
    kr_value = buttons(rendered)["okr.edit.kr"]
    objective_value = next(
        b["accessory"]["value"] for b in rendered if b.get("accessory", {}).get("action_id") == "okr.edit.objective"
    )
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0MANAGER", "okr.edit.kr", kr_value, channel_id="C0GENERAL", trigger_id=t)
    )
    await submit(bot, "U0MANAGER", view, {"title": {"title": "Signups per day"}})
    view = await open_behind_a_backlog(
        bot,
        lambda t: bot.req.block_action(
            "U0MANAGER", "okr.edit.objective", objective_value, channel_id="C0GENERAL", trigger_id=t
        ),
    )
    await submit(bot, "U0MANAGER", view, {"title": {"title": "Grow revenue faster"}})
    async with bot.db.read() as sess:
        assert (await okrs.get_key_result(session=sess, kr_id=int(kr_value))).title == "Signups per day"
        titles = {o.title for o in await okrs.objectives_in_cycle(session=sess, cycle_id=s.cycle_id)}
    assert "Grow revenue faster" in titles


SETTINGS = {
    "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C0GROWTH"}},
    "timezone": {"timezone": sel("America/New_York")},
    "checkin_day": {"checkin_day": sel("1")},
    "checkin_time": {"checkin_time": {"type": "timepicker", "selected_time": "09:30"}},
    "cadence": {"cadence": sel("biweekly")},
    "digest_day": {"digest_day": sel("4")},
    "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "16:00"}},
    "nudge_hours": {"nudge_hours": "12"},
    "mention": {"mention": sel("yes")},
    "late_limit": {"late_limit": "6"},
}


async def test_okr_settings(bot):
    s = await view_seed.seed(bot)
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.command("/okr", "settings", user_id="U0MANAGER", trigger_id=t)
    )
    await submit(bot, "U0MANAGER", view, SETTINGS)
    async with bot.db.read() as sess:
        team = await teams.get_team(session=sess, team_id=s.growth_id)
    assert (team.timezone, team.checkin_time, team.nudge_hours) == ("America/New_York", "09:30", 12)


async def open_home(bot, user_id: str) -> dict:
    await bot.req.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"})
    return bot.fake.home_view(user_id)


async def test_the_homes_open_cycle_and_review_notes_buttons(bot):
    await view_seed.seed(bot)
    home = await open_home(bot, "U0ADMIN")
    value = buttons(home["blocks"])["okr.home.cycle_open"]
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0ADMIN", "okr.home.cycle_open", value, view=home, trigger_id=t)
    )
    dates = {"okr.cycle.start": "2027-04-05", "okr.cycle.end": "2027-07-02"}
    form = {k: {"v": {"type": "datepicker", "selected_date": d}} for k, d in dates.items()}
    await submit(bot, "U0ADMIN", view, {"okr.cycle.name": {"v": "2027-Q2"}, **form})
    assert "2027-Q2" in {c.name for c in await rows(bot, Cycle)}

    home = await open_home(bot, "U0MANAGER")
    value = buttons(home["blocks"])["okr.home.review_notes"]
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0MANAGER", "okr.home.review_notes", value, view=home, trigger_id=t)
    )
    assert view["callback_id"] == "okr.home.review_people" and not view.get("submit")  # a list: only Close


async def test_the_manager_digests_add_note_button(bot):
    await digest_seed.seed(bot)
    await bot.tick(FRIDAY_DUE)
    _, *people = bot.fake.messages("U0MANAGER")
    bob = next(m for m in people if "Bob" in digest_seed.texts(m))
    value = buttons(bob)[DigestId.ADD_NOTE]
    view = await open_behind_a_backlog(
        bot, lambda t: bot.req.block_action("U0MANAGER", DigestId.ADD_NOTE, value, message=bob, trigger_id=t)
    )
    note = {DigestId.NOTE_BODY: {DigestId.NOTE_BODY_INPUT: "steady week"}}
    await submit(bot, "U0MANAGER", view, note)
    (stored,) = await rows(bot, ReviewNote)
    assert (stored.author_id, stored.subject_id, stored.body) == ("U0MANAGER", "U0BOB", "steady week")
