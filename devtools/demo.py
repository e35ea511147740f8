"""The demo (`bash scripts/demo.sh`): one OKR week against a local Slack stand-in, printed as people read it.

Source checkout only: devtools/ is not in the wheel, so nothing installed imports tests/. It runs the
real app (bot.app.build_app behind its aiohttp server, via tests.harness) against tests/fakes'
FakeSlack, with a temporary SQLite database and examples/okrs.yaml.
Every step goes through the same paths as production: ticks at fixed instants, and people's
answers as signed Slack requests into the real HTTP endpoint. Services have no demo branches.
"""

import re
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from bot.services.okr_io.importer import import_okrs
from tests.fakes.slack_api import FakeSlack
from tests.harness import running_bot

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "okrs.yaml"
NAMES: dict[str, str] = {}
# The story's days; the scheduler ticks every 30 minutes through each, as `okrbot run` would every minute.
WEEK = [
    ("Monday: check-in prompts at 10:00 in each owner's own timezone", date(2027, 1, 4)),
    (
        "Tuesday: Platform's (biweekly) prompts at 09:30, and one nudge for anyone who has not answered",
        date(2027, 1, 5),
    ),
    ("Wednesday", date(2027, 1, 6)),
    ("Thursday: Platform's digest at 15:00 New York, and Carol's manager digest", date(2027, 1, 7)),
    ("Friday: Growth's digest at 16:00 Berlin, and Maya's manager digest", date(2027, 1, 8)),
]


def readable(text: str, names: dict[str, str] | None = None) -> str:
    """mrkdwn as a person reads it: entities decoded, user mentions shown as @name."""
    text = re.sub(r"<@([A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + (names or {}).get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block_text(block: dict) -> list[str]:
    if block.get("type") in ("header", "section"):
        return [block.get("text", {}).get("text", "")]
    if block.get("type") == "context":
        return [e.get("text", "") for e in block.get("elements", [])]
    if block.get("type") == "actions":
        return ["[" + "] [".join(e.get("text", {}).get("text", "") for e in block.get("elements", [])) + "]"]
    if block.get("type") == "divider":
        return ["────────"]
    return []


def show(message, where: dict[str, str], names: dict[str, str] | None = None) -> str:
    lines = [t for b in (message.blocks or []) for t in _block_text(b)] or [message.text or ""]
    head = where.get(message.channel, message.channel) + (" (in thread)" if message.thread_ts else "")
    body = "\n".join("    " + line for line in readable("\n".join(lines), names).splitlines())
    return f"{head} · okrbot:\n{body}\n"


async def run_demo(out=print) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    names = {p["id"]: p.get("name", p["id"]) for p in data["people"]}
    NAMES.update(names)
    where = {t["channel"]: f"#{t['name'].lower()}" for t in data["teams"]}
    where |= {"D" + pid[1:]: f"DM to {name}" for pid, name in names.items()}
    async with FakeSlack() as fake:
        for p in data["people"]:
            fake.add_user(p["id"], p.get("name"), tz=p.get("tz", "UTC"))
        with tempfile.TemporaryDirectory() as tmp:
            await _week(fake, Path(tmp) / "demo.db", data, where, out)


async def _week(fake, db_path: Path, data: dict, where: dict[str, str], out) -> None:
    async with running_bot(fake, db_path) as bot:
        report = await import_okrs(bot.db, data, dry_run=False)
        out(f"Imported examples/okrs.yaml: {report.summary()}\n")
        seen = 0
        for title, day in WEEK:
            out(f"=== {title} ===")
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            for half_hours in range(48):
                await bot.tick(midnight + timedelta(minutes=30 * half_hours))
            seen = _print_new(fake, where, seen, out)
            if day.weekday() == 0:
                out("=== Monday evening: Alice and Dave answer in their prompt threads ===")
                for user, text in REPLIES:
                    await _reply_in_prompt(bot, fake, user, text, out)
                seen = _print_new(fake, where, seen, out)
        out("=== Maya replies in Bob's review thread ===")
        await _review_reply(bot, fake, out)
        _print_new(fake, where, seen, out)


# Scripted answers, sent exactly as Slack would deliver them: signed message.im events in the thread.
REPLIES = [
    ("U0ALICE", "1: 34 on track - new welcome email is live\n2: 4.2, at risk, pricing page still old"),
    ("U0DAVE", "1: 7.5 at risk, waiting on the CI upgrade\n2: 8 on track"),
]


def _print_new(fake, where, seen: int, out) -> int:
    messages = fake.messages()
    for message in messages[seen:]:
        out(show(message, where, NAMES))
    if len(messages) == seen:
        out("    (nothing was due)\n")
    return len(messages)


async def _reply_in_prompt(bot, fake, user: str, text: str, out) -> None:
    prompt = fake.messages(user)[0]
    bot.svc.clock = lambda: datetime(2027, 1, 4, 21, 0, tzinfo=UTC)  # Monday evening, after every prompt
    out(f"{NAMES.get(user, user)} replies in the thread:\n    {text.replace(chr(10), chr(10) + '    ')}\n")
    await bot.req.message_im(user, text, thread_ts=prompt.ts)


async def _review_reply(bot, fake, out) -> None:
    bob = next(
        m for m in fake.messages("U0MANAGER") if "*Bob*" in (m.blocks or [{}])[0].get("text", {}).get("text", "")
    )
    text = "Bob unblocked the setup work this week."
    out(f"Maya replies in Bob's review thread (private):\n    {text}\n")
    await bot.req.message_im("U0MANAGER", text, thread_ts=bob.ts)


def main() -> None:
    import asyncio
    import logging

    logging.basicConfig(level=logging.WARNING)  # the story is the output; problems still show
    asyncio.run(run_demo())


if __name__ == "__main__":
    main()
