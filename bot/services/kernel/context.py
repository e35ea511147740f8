"""What every service needs, built once by bot.app and handed down."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.services.kernel.ports import Directory, Notifier
from storage.db import Database


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    db: Database
    notifier: Notifier
    directory: Directory
    admins: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins
