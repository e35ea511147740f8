"""Shared helpers for the reliability suite: raw DM events (with retry headers), bounded waits, counts."""

import asyncio
import time
import uuid

from sqlmodel import func, select

from storage.models import CheckIn


def dm_event(fake, user_id: str, text: str, *, thread_ts: str | None = None, channel: str | None = None) -> dict:
    """A `message` event in the bot's DM, as Slack sends it (ts fresh from the fake)."""
    ts = fake.new_ts()
    event = {
        "type": "message",
        "channel": channel or fake.dm_channel(user_id),
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": "T0TEST",
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def deliver_with_retries(bot, event: dict, event_id: str, retries: int = 3) -> list[int]:
    """The original delivery plus `retries` redeliveries (X-Slack-Retry-Num 1..n, same event_id)."""
    statuses = [(await bot.req.event(event, event_id=event_id)).status]
    for n in range(1, retries + 1):
        statuses.append((await bot.req.event(event, event_id=event_id, retry_num=n)).status)
    return statuses


async def wait_for(condition, *, timeout: float = 5.0, every: float = 0.02):
    """Poll `condition()` (sync or async) until truthy; fail after `timeout` seconds. Never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met within the bounded wait"
        await asyncio.sleep(every)


async def count_checkins(db) -> int:
    async with db.transaction() as s:
        return (await s.exec(select(func.count()).select_from(CheckIn))).one()


def string_leaves(node, out: list[str] | None = None) -> list[str]:
    """Every string inside nested dicts/lists (Slack call args, blocks, views)."""
    out = [] if out is None else out
    if isinstance(node, dict):
        for v in node.values():
            string_leaves(v, out)
    elif isinstance(node, list | tuple):
        for v in node:
            string_leaves(v, out)
    elif isinstance(node, str):
        out.append(node)
    return out
