"""The Bolt side of the durable inbox: keep a request before Slack gets its 200, do its work later.

A deferred listener acks, commits the verified request body to the inbox, and returns; Bolt
(always run with process_before_response) answers Slack only after that commit, so once Slack
has its 200 the work survives SIGTERM, SIGKILL and a database restart. Inbox workers replay
the kept body through the same Bolt app with a replay flag in the context, so the very same
listener then runs its work, with Bolt's own argument injection, `respond` and error handler.

Puts are group-committed (bot.services.kernel.inbox_puts): the requests waiting to be kept at the same
moment share one transaction, each still answered on its own and only after that commit.

A listener that opens a modal is wrapped in `after_ack` instead: it keeps nothing, acks, and the inbox
worker runs it again straight after the 200 (`soon`), in memory, not behind the queue.

Workers are fair between people: they take the oldest item of each person ("lane") in turn,
one item per person at a time, so a burst from one person delays only that person, and one
person's replies are applied in the order they were sent.
"""

import asyncio
import contextlib
import functools
import inspect
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.logs import correlation_id
from bot.services.kernel import effects_due, inbox_puts, inbox_store
from bot.services.kernel.context import Services
from bot.services.kernel.front_door import FrontDoor

log = logging.getLogger(__name__)

REPLAY = "okrbot_inbox_replay"  # context flag: this dispatch is a worker replaying a kept request
INBOX = "okrbot_inbox"  # context key: the InboxWorker that keeps requests
SOON = "okrbot_inbox_soon"  # context flag: this dispatch is the run, straight after the ack, of an after_ack listener
# Bolt context key set by the HTTP endpoint (bot.app): callables to start once the response has been written.
AFTER_RESPONSE = "okrbot_after_response"
OUTCOME = "okrbot_inbox_outcome"  # set by a replayed listener that failed: "retry" or the error's class name
# Items taken up at once while requests are being answered (bot.services.kernel.front_door): acks go first, and
# the work still moves on under a long burst. One is enough: its Slack calls leave the loop free meanwhile.
WHILE_BUSY = 1
# Seconds to the next look at the queue after one that found work (doubling to poll_seconds while none comes).
FIRST_LOOK = 0.05
MAX_ATTEMPTS = 200  # tries of an item that keeps meeting "database away" before it is given up (logged)
# Replays a kept request of another platform (payload["platform"]); returns None, "retry" or the error's class
# name, as OUTCOME does. The composition root adds one per platform (bot.platforms: Teams); Slack's is Bolt.
Replayer = Callable[[dict], Awaitable[str | None]]


def request_key(body: dict) -> str:
    """The request's Slack identity: a redelivered event or a replayed click maps to the same key."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):  # commands, block actions, view submissions: one trigger per interaction
        return f"{body.get('type') or 'command'}:{body['trigger_id']}"
    actions = body.get("actions") or [{}]
    return f"{body.get('type', '')}:{(body.get('user') or {}).get('id', '')}:{actions[0].get('action_ts', '')}"


def request_lane(body: dict) -> str:
    """Whose request this is, for fairness: the person, whichever shape the body has."""
    event = body.get("event") or {}
    user = (body.get("user") or {}).get("id") or body.get("user_id") or event.get("user")
    return str(user or (event.get("message") or {}).get("user") or "-")[:64]


Precheck = Callable[[dict], dict[str, str] | None]


def deferred(fn: Callable[..., Awaitable[None]], *, precheck: Precheck | None = None):
    """Wrap a listener so its work runs from the inbox. `fn` must take `body` and `context`.

    `precheck(body)` may return modal field errors, found from the payload alone (no database or
    Slack call before the ack); they are shown in the modal instead of keeping the request.
    Bolt injects arguments by the names of `fn`'s parameters (it unwraps functools.wraps).
    """

    @functools.wraps(fn)
    async def listener(**kw) -> None:
        context = kw["context"]
        if context.get(REPLAY):
            await _run_replayed(fn, kw)
            return
        ack = kw.get("ack")
        errors = precheck(kw["body"]) if precheck else None
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        if ack is not None:
            await ack()
        await context[INBOX].keep(kw["body"])

    return listener


def after_ack(fn: Callable[..., Awaitable[None]]):
    """Wrap a listener that opens a modal: ack at once, then run `fn` straight after the 200, ahead of the queue.

    A trigger_id expires 3 s after the click, so the modal cannot wait behind the inbox's backlog, and the ack
    cannot wait for the database reads that fill the modal (nothing touches the database or Slack before the
    ack). Nothing is kept: a modal whose trigger has expired is worth nothing after a restart. `fn` runs in its
    own dispatch through Bolt (InboxWorker.soon), so its errors reach the one error handler, which tells the
    person. `fn` must take `body` and `context`.
    """

    missing = {"ack", "body", "context"} - set(inspect.signature(fn).parameters)
    if missing:  # Bolt passes only the arguments `fn` names; without these the wrapper could not do its part
        raise TypeError(f"{fn.__name__} must take {', '.join(sorted(missing))}")

    @functools.wraps(fn)
    async def listener(**kw) -> None:
        context = kw["context"]
        if kw.get("ack") is not None:
            await kw["ack"]()  # on the run after the ack too: Bolt expects it (Slack was answered already)
        if context.get(SOON):
            await fn(**kw)
            return
        context[INBOX].soon(kw["body"], context)

    return listener


async def _run_replayed(fn, kw: dict) -> None:
    context = kw["context"]
    if kw.get("ack") is not None:
        await kw["ack"]()  # Bolt expects every interaction to be acked; Slack was answered long ago
    try:
        await fn(**kw)
    except Exception as exc:
        if inbox_store.is_transient(exc):
            context[OUTCOME] = "retry"  # the database (or Slack) is away: try again later, tell nobody yet
            log.warning("inbox item will be retried: %s", type(exc).__name__)
            return
        context[OUTCOME] = type(exc).__name__
        raise  # the one error handler tells the person


class InboxWorker:
    """Keeps requests and works through the inbox: a bounded number at a time, fair between people."""

    def __init__(
        self,
        app: AsyncApp | None,
        svc: Services,
        *,
        concurrency: int = 8,
        limit: int = 10_000,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 1.0,
    ) -> None:
        self.app, self.svc = app, svc
        self.concurrency, self.limit, self.lease, self.poll = concurrency, limit, lease, poll_seconds
        self._puts = inbox_puts.GroupPuts(svc, limit=limit)  # puts waiting at the same time share one commit
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._running: dict[int, asyncio.Task] = {}
        self._soon: set[asyncio.Task] = set()  # after_ack listeners running now (modals opening), not queued
        self._soon_due = 0  # after_ack runs waiting for their request's response to be written
        self._busy_lanes: set[str] = set()
        self._loop: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None
        self._effects: asyncio.Task | None = None
        self._effects_wake = asyncio.Event()  # set when an item is done: it may have marked an effect
        self._stopping = False
        self._claiming = 0
        self._finished: list[int] = []  # items whose work is committed, to record done with the next claim
        self._away = False  # the last poll met an unavailable database (logged once)
        self.replayers: dict[str, Replayer] = {}  # platform -> its replay (None: Slack's, through Bolt)
        self.front_door = FrontDoor()  # counted by the web server (bot.app.build_web); quiet: take up the rest
        self.front_door.on_quiet(self._wake.set)

    async def keep(self, body: dict) -> None:
        """Commit a verified request (before the 200); a redelivery of one already kept is dropped."""
        await self.keep_item(key=request_key(body)[:200], lane=request_lane(body), payload={"body": body})

    async def keep_item(self, *, key: str, lane: str, payload: dict) -> bool:
        """Commit any platform's verified request; False for a redelivery of one already kept (dropped)."""
        payload = {**payload, "cid": correlation_id.get()}
        fresh = await self._puts.put(inbox_store.Put(key=key, lane=lane[:64], payload=payload))
        if not fresh:
            log.info("dropped a redelivered request")
        self._wake.set()
        return fresh

    def soon(self, body: dict, context) -> None:
        """Dispatch `body` again (with SOON set) once the response to it has been written: in memory, not queued.

        The HTTP endpoint runs what AFTER_RESPONSE holds once Slack's 200 is written; without it (a direct
        dispatch), the run starts as soon as this request's handling yields, which is after Bolt's ack.
        """
        self._soon_due += 1  # seen by wait_idle from now on, before the 200 is even written
        start = functools.partial(self._start_soon, body)
        later = context.get(AFTER_RESPONSE)
        if later is None:
            start()
        else:
            later.append(start)

    def _start_soon(self, body: dict) -> None:
        self._soon_due -= 1
        task = asyncio.create_task(self._run_soon(body), name="okrbot-after-ack")
        self._soon.add(task)
        task.add_done_callback(self._soon.discard)

    async def _run_soon(self, body: dict) -> None:
        if self.app is None:  # pragma: no cover - a Slack request reached an inbox without Slack
            return
        # The same correlation id as the request's (this task copied its context), and REPLAY: not logged twice.
        request = AsyncBoltRequest(body=body, mode="socket_mode", context={REPLAY: True, SOON: True, INBOX: self})
        try:
            await self.app.async_dispatch(request)
        except Exception:  # Bolt's error handler has had it; this only keeps the task's end quiet
            log.exception("inbox: a listener run after its ack failed")

    @property
    def puts_waiting(self) -> int:
        """Requests waiting for their put's group commit (tests hold the writer and watch this fill)."""
        return self._puts.waiting

    def start(self) -> None:
        """Begin working, starting with whatever an earlier process left unfinished."""
        self._loop = asyncio.create_task(self._work_loop(), name="okrbot-inbox")
        self._heartbeat = asyncio.create_task(self._renew_leases(), name="okrbot-inbox-lease")
        # The check-ins' coalesced effects (Home tabs, posted digests) run beside the inbox, in every process.
        # The check-ins go first, and the requests being answered before them; their refreshes follow.
        busy = lambda: bool(self._running) or self.front_door.busy  # noqa: E731
        runner = effects_due.run_forever(self.svc, owner=self.owner, wake=self._effects_wake, busy=busy)
        self._effects = asyncio.create_task(runner, name="okrbot-effects")

    async def stop(self, *, drain_seconds: float) -> int:
        """Stop taking items, let running ones finish for up to `drain_seconds`; how many were left running.

        Items cut off here stay claimed; their lease lapses and the next start (or another worker) redoes them.
        """
        self._stopping = True
        self._wake.set()
        for task in (self._loop, self._heartbeat, self._effects):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        running = [*self._running.values(), *self._soon]
        if running:
            await asyncio.wait(running, timeout=drain_seconds)
        left = [t for t in running if not t.done()]
        for task in left:
            task.cancel()
        left = [t for t in left if t not in self._soon]  # a modal still opening is not an item left running
        if self._finished:  # their work is committed; unrecorded, a lapsed lease would redo them (recognised)
            with contextlib.suppress(Exception):
                await inbox_store.done_many(self.svc, item_ids=self._finished, owner=self.owner)
            self._finished = []
        return len(left)

    async def wait_idle(self) -> None:
        """Until nothing is running and nothing is ready (tests: a request's effects are all done)."""
        while True:
            if self._running or self._soon:
                await asyncio.wait([*self._running.values(), *self._soon])
                continue
            if self._soon_due:  # its response is being written; the run starts right after
                await asyncio.sleep(0.001)
                continue
            if self._finished and self._loop is None:  # not started: record them here
                finished, self._finished = self._finished, []
                await inbox_store.done_many(self.svc, item_ids=finished, owner=self.owner)
            if self._idle() and not await inbox_store.ready(self.svc, limit=1) and self._idle():
                return  # idle again after the read: a claim that committed during it left an item running
            self._wake.set()
            await asyncio.sleep(0.005)

    def _idle(self) -> bool:
        return not self._claiming and not self._finished and not self._running and not self._soon and not self._soon_due

    async def _work_loop(self) -> None:
        wait = self.poll
        while not self._stopping:
            self._wake.clear()
            try:
                found = await self._take_what_is_ready()
            except Exception as exc:  # the database is away: keep polling; nothing is lost, it is all in the table
                if not inbox_store.is_transient(exc):
                    log.exception("inbox: could not read the queue; retrying")
                elif not self._away:  # one line per outage, not a traceback every poll
                    log.warning("inbox: the database is unavailable (%s); retrying", type(exc).__name__)
                self._away = inbox_store.is_transient(exc)
                found = False
            else:
                self._away = False
            # Items kept by another process (`okrbot serve --web-only` beside `okrbot work`) wake nobody here:
            # look again soon after finding work, then less and less often, up to `poll`, while nothing comes.
            wait = FIRST_LOOK if found else min(wait * 2, self.poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _take_what_is_ready(self) -> bool:
        """Claim what free workers can take (read what is ready, then one write transaction), recording the items
        finished since the last look in that transaction: a reply's "done" costs no transaction of its own.
        True when there was work: something ready, running or just finished."""
        concurrency = min(self.concurrency, WHILE_BUSY) if self.front_door.busy else self.concurrency
        free = concurrency - len(self._running)
        finished, self._finished = self._finished, []
        # The whole look counts as claiming for wait_idle: from here the finished items are held only in this
        # frame, and a `ready` read may be about to claim; "idle" seen meanwhile would be wrong twice over.
        self._claiming += 1
        try:
            if free <= 0 or self._stopping:
                if finished:
                    await inbox_store.done_many(self.svc, item_ids=finished, owner=self.owner)
                return bool(self._running or finished)
            ready = await inbox_store.ready(self.svc, limit=free + len(self._busy_lanes) + 1)  # read: no write lock
            lanes: dict[str, int] = {}
            for item_id, lane in ready:
                if lane not in self._busy_lanes and item_id not in self._running and len(lanes) < free:
                    lanes.setdefault(lane, item_id)
            if not lanes and not finished:
                return bool(ready or self._running)
            claimed = await inbox_store.claim_many(
                self.svc, item_ids=list(lanes.values()), owner=self.owner, lease=self.lease, finished=finished
            )
        except BaseException:
            self._finished[:0] = finished  # recorded with the next look (the work is committed; a lapsed lease
            raise  # would only redo what its route recognises as done)
        finally:
            self._claiming -= 1
        for item in claimed:
            self._busy_lanes.add(item.lane)
            self._running[item.item_id] = asyncio.create_task(self._process(item))
        return True

    async def _process(self, item: inbox_store.Claimed) -> None:
        try:
            outcome = await self._replay(item)
            if outcome == "retry" and item.attempts < MAX_ATTEMPTS:
                # Back off, up to 5 minutes between attempts: about 17 hours of outage before giving up.
                delay = timedelta(seconds=min(5 * item.attempts, 300))
                await inbox_store.retry_later(
                    self.svc, item_id=item.item_id, owner=self.owner, delay=delay, error="database unavailable"
                )
            elif outcome == "retry":
                log.error("inbox: gave up on an item after %d attempts (database unavailable)", item.attempts)
                await inbox_store.done(self.svc, item_id=item.item_id, owner=self.owner, error="gave up: database")
            elif outcome is not None:
                await inbox_store.done(self.svc, item_id=item.item_id, owner=self.owner, error=outcome)
            else:  # its work is committed: recorded done with the next claim (_take_what_is_ready)
                self._finished.append(item.item_id)
        except Exception:  # could not record the outcome: the lease lapses and the item is redone
            log.exception("inbox: could not record an item's outcome")
        finally:
            self._running.pop(item.item_id, None)
            self._busy_lanes.discard(item.lane)
            self._wake.set()
            self._effects_wake.set()

    async def _replay(self, item: inbox_store.Claimed) -> str | None:
        body = item.payload["body"]
        # Each item runs in its own task (its own contextvars), so the log lines of its work carry the
        # original request's correlation id: the ref a person is shown matches the request's log line.
        correlation_id.set(item.payload.get("cid") or "-")
        platform = item.payload.get("platform")
        if platform is not None:
            replay = self.replayers.get(platform)
            if replay is None:  # e.g. restarted without that platform configured: keep it for a start that has it
                log.warning("inbox: a kept %s request waits: %s is not configured", platform, platform)
                return "retry"
            return await replay(body)
        if self.app is None:
            log.warning("inbox: a kept Slack request waits: Slack is not configured")
            return "retry"
        # mode="socket_mode" tells Bolt the body is already verified (it was, before it was kept) and parsed.
        request = AsyncBoltRequest(body=body, mode="socket_mode", context={REPLAY: True, INBOX: self})
        await self.app.async_dispatch(request)
        return request.context.get(OUTCOME)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            with contextlib.suppress(Exception):
                await inbox_store.extend(self.svc, item_ids=list(self._running), owner=self.owner, lease=self.lease)
