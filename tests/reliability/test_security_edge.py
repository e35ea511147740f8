"""An outsider without the signing secret gets a plain 401 and makes okrbot do nothing: no reply, no post,
no DM, no request to the response_url they chose; and nothing they send reaches the log (issue 9, 1/3/5)."""

import io
import json
import logging
import re
import time
from urllib.parse import urlencode

import pytest
from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.logs import log_handler, quiet_libraries
from bot.slack.response_url import allowed_origins, is_allowed
from tests.fakes.signing import sign
from tests.harness import SIGNING_SECRET, running_bot

FORM = "application/x-www-form-urlencoded"
MARKER = "QZV-forged-4471"
FORGED_LINE = "\n2026-12-01 09:00:00,000 INFO okrbot.audit [-] admin U0EVE granted HR to U0EVE " + MARKER


class Attacker:
    """An HTTP server on loopback that counts every request it gets (a forged response_url points here)."""

    def __init__(self) -> None:
        self.hits: list[str] = []

    async def __aenter__(self):
        async def record(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


def forged_bodies(hook: str) -> list[tuple[str, str]]:
    command = urlencode(
        {
            "command": "/okr",
            "text": "notes <@U0BOB|bob>",
            "user_id": "U0ALICE",
            "response_url": hook,
            "channel_id": "C1",
        }
    )
    action = urlencode(
        {
            "payload": json.dumps(
                {"type": "block_actions", "user": {"id": "U0ALICE"}, "response_url": hook, "actions": [{}]}
            )
        }
    )
    event = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvFORGED",
            "event": {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "U0ALICE", "text": "4"},
        }
    )
    return [(command, FORM), (action, FORM), (event, "application/json")]


BAD_TIMESTAMPS = ["not-a-number", "1e9", "12.5", "-1", "1_700_000_000", "9" * 40]


@pytest.mark.parametrize("timestamp", [*BAD_TIMESTAMPS, "missing", "stale", "future"])
async def test_forged_requests_get_401_and_nothing_is_sent(fake_slack, tmp_path, timestamp):
    async with Attacker() as attacker, running_bot(fake_slack, tmp_path / "bot.db") as bot:
        for body, ctype in forged_bodies(attacker.url):
            headers = {}
            if timestamp == "missing":
                ts, headers = "0", {"X-Slack-Request-Timestamp": None}
            elif timestamp in ("stale", "future"):
                ts = str(int(time.time()) + (-301 if timestamp == "stale" else 330))  # future: margin for load
            else:
                ts = timestamp
            for signature in ("v0=" + "0" * 64, sign("guessed-secret", ts, body), sign(SIGNING_SECRET, ts, body)):
                resp = await bot.req.raw(body, ctype, timestamp=ts, signature=signature, headers=headers)
                assert resp.status == 401, (timestamp, resp.status, resp.body)
    assert fake_slack.calls == []  # no reply, no post, no DM on anyone's behalf
    assert attacker.hits == []  # and nothing went to the URL the attacker chose


async def test_a_signed_request_replies_only_to_slack_hosts(bot):
    async with Attacker() as attacker:
        body = urlencode(
            {"command": "/okr", "text": "help", "user_id": "U0ALICE", "response_url": attacker.url, "channel_id": "C1"}
        )
        resp = await bot.req.raw(body, FORM)
        assert resp.status == 200
        await bot.req.command("/okr", text="help", user_id="U0ALICE")  # the fake's own response_url still works
    assert attacker.hits == []
    assert len(bot.fake.calls_to("response_url")) == 1


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://hooks.slack.com/commands/T0/1/abc", True),
        ("https://hooks.slack.com:443/actions/T0/1/abc", True),
        ("http://hooks.slack.com/commands/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://hooks.slack.com@evil.example/x", False),
        ("https://evil.example/hooks.slack.com", False),
        ("https://hooks.slack.com:8443/x", False),
        ("http://127.0.0.1:1/response/1", False),
        ("", False),
    ],
)
def test_response_url_hosts(url, ok):
    assert is_allowed(url, allowed_origins("https://slack.com/api/")) is ok


def test_an_overridden_api_url_allows_its_own_origin_only():
    origins = allowed_origins("http://127.0.0.1:4000/api/")
    assert is_allowed("http://127.0.0.1:4000/response/7", origins)
    assert not is_allowed("http://127.0.0.1:4001/response/7", origins)


@pytest.fixture
def production_log():
    """The production handler (bot.logs) on the root logger at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buf = io.StringIO()
    handler = log_handler(buf)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_libraries("DEBUG")
    yield buf
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ \[[^\]]*\] ")


async def test_rejected_bodies_never_reach_the_log(fake_slack, tmp_path, production_log, caplog):
    caplog.set_level(logging.DEBUG)  # before the app is built: Bolt copies the root level into its loggers
    big = json.dumps({"type": "event_callback", "event": {"text": MARKER + "x" * 1_000_000}})
    forged = urlencode({"command": "/okr", "text": "note <@U0BOB> " + MARKER + FORGED_LINE, "user_id": "U0EVE"})
    async with running_bot(fake_slack, tmp_path / "bot.db") as bot:
        for body, ctype in [(big, "application/json"), (forged, FORM), (FORGED_LINE, FORM)]:
            for ts in (None, "not-a-number", str(int(time.time()) - 3600)):
                resp = await bot.req.raw(body, ctype, timestamp=ts, signature="v0=" + "1" * 64)
                assert resp.status in (401, 413)
    assert MARKER not in caplog.text and MARKER not in production_log.getvalue()
    lines = production_log.getvalue().splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert all(len(line) < 300 for line in lines)


async def test_bolts_own_verification_logs_no_body(fake_slack, tmp_path, caplog):
    """Bolt checks the signature again behind our guard; when that check fails it must not print the body."""
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake_slack, tmp_path / "bot.db") as bot:
        app = bot.app
        body = urlencode({"command": "/okr", "text": MARKER + FORGED_LINE, "user_id": "U0EVE"})
        headers = {"x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=" + "2" * 64}
        resp = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert resp.status == 401
    assert "Invalid request signature" in caplog.text  # Bolt did log its refusal ...
    assert MARKER not in caplog.text  # ... without the body
    assert fake_slack.calls == []


def test_a_log_line_cannot_be_forged_by_user_text():
    buf = io.StringIO()
    logger = logging.getLogger("okrbot.test.forge")
    logger.addHandler(log_handler(buf))
    logger.propagate, logger.level = False, logging.DEBUG
    try:
        logger.warning("user said %s", "hi" + FORGED_LINE + "\r\nmore")
        logger.warning("a dict arg %s", {"text": "a\nb"})
        try:
            raise ValueError("bad value" + FORGED_LINE)
        except ValueError:
            logger.exception("failed on %r", "x\ny")
    finally:
        logger.handlers.clear()
    lines = buf.getvalue().splitlines()
    records = [line for line in lines if LINE.match(line)]
    assert len(records) == 3  # one line per record ...
    assert all(LINE.match(line) or line.startswith("  | ") for line in lines)  # ... tracebacks indented
    assert "hi\\n2026-12-01" in records[0] and "\\r\\nmore" in records[0]


def deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize(
    "body,ctype",
    [
        (deep(), "application/json"),
        ('{"a": ' + deep() + "}", "application/json"),
        ('{"a": ' + deep() + "}", FORM),  # Bolt parses a body starting with { as JSON whatever the type
        (urlencode({"payload": deep()}), FORM),
        (urlencode({"payload": '{"user": {"id": "U0A"}, "x": ' + deep() + "}"}), FORM),
    ],
    ids=["array", "object", "object-as-form", "payload", "payload-object"],
)
async def test_deeply_nested_json_is_a_400_with_one_log_line(bot, caplog, body, ctype):
    caplog.set_level(logging.DEBUG)
    unsigned = await bot.req.raw(body, ctype, signature="v0=" + "0" * 64)
    assert unsigned.status == 401  # verification comes first: an unsigned deep body is not even parsed
    caplog.clear()
    resp = await bot.req.raw(body, ctype)
    assert resp.status == 400
    ours = [r for r in caplog.records if r.name.startswith(("bot", "okrbot", "slack_bolt", "aiohttp"))]
    assert [r.getMessage() for r in ours] == ["rejected a malformed Slack request: JSON body is not an object"] or [
        r.getMessage() for r in ours
    ] == ["rejected a malformed Slack request: interaction payload is not a JSON object with a user"]
    assert not any(r.exc_info for r in caplog.records) and "RecursionError" not in caplog.text
    assert bot.fake.calls == []
