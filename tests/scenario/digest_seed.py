"""Seed data for digest scenarios: examples/okrs.yaml through the real importer, plus check-ins
recorded straight through storage (the check-in service lives on another branch)."""

from datetime import datetime
from pathlib import Path

import yaml
from sqlmodel import select

from bot.services.okr_io.importer import import_okrs
from storage.models import CheckIn, KeyResult

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"
PEOPLE = {
    "U0ALICE": ("Alice", "Europe/Berlin"),
    "U0BOB": ("Bob", "America/New_York"),
    "U0MANAGER": ("Maya", "Europe/Berlin"),
    "U0CAROL": ("Carol", "America/New_York"),
    "U0DAVE": ("Dave", "America/Los_Angeles"),
    "U0ADMIN": ("Ada", "Europe/Berlin"),
}


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


async def seed(bot, data: dict | None = None) -> None:
    """Import the OKR file into the bot's database and add its people to the fake Slack."""
    for uid, (name, tz) in PEOPLE.items():
        bot.fake.add_user(uid, name, tz=tz)
    report = await import_okrs(bot.db, data or example(), dry_run=False)
    assert report.created


async def kr_id(bot, title_start: str) -> int:
    async with bot.db.transaction() as s:
        krs = (await s.exec(select(KeyResult))).all()
    return next(k.id for k in krs if k.title.startswith(title_start))


async def check_in(bot, kr: int, value: float, at: datetime, confidence: str = "on_track", comment: str = "") -> None:
    """Record a check-in as the check-in service would: a CheckIn row plus the KR's live fields."""
    async with bot.db.transaction() as s:
        row = await s.get(KeyResult, kr)
        s.add(
            CheckIn(
                kr_id=kr,
                author_id=row.owner_id,
                value=value,
                confidence=confidence,
                comment=comment,
                created_at=at,
                prev_value=row.current_value,
                prev_confidence=row.confidence,
            )
        )
        row.current_value, row.confidence, row.last_checkin_at = value, confidence, at


def texts(msg) -> str:
    """Everything a person can read in a message: the fallback plus every text in its blocks."""
    out = [msg.text or ""] if hasattr(msg, "text") else []
    blocks = msg.blocks if hasattr(msg, "blocks") else msg

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)
