"""The Teams front door's limits (bot/teams/http_guard.py) on a real socket, with short limits: a body that trickles
in gets 408 and its connection closed, a request over the in-flight cap gets 503, and other paths pass untouched.
Behind the guard stands a stand-in for the SDK's route that records what reached it."""

import asyncio
import json

import aiohttp
from aiohttp import web

from bot.teams.http_guard import teams_guard

PATH = "/api/messages"


async def _serve(**limits):
    reached: list[dict] = []
    release = asyncio.Event()

    async def sdk(request: web.Request) -> web.Response:
        reached.append(await request.json())
        await release.wait()
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[teams_guard(PATH, issuer=None, **limits)])
    app.router.add_post(PATH, sdk)
    app.router.add_get("/healthz", lambda _r: web.json_response({"ok": True}))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1], reached, release


async def test_a_body_that_trickles_in_gets_408_and_never_reaches_the_sdk():
    runner, port, reached, release = await _serve(read_timeout=0.3)
    release.set()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        writer.write(head.encode() + b'{"type": "mess')  # and then nothing more
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        assert status_line.startswith(b"HTTP/1.1 408")
        writer.close()
    finally:
        await runner.cleanup()
    assert reached == []


async def test_over_the_in_flight_cap_a_request_gets_503_and_healthz_still_answers():
    runner, port, reached, release = await _serve(max_in_flight=1)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            first = asyncio.create_task(http.post(url + PATH, data=json.dumps({"type": "message", "n": 1})))
            while not reached:
                await asyncio.sleep(0.01)
            async with http.post(url + PATH, data=json.dumps({"type": "message", "n": 2})) as busy:
                assert busy.status == 503 and busy.headers["Retry-After"] == "1"
            async with http.get(url + "/healthz") as health:
                assert health.status == 200
            release.set()
            async with await first as done:
                assert done.status == 200
    finally:
        await runner.cleanup()
    assert reached == [{"type": "message", "n": 1}]
