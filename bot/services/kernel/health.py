"""Is okrbot able to keep what it acknowledges? /healthz asks this, so a load balancer or an orchestrator
takes an instance whose database cannot be written out of service instead of letting it ack and lose work."""

import logging
import time
from dataclasses import dataclass, field

from storage.db import Database

log = logging.getLogger(__name__)
CACHE_SECONDS = 2.0  # probes come every few seconds; one write probe per window is plenty


@dataclass
class WriteHealth:
    """The database's write health, probed at most once per CACHE_SECONDS."""

    db: Database
    clock: object = field(default=time.monotonic)
    _checked_at: float | None = None
    _problem: str | None = None

    async def problem(self) -> str | None:
        """None when a write would succeed now, else a short reason fit for a probe's response."""
        now = self.clock()
        if self._checked_at is None or now - self._checked_at >= CACHE_SECONDS:
            self._problem = await self._probe()
            self._checked_at = self.clock()
        return self._problem

    async def _probe(self) -> str | None:
        try:
            await self.db.probe_write()
        except Exception as exc:  # any failure means "cannot keep work": report it, never raise from a probe
            log.warning("healthz: the database cannot be written (%s)", type(exc).__name__)
            return "the database cannot be written"
        return None
