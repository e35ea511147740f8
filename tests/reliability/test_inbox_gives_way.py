"""Acks go first: while a request is being answered, the inbox works on one item at a time; once the front door
is quiet it takes up its full concurrency again (bot.services.kernel.front_door, issue 15 item 1).

A half-sent request holds the door busy, as a burst of requests would; four people's top-level DMs are kept
(each is answered "how to check in", a Slack call the fake holds for a while). Only one is worked on while the
request is in flight; closing that connection lets the other three run at once. Nothing is lost either way.
"""

import asyncio
import time

from sqlmodel import func, select

from storage.models import InboxItem
from tests.reliability.helpers import wait_for
from tests.scenario.seed import MONDAY_10_BERLIN, at, seed

PEOPLE = ("U0ALICE", "U0BOB", "U0MANAGER", "U0EVE")
SLACK_SECONDS = 1.0  # each answer's chat.postMessage is held this long by the fake


async def claimed(bot) -> int:
    async with bot.db.read() as s:
        return (await s.exec(select(func.count()).where(InboxItem.state == "claimed"))).one()


async def most_claimed(bot, seconds: float) -> int:
    most, until = 0, time.monotonic() + seconds
    while time.monotonic() < until:
        most = max(most, await claimed(bot))
        await asyncio.sleep(0.02)
    return most


async def half_sent_request(bot) -> asyncio.StreamWriter:
    port = int(bot.app_url.rsplit(":", 1)[1])
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: okrbot\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
        "Content-Length: 2000\r\n\r\n"
    )
    writer.write(head.encode() + b'{"type": "event_callback"')  # the rest never comes: it stays in flight
    await writer.drain()
    return writer


async def test_inbox_takes_one_item_at_a_time_while_a_request_is_in_flight(bot):
    await seed(bot)
    await bot.tick(MONDAY_10_BERLIN)
    bot.svc.clock = at(MONDAY_10_BERLIN)
    bot.req.settle = None  # each request returns at its ack; the work runs behind it
    bot.fake.hang_next("chat.postMessage", times=len(PEOPLE), seconds=SLACK_SECONDS)
    before = len(bot.fake.calls_to("chat.postMessage"))

    held = await half_sent_request(bot)
    await wait_for(lambda: bot.inbox.front_door.busy, timeout=5)
    for person in PEOPLE:  # top-level chatter: each is answered with how to check in
        assert (await bot.req.message_im(person, "hello?")).status == 200
    # The held request keeps the door busy (the four others were answered): one item at a time.
    assert await most_claimed(bot, 2.5 * SLACK_SECONDS) == 1

    held.close()
    await wait_for(lambda: not bot.inbox.front_door.busy, timeout=5)
    # Quiet again: what is left is taken up at once, not one after another.
    assert await most_claimed(bot, SLACK_SECONDS / 2) >= 2

    await asyncio.wait_for(bot.inbox.wait_idle(), 30)
    answered = {c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")[before:]}
    assert answered == {bot.fake.dm_channel(p) for p in PEOPLE}  # everyone was answered, nothing lost
