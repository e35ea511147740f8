"""`okrbot demo --platform teams`: one OKR week on Microsoft Teams, printed as people read it in their chats.

Source checkout only (devtools/ is not in the wheel). It runs the real app for Teams alone (no Slack settings:
bot.app.build_app behind its aiohttp server, via tests.harness) against tests/fakes' FakeConnector, with a
temporary SQLite database. People install the app, answer in plain words and are read back exactly as Teams
would deliver them: Bot Framework activities posted to the real POST /api/messages. Each Adaptive Card okrbot
sends is shown as text: its lines, its inputs as [label: value] and its buttons as [title].
"""

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.services.okr_io.importer import import_okrs
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_connector import FakeConnector
from tests.harness import running_bot

TENANT = "tid-demo"
CHANNEL = "19:growth@thread.tacv2"
PEOPLE = {  # Entra object id -> (name, zone)
    "a1a1a1a1-0000-4000-8000-000000000001": ("Alice", "Europe/Berlin"),
    "b2b2b2b2-0000-4000-8000-000000000002": ("Bob", "America/New_York"),
    "c3c3c3c3-0000-4000-8000-000000000003": ("Maya", "Europe/Berlin"),
}
ALICE, BOB, MAYA = (f"teams:{aad}" for aad in PEOPLE)
OKRS = {
    "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
    "teams": [
        {
            "name": "Growth",
            "platform": "teams",
            "channel": CHANNEL,
            "timezone": "Europe/Berlin",
            "managers": [MAYA],
            "members": [ALICE, BOB],
            "checkin": {"day": "monday", "time": "10:00"},
            "digest": {"day": "friday", "time": "16:00"},
        }
    ],
    "people": [{"id": f"teams:{aad}", "name": name, "tz": tz} for aad, (name, tz) in PEOPLE.items()],
    "objectives": [
        {
            "title": "Make onboarding effortless",
            "team": "Growth",
            "key_results": [
                {"title": "Activation rate from 30% to 45%", "owner": ALICE, "start": 30, "target": 45, "unit": "%"},
                {"title": "Ship the guided setup", "owner": BOB, "kind": "binary"},
            ],
        }
    ],
}
WEEK = [
    ("Monday: the check-in prompt at 10:00 in each person's own timezone, in their 1:1 chat", date(2027, 1, 4)),
    ("Tuesday: a nudge for anyone who has not answered", date(2027, 1, 5)),
    ("Wednesday", date(2027, 1, 6)),
    ("Thursday", date(2027, 1, 7)),
    ("Friday: Growth's digest at 16:00 Berlin in its channel, and Maya's manager digest", date(2027, 1, 8)),
]


def _activity(connector, kind: str, aad: str, **extra) -> dict:
    name, tz = PEOPLE[aad]
    return {
        "type": kind,
        "id": f"demo-{kind}-{name}-{extra.pop('n', 0)}",
        "channelId": "msteams",
        "serviceUrl": connector.base_url,
        "from": {"id": f"29:{name.lower()}", "name": name, "aadObjectId": aad},
        "recipient": {"id": "28:okrbot", "name": "okrbot"},
        "conversation": {"id": f"a:1on1-{name.lower()}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "localTimezone": tz,
        **extra,
    }


def _team_install(connector) -> dict:
    aad = next(iter(PEOPLE))
    activity = _activity(connector, "installationUpdate", aad, action="add")
    activity["conversation"] = {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT, "isGroup": True}
    activity["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": CHANNEL, "name": "Growth"}}
    return activity


def _element(item: dict) -> list[str]:
    kind = item.get("type", "")
    if kind == "RichTextBlock":
        return ["".join(i.get("text", "") for i in item.get("inlines", []))]
    if kind == "TextBlock":
        return [item.get("text", "")]
    if kind.startswith("Input."):
        value = item.get("value", "")
        titles = {c.get("value"): c.get("title") for c in item.get("choices", [])}
        return [f"[{item.get('label', item.get('id'))}: {titles.get(value, value)}]"]
    if kind == "ActionSet":
        return ["[" + "] [".join(a.get("title", "") for a in item.get("actions", [])) + "]"]
    return [line for child in item.get("items", []) for line in _element(child)]


def card_text(activity: dict) -> list[str]:
    """An activity as a person reads it: the card's lines, inputs and buttons; or the plain text."""
    cards = [a["content"] for a in activity.get("attachments") or [] if "adaptive" in a.get("contentType", "")]
    if not cards:
        return (activity.get("text") or "").splitlines()
    lines = [line for card in cards for item in card.get("body", []) for line in _element(item)]
    actions = [a.get("title", "") for card in cards for a in card.get("actions") or []]
    return lines + (["[" + "] [".join(actions) + "]"] if actions else [])


def _where(path: str) -> str:
    conversation = path.split("/")[3]
    if conversation == CHANNEL:
        return "Growth channel (Teams)"
    return f"{conversation.removeprefix('a:1on1-').capitalize()}'s chat with okrbot"


def _print_new(connector, seen: int, out) -> int:
    calls = [c for c in connector.calls if c.method in ("POST", "PUT") and "/activities" in c.path]
    for call in calls[seen:]:
        edited = " (updated in place)" if call.method == "PUT" else ""
        body = "\n".join("    " + line for line in card_text(call.body or {}))
        out(f"{_where(call.path)}{edited} · okrbot:\n{body}\n")
    if len(calls) == seen:
        out("    (nothing was due)\n")
    return len(calls)


async def _say(bot, connector, aad: str, text: str, out, n: int) -> None:
    from tests.teams.activities import post

    out(f"{PEOPLE[aad][0]} writes in the chat:\n    {text}\n")
    assert await post(bot, _activity(connector, "message", aad, text=text, n=n)) == 200


async def run_teams_demo(out=print) -> None:
    settings = {"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None, "TEAMS_ALLOW_UNAUTHENTICATED": "true"}
    async with FakeSlack() as fake_slack:  # the harness's settings name one; Teams alone never calls it
        connector = FakeConnector()
        await connector.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                async with running_bot(fake_slack, Path(tmp) / "demo.db", **settings) as bot:
                    await _week(bot, connector, out)
        finally:
            await connector.stop()


async def _week(bot, connector, out) -> None:
    from tests.teams.activities import post

    report = await import_okrs(bot.db, OKRS, dry_run=False)
    out(f"Imported the Growth team (platform: teams): {report.summary()}\n")
    out("Alice, Bob and Maya add okrbot in Teams; a manager adds it to the Growth team.\n")
    for aad in PEOPLE:
        await post(bot, _activity(connector, "installationUpdate", aad, action="add"))
    await post(bot, _team_install(connector))
    seen = 0
    for title, day in WEEK:
        out(f"=== {title} ===")
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for half_hours in range(48):
            await bot.tick(midnight + timedelta(minutes=30 * half_hours))
        seen = _print_new(connector, seen, out)
        if day.weekday() == 0:
            out("=== Monday evening: Alice answers her prompt in plain words ===")
            bot.svc.clock = lambda: datetime(2027, 1, 4, 21, 0, tzinfo=UTC)
            await _say(bot, connector, next(iter(PEOPLE)), "34, on track, new welcome email is live", out, 1)
            seen = _print_new(connector, seen, out)


def main() -> None:
    import asyncio
    import logging
    import warnings

    warnings.simplefilter("ignore")  # the Teams SDK's preview and deprecation notices are not the story
    logging.basicConfig(level=logging.ERROR)  # the story is the output (Teams' local-testing warning included)
    asyncio.run(run_teams_demo())


if __name__ == "__main__":
    main()
