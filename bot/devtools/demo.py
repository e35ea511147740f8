"""`okrbot demo`: one OKR week against a local Slack stand-in, printed as people would read it.

Runs the real app (bot.app.build_app behind its aiohttp server, via tests.harness) against
tests/fakes' FakeSlack, with a temporary SQLite database and examples/okrs.yaml. tests/ ships
with the repository checkout, so the demo imports the fake from there rather than packaging it.
Until the check-in loop lands, the week's check-ins are recorded straight into storage
(demo data only; services have no demo code paths).
"""

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "okrs.yaml"
NAMES: dict[str, str] = {}
WEEK = [
    ("Monday 10:00 in each owner's timezone: check-in prompts", [(2027, 1, 4, 9), (2027, 1, 4, 15), (2027, 1, 4, 18)]),
    ("Tuesday: nudges for anyone who has not answered", [(2027, 1, 5, 10), (2027, 1, 5, 18)]),
    ("Thursday 15:00 New York: Platform's digest", [(2027, 1, 7, 20)]),
    ("Friday 16:00 Berlin: Growth's digest and Maya's manager digest", [(2027, 1, 8, 15)]),
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


def _use_checkout() -> None:
    """The fake Slack lives in the checkout's tests/, which is not an installed package."""
    import sys

    if not (ROOT / "tests" / "fakes").is_dir():
        raise SystemExit("okrbot demo runs from a source checkout (it needs tests/fakes and examples/).")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


async def run_demo(out=print) -> None:
    _use_checkout()
    from tests.fakes.slack_api import FakeSlack

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
    from bot.services.importer import import_okrs
    from tests.harness import running_bot

    async with running_bot(fake, db_path) as bot:
        report = await import_okrs(bot.db, data, dry_run=False)
        out(f"Imported examples/okrs.yaml: {report.summary()}\n")
        seen = 0
        for title, instants in WEEK:
            if title.startswith("Thursday"):
                await _week_checkins(bot)
            out(f"=== {title} ===")
            for parts in instants:
                await bot.tick(datetime(*parts, tzinfo=UTC))
            seen = _print_new(fake, where, seen, out)
        out("=== Maya replies in Bob's review thread ===")
        await _review_reply(bot, fake)
        _print_new(fake, where, seen, out)


def _print_new(fake, where, seen: int, out) -> int:
    messages = fake.messages()
    for message in messages[seen:]:
        out(show(message, where, NAMES))
    if len(messages) == seen:
        out("    (nothing was due)\n")
    return len(messages)


async def _week_checkins(bot) -> None:
    from tests.scenario.digest_seed import check_in, kr_id

    at = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)
    await check_in(bot, await kr_id(bot, "Activation"), 34, at, "on_track", "New welcome email is live")
    await check_in(bot, await kr_id(bot, "Deploys per week"), 14, at, "at_risk", "Waiting on the CI upgrade")


async def _review_reply(bot, fake) -> None:
    bob = next(
        m for m in fake.messages("U0MANAGER") if "*Bob*" in (m.blocks or [{}])[0].get("text", {}).get("text", "")
    )
    await bot.req.message_im("U0MANAGER", "Bob unblocked the setup work this week.", thread_ts=bob.ts)
