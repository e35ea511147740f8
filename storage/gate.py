"""The writers' gate: a semaphore whose urgent waiters go first.

On SQLite every write transaction waits its turn behind one gate (storage/db.py). Most of them are work
okrbot does after Slack has its 200 (inbox workers, ticks), but one kind holds up the 200 itself: keeping a
request in the inbox before it is acknowledged. Measured with a backlog (benchmarks/bench_inbox.py), that
put waited behind every queued worker transaction and a thread reply's ack reached Slack's 3 s limit at p99.
Urgent units therefore wait only for the transaction that holds the gate, not for the queue; FIFO holds
within each class, so neither starves the other for long (urgent work is bounded by the inbox's limit).
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Gate:
    def __init__(self, slots: int) -> None:
        self._free = slots
        self._urgent: deque[asyncio.Future] = deque()
        self._normal: deque[asyncio.Future] = deque()

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if self._free > 0 and not self._urgent and not self._normal:
            self._free -= 1
            return
        waiters = self._urgent if urgent else self._normal
        turn = asyncio.get_running_loop().create_future()
        waiters.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the slot, then cancelled before using it: pass it on
            else:
                try:
                    waiters.remove(turn)
                except ValueError:  # already skipped over by a release
                    pass
            raise

    def _release(self) -> None:
        for waiters in (self._urgent, self._normal):
            while waiters:
                turn = waiters.popleft()
                if not turn.done():
                    turn.set_result(None)  # the slot passes straight to the waiter: _free is unchanged
                    return
        self._free += 1
