"""storage.inbox.add_items / delete_items: the group commit's multi-row put (bot.services.kernel.inbox_puts)."""

from datetime import UTC, datetime

from storage import inbox
from storage.db import Database

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


def row(key: str, lane: str = "U1") -> dict:
    return {"key": key, "lane": lane, "payload": f'{{"k":"{key}"}}'}


async def test_one_insert_keeps_the_new_keys_and_skips_the_kept_ones(db: Database):
    async with db.transaction() as s:
        assert list(await inbox.add_items(session=s, rows=[row("event:A")], now=NOW)) == ["event:A"]
    async with db.transaction() as s:
        ids = await inbox.add_items(session=s, rows=[row("event:B"), row("event:A"), row("event:C", "U2")], now=NOW)
    assert sorted(ids) == ["event:B", "event:C"]  # A was kept already: a redelivery, not in the answer
    async with db.read() as s:
        ready = await inbox.ready(session=s, now=NOW, limit=10)
        assert await inbox.open_items(session=s) == (3, min(ids.values()) - 1)
    assert sorted(ready) == sorted([(ids["event:C"], "U2"), (min(ids.values()) - 1, "U1")])


async def test_deleted_items_are_gone_and_their_keys_free_again(db: Database):
    async with db.transaction() as s:
        ids = await inbox.add_items(session=s, rows=[row("event:A"), row("event:B")], now=NOW)
        await inbox.delete_items(session=s, item_ids=[ids["event:B"]])
        await inbox.delete_items(session=s, item_ids=[])  # nothing to take back: no statement
    async with db.transaction() as s:
        assert await inbox.count_open(session=s) == 1
        assert list(await inbox.add_items(session=s, rows=[row("event:B")], now=NOW)) == ["event:B"]
        assert await inbox.add_items(session=s, rows=[], now=NOW) == {}
