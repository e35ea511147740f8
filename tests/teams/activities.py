"""Activities as Teams sends them to POST /api/messages (the documented shapes), pointing at the fake connector."""

import itertools

import aiohttp

ALICE_AAD = "a1a1a1a1-0000-4000-8000-000000000001"
ALICE = f"teams:{ALICE_AAD}"
TENANT = "tid-1"
CHAT = "a:1on1-alice"
_ids = itertools.count(1)


def _base(connector, kind: str, *, tz: str | None = "Europe/Berlin") -> dict:
    activity = {
        "type": kind,
        "id": f"in-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": connector.base_url,
        "from": {"id": "29:alice", "name": "Alice", "aadObjectId": ALICE_AAD},
        "recipient": {"id": "28:okrbot", "name": "okrbot"},
        "conversation": {"id": CHAT, "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }
    if tz:
        activity["localTimezone"] = tz
    return activity


def install(connector, **kw) -> dict:
    return {**_base(connector, "installationUpdate", **kw), "action": "add"}


def message(connector, text: str, **kw) -> dict:
    return {**_base(connector, "message", **kw), "text": text}


async def post(bot, activity: dict) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.app_url}/api/messages", json=activity) as resp:
            await resp.read()
            return resp.status
