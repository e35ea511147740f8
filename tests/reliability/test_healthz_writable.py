"""/healthz says 503 when the database cannot be written, so a probe takes the instance out of service
before it acks work it cannot keep (issue 10: a full disk answered :boom: while /healthz still said 200).

Running as root, chmod cannot make the file unwritable (root ignores permission bits). Two real ways:
the same database file opened read-only through SQLite's own URI parameter (`mode=ro`), exactly what a
read-only mount or volume gives; and a disk with no free space, as the operating system reports it.
"""

import shutil
from collections import namedtuple

import aiohttp
import pytest

from tests.harness import running_bot


async def health(bot) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.app_url}/healthz") as resp:
        return resp.status, await resp.json()


async def test_a_writable_database_is_healthy(bot):
    assert await health(bot) == (200, {"ok": True})


@pytest.mark.sqlite_only(reason="opens the SQLite file read-only")
async def test_a_read_only_database_is_unhealthy(fake_slack, tmp_path):
    path = tmp_path / "bot.db"
    async with running_bot(fake_slack, path) as bot:  # make the schema, then stop
        assert (await health(bot))[0] == 200
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with running_bot(fake_slack, path, DATABASE_URL=read_only) as bot:
        assert await health(bot) == (503, {"ok": False, "reason": "the database cannot be written"})
        async with bot.db.read() as session:  # reads still work: it is the writes that cannot happen
            assert (await session.connection()).dialect.name == "sqlite"


@pytest.mark.sqlite_only(reason="the free-space check is for a SQLite file's disk")
async def test_a_full_disk_is_unhealthy(bot, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9, 4096))  # the OS says: full
    assert await health(bot) == (503, {"ok": False, "reason": "the database cannot be written"})


@pytest.mark.sqlite_only(reason="opens the SQLite file read-only")
async def test_a_request_a_read_only_database_cannot_keep_is_refused_quietly(fake_slack, tmp_path):
    path = tmp_path / "bot.db"
    async with running_bot(fake_slack, path):
        pass
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with running_bot(fake_slack, path, DATABASE_URL=read_only) as bot:
        fake_slack.reset_calls()
        sent = await bot.req.message_im("U0ALICE", "42")
        assert sent.status == 503  # not acked: Slack redelivers it once the database can be written again
        assert fake_slack.calls_to("chat.postMessage") == []  # and nobody is told ":boom:" meanwhile
