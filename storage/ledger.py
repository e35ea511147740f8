"""The send ledger: one row per (recipient, kind, period). Claiming a row is what makes a send happen once.

Portable SQL only: a claim is an INSERT that may hit the unique constraint, a re-claim is a
conditional UPDATE whose row count says who won. Both work the same on SQLite and PostgreSQL.
"""

from datetime import datetime

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendLedger

ERROR_LENGTH = SendLedger.__table__.c.error.type.length  # String(500): PostgreSQL refuses longer, SQLite doesn't


def fit_error(error: str | None) -> str | None:
    """Why a send failed, cut to its column: a long exception text must not fail the write that records it."""
    return error[:ERROR_LENGTH] if error else error


async def get_entry(*, session: AsyncSession, recipient: str, kind: str, period: str) -> SendLedger | None:
    stmt = select(SendLedger).where(
        SendLedger.recipient == recipient, SendLedger.kind == kind, SendLedger.period == period
    )
    return (await session.exec(stmt)).first()


async def get_by_id(*, session: AsyncSession, ledger_id: int) -> SendLedger | None:
    return await session.get(SendLedger, ledger_id)


async def get_by_message(*, session: AsyncSession, channel: str, ts: str, kind: str) -> SendLedger | None:
    """The row whose sent message is (channel, ts): how a thread reply finds its prompt."""
    # The kind is checked on the row or two found, not in the WHERE (see checkins.prompt_of_reply): there it led
    # SQLite to the kind index and a walk over every row of that kind instead of the (channel, ts) index.
    stmt = select(SendLedger).where(SendLedger.channel == channel, SendLedger.ts == ts)
    return next((row for row in (await session.exec(stmt)).all() if row.kind == kind), None)


async def claim(
    *,
    session: AsyncSession,
    recipient: str,
    kind: str,
    period: str,
    at: datetime,
    status: str = "claimed",
    due_at: datetime | None = None,
    detail: str | None = None,
    error: str | None = None,
) -> SendLedger | None:
    """Insert the row; None if another tick (or process) already holds this key."""
    row = SendLedger(
        recipient=recipient,
        kind=kind,
        period=period,
        status=status,
        attempts=1 if status == "claimed" else 0,
        claimed_at=at,
        due_at=due_at,
        detail=detail,
        error=fit_error(error),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


async def reclaim(*, session: AsyncSession, ledger_id: int, from_status: str, at: datetime) -> bool:
    """Move a row from `from_status` (failed, snoozed) back to claimed; True only for the one caller that won."""
    stmt = (
        update(SendLedger)
        .where(col(SendLedger.id) == ledger_id, col(SendLedger.status) == from_status)
        .values(status="claimed", claimed_at=at, attempts=SendLedger.attempts + 1, error=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(stmt)
    return (result.rowcount or 0) == 1


async def claim_or_retry(
    *, session: AsyncSession, recipient: str, kind: str, period: str, at: datetime, due_at: datetime | None = None
) -> SendLedger | None:
    """Claim the key, or win back a row whose earlier send failed; None if it is held, sent or skipped."""
    row = await claim(session=session, recipient=recipient, kind=kind, period=period, at=at, due_at=due_at)
    if row is not None:
        return row
    existing = await get_entry(session=session, recipient=recipient, kind=kind, period=period)
    if existing is None or not await reclaim(session=session, ledger_id=existing.id, from_status="failed", at=at):
        return None
    await session.refresh(existing)
    return existing


async def latest_sent(
    *, session: AsyncSession, recipient: str, kind: str, before: datetime | None = None
) -> SendLedger | None:
    """The most recently sent row for (recipient, kind), optionally sent strictly before `before`."""
    stmt = select(SendLedger).where(
        SendLedger.recipient == recipient, SendLedger.kind == kind, SendLedger.status == "sent"
    )
    if before is not None:
        stmt = stmt.where(col(SendLedger.sent_at) < before)
    stmt = stmt.order_by(col(SendLedger.sent_at).desc(), col(SendLedger.id).desc())
    return (await session.exec(stmt)).first()


async def finish(
    *,
    session: AsyncSession,
    ledger_id: int,
    status: str,
    at: datetime,
    channel: str | None = None,
    ts: str | None = None,
    error: str | None = None,
) -> None:
    """Record how a claimed send ended: sent (with where it landed), failed or skipped (with why)."""
    values: dict = {"status": status, "error": fit_error(error)}
    if status == "sent":
        values.update(channel=channel, ts=ts, sent_at=at)
    stmt = update(SendLedger).where(col(SendLedger.id) == ledger_id).values(**values)
    await session.exec(stmt.execution_options(synchronize_session=False))


async def set_progress(*, session: AsyncSession, ledger_id: int, channel: str, ts: str, detail: str) -> None:
    """Keep how far a multi-message send got (its first message, what was posted), so a retry sends the rest."""
    stmt = update(SendLedger).where(col(SendLedger.id) == ledger_id).values(channel=channel, ts=ts, detail=detail)
    await session.exec(stmt.execution_options(synchronize_session=False))


async def entries(*, session: AsyncSession, kind: str, status: str, since: datetime | None = None) -> list[SendLedger]:
    """Rows of a kind in a status, optionally claimed at or after `since`, oldest first."""
    stmt = select(SendLedger).where(SendLedger.kind == kind, SendLedger.status == status)
    if since is not None:
        stmt = stmt.where(col(SendLedger.claimed_at) >= since)
    return list((await session.exec(stmt.order_by(col(SendLedger.id)))).all())


async def unconfirmed(*, session: AsyncSession, claimed_before: datetime, since: datetime) -> list[SendLedger]:
    """Sends whose outcome is not known, oldest first: 'unknown' rows (a timed-out or unreadable answer) and
    rows still 'claimed' since before `claimed_before` (a crash between Slack's answer and the record)."""
    stmt = select(SendLedger).where(
        col(SendLedger.claimed_at) >= since,
        or_(
            SendLedger.status == "unknown",
            and_(SendLedger.status == "claimed", col(SendLedger.claimed_at) < claimed_before),
        ),
    )
    return list((await session.exec(stmt.order_by(col(SendLedger.claimed_at), col(SendLedger.id)))).all())


async def stale_claims(*, session: AsyncSession, older_than: datetime, newer_than: datetime) -> list[SendLedger]:
    """Rows still 'claimed' that were claimed between the two instants (a crash mid-send)."""
    stmt = select(SendLedger).where(
        SendLedger.status == "claimed",
        col(SendLedger.claimed_at) < older_than,
        col(SendLedger.claimed_at) >= newer_than,
    )
    return list((await session.exec(stmt.order_by(col(SendLedger.id)))).all())


async def sent_in_channel(*, session: AsyncSession, channel: str, kind: str, since: datetime) -> list[SendLedger]:
    """Rows of `kind` sent into one channel (a person's DM) at or after `since`, newest first."""
    stmt = select(SendLedger).where(
        SendLedger.channel == channel,
        SendLedger.kind == kind,
        SendLedger.status == "sent",
        col(SendLedger.sent_at) >= since,
    )
    return list((await session.exec(stmt.order_by(col(SendLedger.sent_at).desc(), col(SendLedger.id).desc()))).all())


async def forget_before(*, session: AsyncSession, kind: str, before: datetime) -> int:
    """Drop one kind's rows claimed before `before` (only for kinds that guard nothing once old)."""
    result = await session.exec(delete(SendLedger).where(SendLedger.kind == kind, SendLedger.claimed_at < before))
    return result.rowcount or 0
