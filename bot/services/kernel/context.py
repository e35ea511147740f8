"""What every service needs, built once by bot.app (the composition root) and handed down.

The three plug-in lists are wired there too, so the dispatchers that run them (kernel.inbox,
kernel.tick, checkins.effects) import no feature: adding a feature never edits a dispatcher.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.services.kernel.ports import Directory, Notifier
from storage.db import Database


def utcnow() -> datetime:
    return datetime.now(UTC)


# A DM-thread route gets (svc, DmMessage) and returns True when the message was in one of its threads.
Route = Callable[["Services", Any], Awaitable[bool]]
# A tick step gets (svc, at) and returns one report line per thing it did.
Step = Callable[["Services", datetime], Awaitable[list[str]]]


@dataclass(frozen=True)
class Effect:
    """An after-check-in effect, coalesced (kernel.effects_due): `targets(session, user_id=..., kr_ids=...,
    now=...)` names, inside the check-in's transaction, what it made stale (e.g. a person, a team); `run(svc,
    target)` later brings one target up to date, best effort, at most once per few seconds however many check-ins
    marked it."""

    name: str  # the key prefix in effect_due, e.g. "home"
    targets: Callable[..., Awaitable[Iterable[str]]]
    run: Callable[["Services", str], Awaitable[None]]


@dataclass
class Services:
    db: Database
    notifier: Notifier
    directory: Directory
    admins: frozenset[str] = frozenset()
    hr: frozenset[str] = frozenset()  # OKRBOT_HR: may read/write review notes about anyone but themselves
    clock: Callable[[], datetime] = field(default=utcnow)
    routes: tuple[Route, ...] = ()  # asked in order by kernel.inbox
    tick_steps: tuple[Step, ...] = ()  # run in order by kernel.tick
    after_checkin: tuple[Effect, ...] = ()  # marked by checkins.effects, run by kernel.effects_due

    def now(self) -> datetime:
        return self.clock()

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins
