"""How many requests okrbot is answering right now, so that after-ack work gives way to them.

A request's answer (Slack's 200 within 3 seconds, a Teams card's invoke response) shares the event loop, the
CPU and SQLite's one writer with the inbox workers' after-ack work. Under a burst, up to OKRBOT_INBOX_WORKERS
items of work ran between each request and its ack: with 20 requests in flight the ack p99 was 205 ms on a quiet
machine, while each ack costs a few milliseconds of its own (docs/performance.md). So the web server counts the
requests in flight here, and while there are any the inbox takes up at most a few items at a time; when the
door is quiet again it is told (`on_quiet`) and goes back to its full concurrency. A burst waits in the inbox
(committed, so nothing is lost) instead of delaying the acks of the requests behind it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class FrontDoor:
    def __init__(self) -> None:
        self.in_flight = 0
        self._on_quiet: list[Callable[[], None]] = []

    @property
    def busy(self) -> bool:
        return self.in_flight > 0

    def on_quiet(self, callback: Callable[[], None]) -> None:
        """Call `callback` (synchronous, cheap: it sets an event) whenever the last request in flight is answered."""
        self._on_quiet.append(callback)

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one request, from its arrival to its answer."""
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                for callback in self._on_quiet:
                    callback()
