"""Activities as Teams sends them to POST /api/messages (the documented shapes), pointing at the fake connector."""

import asyncio
import itertools

import aiohttp

from bot.services.kernel import effects_due

ALICE_AAD = "a1a1a1a1-0000-4000-8000-000000000001"
ALICE = f"teams:{ALICE_AAD}"
BOB_AAD = "b2b2b2b2-0000-4000-8000-000000000002"
BOB = f"teams:{BOB_AAD}"
TENANT = "tid-1"
CHAT = "a:1on1-alice"
BOB_CHAT = "a:1on1-bob"
CHANNEL = "19:general@thread.tacv2"
BOT = {"id": "28:okrbot", "name": "okrbot"}
_ids = itertools.count(1)


def _base(connector, kind: str, *, tz: str | None = "Europe/Berlin", who: str = "alice") -> dict:
    sender, chat = (
        ({"id": "29:bob", "name": "Bob", "aadObjectId": BOB_AAD}, BOB_CHAT)
        if who == "bob"
        else ({"id": "29:alice", "name": "Alice", "aadObjectId": ALICE_AAD}, CHAT)
    )
    activity = {
        "type": kind,
        "id": f"in-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": connector.base_url,
        "from": sender,
        "recipient": BOT,
        "conversation": {"id": chat, "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }
    if tz:
        activity["localTimezone"] = tz
    return activity


def install(connector, **kw) -> dict:
    return {**_base(connector, "installationUpdate", **kw), "action": "add"}


def message(connector, text: str, **kw) -> dict:
    return {**_base(connector, "message", **kw), "text": text}


def channel_message(connector, text: str, *, mention: bool = True, **kw) -> dict:
    """A message in a team channel; `text` follows the bot's <at> mention when `mention`."""
    activity = _base(connector, "message", **kw)
    activity["conversation"] = {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT, "isGroup": True}
    activity["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": "19:team"}, "channel": {"id": CHANNEL}}
    if mention:
        text = f"<at>okrbot</at> {text}"
        activity["entities"] = [{"type": "mention", "text": "<at>okrbot</at>", "mentioned": BOT}]
    return {**activity, "text": text}


def card_action(connector, action: dict, inputs: dict | None = None, **kw) -> dict:
    """Pressing an Action.Execute button: Teams sends its data with the card's inputs merged in (when associated)."""
    data = {**(inputs if action.get("associatedInputs") == "auto" else {}), **action.get("data", {})}
    value = {"action": {"type": "Action.Execute", "verb": action.get("verb"), "data": data}, "trigger": "manual"}
    return {**_base(connector, "invoke", **kw), "name": "adaptiveCard/action", "value": value}


def card_of(call) -> dict:
    (attachment,) = call.body["attachments"]
    return attachment["content"]


def _walk(items):
    for item in items or []:
        yield item
        for key in ("items", "actions", "columns"):
            yield from _walk(item.get(key))


def buttons(card: dict) -> list[dict]:
    """Every Action.Execute on the card, in order."""
    return [i for i in _walk([*card.get("body", []), *card.get("actions", [])]) if i.get("type") == "Action.Execute"]


def button(card: dict, title: str) -> dict:
    (found,) = [b for b in buttons(card) if b["title"] == title]
    return found


def inputs(card: dict, **typed) -> dict:
    """The card's inputs as Teams submits them: each input's value, with what the person typed over it.

    `typed` keys are the input ids' field part (value, confidence, comment) for a one-KR card.
    """
    values = {i["id"]: i.get("value", "") for i in _walk(card.get("body")) if i.get("type", "").startswith("Input.")}
    for field, text in typed.items():
        (key,) = [k for k in values if k.startswith(f"{field}-")]
        values[key] = text
    return values


async def post(bot, activity: dict) -> int:
    return (await post_json(bot, activity))[0]


async def post_json(bot, activity: dict) -> tuple[int, dict | None]:
    """POST the activity; then wait until the work it left in the durable inbox is done (as Slack requests do), and
    run the effects its check-ins left (posted digests, Home), their delay skipped."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.app_url}/api/messages", json=activity) as resp:
            body = await resp.json() if resp.content_length else None
            status = resp.status
    if bot.inbox is not None:
        await asyncio.wait_for(bot.inbox.wait_idle(), 60)
    await effects_due.flush_now(bot.svc)
    return status, body
