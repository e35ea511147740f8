"""Issue 9, item 13: one member cannot starve everyone.

Alice sends 300 thread replies at once; Slack answers slowly. Bob's single reply, and his check-in modal, sent
after all of Alice's were acked, are handled while most of Alice's are still queued: workers take each person's
oldest item in turn. Alice's own replies are applied in the order she sent them.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.models import CheckIn, InboxItem, KeyResult
from tests.reliability.helpers import wait_for
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

MONDAY_10_NEW_YORK = datetime(2027, 1, 11, 15, 0, tzinfo=UTC)
BURST = 300


async def open_items(bot, lane: str) -> int:
    async with bot.db.read() as s:
        stmt = select(func.count()).where(InboxItem.lane == lane, InboxItem.state.in_(("pending", "claimed")))
        return (await s.execute(stmt)).scalar_one()


async def test_a_burst_from_one_person_does_not_delay_anothers_reply_or_modal(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    await bot.tick(MONDAY_10_NEW_YORK)
    bot.svc.clock = at(MONDAY_10_NEW_YORK + timedelta(hours=1))
    (alice_prompt,), (bob_prompt,) = bot.dm("U0ALICE"), bot.dm("U0BOB")
    bot.req.settle = None  # each request returns at its ack; the work runs behind it
    bot.fake.hang_next("chat.postMessage", times=100_000, seconds=0.05)

    sem = asyncio.Semaphore(25)

    async def alice(i: int) -> int:
        async with sem:
            return (await bot.req.message_im("U0ALICE", str(i), thread_ts=alice_prompt.ts)).status

    # Sent in order, so the inbox holds them in order; answered (acked) as soon as each is kept.
    assert [await alice(i) for i in range(BURST)] == [200] * BURST

    # Measured from Bob's send, not from the burst's start: Alice's lane works while she is still sending (since
    # check-ins' Home-tab and digest refreshes are coalesced, each of her items is quicker, so more are done then).
    backlog = await open_items(bot, "U0ALICE")
    assert backlog >= BURST // 2  # most of her burst is still queued when Bob writes
    assert (await bot.req.message_im("U0BOB", "420 on track", thread_ts=bob_prompt.ts)).status == 200
    await wait_for(lambda: bot.fake.messages("U0BOB", thread_ts=bob_prompt.ts), timeout=30)
    assert await open_items(bot, "U0ALICE") >= backlog - 50  # Bob did not wait for Alice's backlog

    trigger = bot.fake.issue_trigger_id()
    clicked = await bot.req.block_action(
        "U0BOB", "okr.checkin.update", _update_value(bob_prompt), message=bob_prompt, trigger_id=trigger
    )
    assert clicked.status == 200  # acked; the modal opens straight after (handlers.inbox.after_ack)
    opened = lambda: [c for c in bot.fake.calls_to("views.open") if c.args["trigger_id"] == trigger and c.ok]  # noqa: E731
    await wait_for(opened, timeout=30)  # Bob submits the modal once he sees it
    submitted = await bot.req.view_submission(
        "U0BOB", "okr.checkin.modal", {"value": {"value": "430"}, "confidence": {"confidence": _select("at_risk")}}
    )
    assert submitted.status == 200 and submitted.body in ("", None, {})  # acked: the modal closed
    assert await open_items(bot, "U0ALICE") >= backlog - 100  # answered while Alice's backlog is still there

    await asyncio.wait_for(bot.inbox.wait_idle(), 120)
    async with bot.db.read() as s:
        alice_kr = (await s.execute(select(KeyResult).where(KeyResult.owner_id == "U0ALICE"))).scalars().first()
        values = [c.value for c in (await s.execute(select(CheckIn).order_by(CheckIn.id))).scalars()]
    assert alice_kr.current_value == BURST - 1  # her replies were applied in the order she sent them
    assert values.count(430) == 1 and values.count(420) == 1
    assert len(values) == BURST + 2  # nothing lost, nothing doubled


def _update_value(prompt) -> str:
    for block in prompt.blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == "okr.checkin.update":
                return element["value"]
    raise LookupError("no Update button on the prompt")


def _select(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}
