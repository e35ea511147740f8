"""Slow or stuck clients cannot pile up sockets: half-sent bodies get 408 (or 503 over the in-flight cap)
and their connections are closed, while /healthz and Slack's own requests keep answering (issue 9, item 4)."""

import asyncio
import time

import aiohttp

from tests.harness import running_bot

READ_TIMEOUT = 3.0
SLOW_CLIENTS = 300
CAP = 64  # below the default (256), so the 300 clients also meet the cap


async def half_sent(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: okrbot\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
        "Content-Length: 2000\r\n\r\n"
    )
    writer.write(head.encode() + b'{"type": "event_callback", "x": "' + b"a" * 900)  # and never the rest
    await writer.drain()
    return reader, writer


async def answer(reader: asyncio.StreamReader, within: float) -> bytes:
    """The status line the server sends, then wait for it to close the connection."""
    async with asyncio.timeout(within):
        status = await reader.readline()
        await reader.read()  # returns at EOF: the server closed the socket
    return status


async def test_half_sent_bodies_time_out_and_healthz_still_answers(fake_slack, tmp_path):
    options = {"read_timeout": READ_TIMEOUT, "max_in_flight": CAP}
    async with running_bot(fake_slack, tmp_path / "bot.db", web_options=options) as bot:
        port = int(bot.app_url.rsplit(":", 1)[1])
        started_all = time.monotonic()
        clients = await asyncio.gather(*(half_sent(port) for _ in range(SLOW_CLIENTS)))
        opened = time.monotonic()
        try:
            async with aiohttp.ClientSession() as http:
                started = time.monotonic()
                async with http.get(f"{bot.app_url}/healthz") as resp:
                    assert resp.status == 200
                assert time.monotonic() - started < 1.0
            statuses = await asyncio.gather(*(answer(r, READ_TIMEOUT + 5) for r, _ in clients))
        finally:
            for _, writer in clients:
                writer.close()
        codes = [s.split()[1] for s in statuses]
        assert set(codes) == {b"408", b"503"}, set(codes)  # every socket got an answer and was closed
        assert codes.count(b"408") <= CAP * (1 + int((opened - started_all) // READ_TIMEOUT))  # the in-flight cap
        ok = await bot.req.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "messages"})
        assert ok.status == 200  # Slack's own requests still get through afterwards
    assert not any(c.method == "response_url" for c in fake_slack.calls)
