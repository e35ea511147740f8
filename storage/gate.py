"""The writers' gate: a semaphore whose urgent waiters go first.

On SQLite every write transaction waits its turn behind one gate (storage/db.py). Most of them are work
okrbot does after Slack has its 200 (inbox workers, ticks), but one kind holds up the 200 itself: keeping a
request in the inbox before it is acknowledged. Measured with a backlog (benchmarks/bench_inbox.py), that
put waited behind every queued worker transaction and a thread reply's ack reached Slack's 3 s limit at p99.
Urgent units therefore wait only for the transaction that holds the gate, not for the queue; FIFO holds
within each class. So that a long burst of requests cannot starve the workers that do their work (in a
second web worker on PostgreSQL that left the burst's items unclaimed until it ended), every URGENT_RUN urgent
turns in a row are followed by one normal turn when normal units are waiting.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

URGENT_RUN = 4  # urgent turns in a row before a waiting normal unit gets one


class Gate:
    def __init__(self, slots: int) -> None:
        self._free = slots
        self._urgent: deque[asyncio.Future] = deque()
        self._normal: deque[asyncio.Future] = deque()
        self._run = 0  # urgent turns granted in a row while normal units waited

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
        order = (self._urgent, self._normal)
        if self._run >= URGENT_RUN and any(not t.done() for t in self._normal):
            order = (self._normal, self._urgent)
        for waiters in order:
            while waiters:
                turn = waiters.popleft()
                if not turn.done():
                    turn.set_result(None)  # the slot passes straight to the waiter: _free is unchanged
                    self._run = self._run + 1 if waiters is self._urgent and self._normal else 0
                    return
        self._free += 1
        self._run = 0
