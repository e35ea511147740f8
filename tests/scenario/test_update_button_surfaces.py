"""Issue 11 item 1: the Update button works on every surface that shows it, not only the prompt.

Each test clicks the rendered button (its own value, as Slack sends it back) and submits the modal it opens."""

import pytest
from sqlmodel import select

from storage.models import CheckIn
from tests.scenario.view_seed import check_in, seed

MODAL = "okr.checkin.modal"


def update_values(blocks) -> list[str]:
    return [
        e["value"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "okr.checkin.update"
    ]


async def click_update_and_submit(bot, user_id: str, value: str, *, message=None, view=None) -> CheckIn:
    before = len(bot.fake.open_views)
    resp = await bot.req.block_action(user_id, "okr.checkin.update", value, message=message, view=view)
    assert resp.status == 200
    assert len(bot.fake.open_views) == before + 1, "the Update button opened no modal"
    assert bot.fake.open_views[-1]["callback_id"] == MODAL
    resp = await bot.req.view_submission(
        user_id,
        MODAL,
        {
            "value": {"value": "77"},
            "confidence": {"confidence": {"type": "static_select", "selected_option": {"value": "at_risk"}}},
            "comment": {"comment": "from a dashboard"},
        },
    )
    assert resp.status == 200
    async with bot.db.transaction() as s:
        rows = list((await s.exec(select(CheckIn).where(CheckIn.comment == "from a dashboard"))).all())
    assert len(rows) == 1
    assert (rows[0].value, rows[0].confidence, rows[0].author_id) == (77, "at_risk", user_id)
    bot.fake.assert_no_warnings()
    return rows[0]


def ephemeral_blocks(bot):
    call = bot.fake.calls_to("response_url")[-1]
    assert call.ok, call.response
    return call.args["blocks"]


@pytest.mark.parametrize(
    ("user_id", "command"),
    [
        ("U0OWNER", "mine"),
        ("U0OWNER", "team"),
        ("U0MANAGER", "team growth"),
        ("U0MANAGER", "<@U0OWNER|olive>"),
        ("U0MANAGER", "at-risk"),
    ],
)
async def test_update_from_an_okr_view_records_a_checkin(bot, user_id, command):
    s = await seed(bot)
    await check_in(bot, s.kr_ids[0], 10, "at_risk")  # so /okr at-risk lists it
    await bot.req.command("/okr", command, user_id=user_id)
    values = update_values(ephemeral_blocks(bot))
    assert values, f"/okr {command} rendered no Update button"
    ci = await click_update_and_submit(
        bot,
        user_id,
        values[0],
        message={"ts": "1.1"},
    )
    assert ci.kr_id == s.kr_ids[0]


async def test_update_from_the_home_tab_records_a_checkin(bot):
    s = await seed(bot)
    await bot.req.event({"type": "app_home_opened", "user": "U0OWNER", "channel": "D0OWNER", "tab": "home"})
    view = bot.fake.home_view("U0OWNER")
    values = update_values(view["blocks"])
    assert len(values) == len(s.kr_ids)
    ci = await click_update_and_submit(bot, "U0OWNER", values[0], view=view)
    assert ci.kr_id in s.kr_ids
