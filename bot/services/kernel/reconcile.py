"""Reconcile sends whose outcome was lost, so every ledger-backed message goes out exactly once.

A row is unconfirmed when a crash hit between Slack's answer and the ledger's record (still 'claimed' after
CLAIM_GRACE, longer than any live send can take) or when the call timed out or answered something unreadable
('unknown'). Each such message carried its ledger id as Slack message metadata, so the recipient's latest
messages say what happened: found, the row is recorded sent with its ts (thread replies then find it); not
found, the row is marked failed and the feature's own step sends it again later in the same tick.

Slack allows apps outside its Marketplace 1 conversations.history call a minute (15 messages a call), and
the tick runs once a minute: so one recipient is read per tick, oldest first, and the rest wait, reported.
This is the only place okrbot reads history.
"""

import json
import logging
from datetime import datetime, timedelta

from bot.okr.types import SendKind
from bot.services.kernel.context import Services
from bot.services.kernel.ports import MAYBE_TS, DeliveryFailed
from bot.services.kernel.tick import basics
from storage import ledger, teams
from storage.models import SendLedger

log = logging.getLogger(__name__)
CLAIM_GRACE = timedelta(minutes=15)  # a live send (timeouts, capped 429 waits) ends well before this
LOOKBACK = timedelta(days=2)  # older unconfirmed rows are past every lateness limit
HISTORY_READS_PER_TICK = 1
NOT_FOUND = "not in Slack after an unconfirmed send: sent again"
# Top-level messages only: conversations.history shows no thread replies (nudges), and a manager digest is
# several messages (its review threads are recorded with it), so those two are retried, not looked up.
LOOKED_UP = {SendKind.PROMPT, SendKind.SCORE_PROMPT, SendKind.DIGEST}


async def reconcile_step(svc: Services, at: datetime) -> list[str]:
    """Tick step (runs before the sending steps): settle the oldest recipient's unconfirmed sends."""
    async with svc.db.read() as session:  # the usual tick has none: a read, without SQLite's write lock
        await basics(svc, session=session)  # the tick's first read: what the later steps share, read with it
        if not await ledger.unconfirmed(session=session, claimed_before=at - CLAIM_GRACE, since=at - LOOKBACK):
            return []
    async with svc.db.transaction() as session:
        rows = await ledger.unconfirmed(session=session, claimed_before=at - CLAIM_GRACE, since=at - LOOKBACK)
        lines = await _retry_unseen(session, [r for r in rows if r.kind not in LOOKED_UP], at)
        by_dest: dict[str, list[SendLedger]] = {}
        for row in rows:
            if row.kind in LOOKED_UP:
                by_dest.setdefault(await _destination(session, row), []).append(row)
    todo = list(by_dest.items())
    for dest, dest_rows in todo[:HISTORY_READS_PER_TICK]:
        lines += await _settle(svc, dest, dest_rows, at)
    if len(todo) > HISTORY_READS_PER_TICK:
        waiting = sum(len(r) for _, r in todo[HISTORY_READS_PER_TICK:])
        lines.append(
            f"reconcile: {waiting} unconfirmed sends to {len(todo) - HISTORY_READS_PER_TICK} more recipients "
            f"wait for later ticks ({HISTORY_READS_PER_TICK} history read a minute)"
        )
    return lines


async def _retry_unseen(session, rows: list[SendLedger], at: datetime) -> list[str]:
    """Rows history cannot show: marked failed so their step retries them (a crash mid-nudge may repeat it)."""
    for row in rows:
        await ledger.finish(session=session, ledger_id=row.id, status="failed", at=at, error="unconfirmed: retried")
    return [f"reconcile: {row.kind} for {row.recipient} ({row.period}) unconfirmed: retried" for row in rows]


async def _destination(session, row: SendLedger) -> str:
    """Where the message was posted: the prompt's recipient (a delegate, maybe), the person, the team channel."""
    if row.kind == SendKind.DIGEST:
        team = await teams.get_team(session=session, team_id=int(row.recipient.removeprefix("team:")))
        return (team.channel if team else None) or row.recipient
    return json.loads(row.detail or "{}").get("to") or row.recipient


async def _settle(svc: Services, dest: str, rows: list[SendLedger], at: datetime) -> list[str]:
    try:
        found = await svc.notifier.find_sent(dest, {r.id for r in rows})
    except Exception as exc:  # noqa: BLE001 - reading history failed: the rows wait for the next tick
        reason = exc.reason if isinstance(exc, DeliveryFailed) else type(exc).__name__
        return [f"reconcile: could not read {dest}'s history ({reason}); {len(rows)} sends wait for the next tick"]
    async with svc.db.transaction() as session:
        for row in rows:
            where = found.get(row.id)
            if where is not None:
                await ledger.finish(
                    session=session, ledger_id=row.id, status="sent", at=at, channel=where.channel, ts=where.ts
                )
            else:
                await ledger.finish(session=session, ledger_id=row.id, status="failed", at=at, error=NOT_FOUND)
    return [f"reconcile: {r.kind} for {r.recipient} ({r.period}) " + _outcome(found.get(r.id)) for r in rows]


def _outcome(where) -> str:
    if where is None:
        return "not in Slack: sent again"
    if where.ts.startswith(MAYBE_TS):  # Teams: no history to look in
        return "may have been delivered (no history to check): recorded sent, not resent"
    return "found in Slack: recorded sent"
