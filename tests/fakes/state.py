"""Plain records the fake keeps (calls, messages, users) and the id/ts generators. No HTTP in here."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "okrbot-test"
APP_ID = "A0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    """One request the fake received, including failed attempts (status != 200; 0 = connection dropped)."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: float
    warnings: list[str] = field(default_factory=list)
    url: str | None = None  # only set for response_url posts

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


def buttons(message: Message | list[dict]) -> dict[str, str | None]:
    """{action_id: value} of the buttons (and other action elements) in a message's blocks, or in a block list:
    what a test clicks, by the ids the message really rendered."""
    blocks = message.blocks if hasattr(message, "blocks") else message
    return {e["action_id"]: e.get("value") for b in blocks or [] if b["type"] == "actions" for e in b["elements"]}


@dataclass
class Message:
    channel: str
    ts: str
    text: str | None
    blocks: list[dict] | None
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    attachments: list[dict] | None = None
    # One entry per chat.update (or response_url replace_original), in order: {"text", "blocks", "attachments"}.
    # The message fields always hold the latest version; ``original`` keeps what was first posted.
    edits: list[dict] = field(default_factory=list)
    original: dict = field(default_factory=dict)
    deleted: bool = False
    ephemeral_user: str | None = None  # set for chat.postEphemeral / ephemeral response_url posts
    metadata: dict | None = None  # chat.postMessage's `metadata` (event_type, event_payload)

    def to_slack(self) -> dict[str, Any]:
        """The message object as Slack returns it in API responses and interaction payloads."""
        out: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": self.ts,
            "text": self.text or "",
        }
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.attachments is not None:
            out["attachments"] = self.attachments
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True)
class RawAnswer:
    """A fault: answer with this status, content type and body instead of Slack's JSON (a proxy's HTML 503,
    a text/plain error, bad JSON, an ok without fields). `after` runs the call first (the side effect
    happens, as when a proxy mangles a real answer)."""

    status: int
    content_type: str
    body: str
    after: bool = False
    kind: str = "raw"  # or "lose": hold `seconds`, then close the connection without carrying the call out
    seconds: float = 0.0


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str = "Europe/Berlin"
    is_bot: bool = False
    deleted: bool = False
    tz_label: str | None = None
    email: str | None = None

    def to_slack(self, now: float) -> dict[str, Any]:
        # Slack reports the *current* offset, so DST matters; compute it for "now" like Slack does.
        local = datetime.fromtimestamp(now, tz=UTC).astimezone(ZoneInfo(self.tz))
        offset = local.utcoffset()
        profile = {
            "display_name": self.name,
            "display_name_normalized": self.name,
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "team": TEAM_ID,
        }
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label or local.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now),
        }


class Ids:
    """Deterministic, unique ids so test failures are reproducible (no randomness)."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count] = {}
        # Message ts: Slack's ts is "<seconds>.<6 digits>", unique per channel and increasing; we make it
        # globally unique and strictly increasing by stepping 100 microseconds per message.
        self._ts_micros = itertools.count(1_700_000_000_000_100, 100)

    def next(self, prefix: str) -> str:
        n = next(self._counters.setdefault(prefix, itertools.count(1)))
        return f"{prefix}0FAKE{n:05d}"

    def ts(self) -> str:
        micros = next(self._ts_micros)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def trigger_id(self) -> str:
        n = next(self._counters.setdefault("trigger", itertools.count(1)))
        return f"{1000000 + n}.{4200 + n}.fake{n:08x}"
