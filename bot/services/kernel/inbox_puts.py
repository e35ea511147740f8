"""Group commit of inbox puts: the requests waiting to be kept at the same moment share one transaction.

Every request whose work runs after its ack is committed to the inbox before its 200 (handlers/inbox.py). Kept
one by one, a burst is a queue of BEGIN IMMEDIATE + INSERT + COMMIT behind SQLite's one writer, each paying its
own commit, and the last ack of the burst waits for all of them. Here a put joins the batch that is filling;
one flusher at a time takes every put waiting when it gets the writer (the ones that arrived while the previous
batch committed), writes them with one multi-row INSERT and one commit, and answers each put on its own: kept,
a redelivery (dropped), or refused past the inbox limit. Nobody is answered before the commit.

If the batch fails for a reason that is not "the database is away" (an integrity error, say), its puts are
retried one by one, so one bad put cannot fail the others. A database that is away fails them all: none was
kept, and each request gets its 503 (Slack redelivers events), as it would have alone.
"""

import asyncio
import logging
from dataclasses import dataclass, field

from bot.services.kernel import inbox_store
from bot.services.kernel.context import Services
from bot.services.kernel.inbox_store import Put

log = logging.getLogger(__name__)
MAX_BATCH = 200  # rows per INSERT: 1,000 bound parameters, well inside SQLite's and asyncpg's limits


@dataclass
class _Waiting:
    put: Put
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupPuts:
    """Keeps requests in the inbox, batching the puts that wait at the same time. One per InboxWorker."""

    def __init__(self, svc: Services, *, limit: int) -> None:
        self.svc, self.limit = svc, limit
        self._waiting: list[_Waiting] = []
        self._flusher: asyncio.Task | None = None

    @property
    def waiting(self) -> int:
        """Puts not yet taken into a batch."""
        return len(self._waiting)

    async def put(self, put: Put) -> bool:
        """Committed (True) or a redelivery (False); raises InboxFull past the limit, or the database's error."""
        waiting = _Waiting(put)
        self._waiting.append(waiting)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="okrbot-inbox-puts")
        # shield: a request cancelled while its batch commits must not cancel the batch (the others wait on it)
        return await asyncio.shield(waiting.answer)

    async def _flush(self) -> None:
        while self._waiting:
            await self._write()

    def _take(self) -> list[_Waiting]:
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        return batch

    async def _write(self) -> None:
        batch: list[_Waiting] = []

        def take() -> list[Put]:  # called with the writer held: everyone who queued meanwhile joins
            batch.extend(self._take())
            return [w.put for w in batch]

        try:
            await self._write_batch(batch, take)
        finally:  # cancelled mid-write (shutdown): nobody may wait forever for an answer
            for w in batch:
                _answer(w, RuntimeError("the inbox put was interrupted"))

    async def _write_batch(self, batch: list[_Waiting], take) -> None:
        try:
            answers = await inbox_store.keep_many(self.svc, take=take, limit=self.limit)
        except Exception as exc:
            if len(batch) <= 1 or inbox_store.is_transient(exc):
                for w in batch or self._take():  # failed before take (no writer): answer those it would have taken
                    _answer(w, exc)
                return
            log.warning(
                "inbox: a batch of %d puts failed (%s); keeping them one by one", len(batch), type(exc).__name__
            )
            for w in batch:
                await self._write_one(w)
            return
        for w, answer in zip(batch, answers, strict=True):
            _answer(w, answer)

    async def _write_one(self, w: _Waiting) -> None:
        try:
            p = w.put
            _answer(w, await inbox_store.keep(self.svc, key=p.key, lane=p.lane, payload=p.payload, limit=self.limit))
        except Exception as exc:
            _answer(w, exc)


def _answer(waiting: _Waiting, answer: bool | Exception) -> None:
    if waiting.answer.done():
        return
    if isinstance(answer, Exception):
        waiting.answer.set_exception(answer)
    else:
        waiting.answer.set_result(answer)
