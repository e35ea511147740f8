"""Send-ledger rows for scheduled sends, plus the check-in history queries digests need.

Claiming is portable SQL: insert and catch the unique-constraint IntegrityError; a
'failed' row is re-claimed with a conditional UPDATE so only one process wins it.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn, SendLedger, utcnow

CLAIMED, SENT, FAILED, SKIPPED = "claimed", "sent", "failed", "skipped"


async def _row(session: AsyncSession, recipient: str, kind: str, period: str) -> SendLedger | None:
    stmt = select(SendLedger).where(
        SendLedger.recipient == recipient, SendLedger.kind == kind, SendLedger.period == period
    )
    return (await session.exec(stmt)).first()


async def claim(
    *, session: AsyncSession, recipient: str, kind: str, period: str, due_at: datetime | None
) -> SendLedger | None:
    """The claimed row if this caller may send now; None if someone already claimed or sent it."""
    try:
        async with session.begin_nested():
            row = SendLedger(recipient=recipient, kind=kind, period=period, due_at=due_at, attempts=1)
            session.add(row)
        return row
    except IntegrityError:
        pass
    result = await session.exec(
        update(SendLedger)
        .where(
            col(SendLedger.recipient) == recipient,
            col(SendLedger.kind) == kind,
            col(SendLedger.period) == period,
            col(SendLedger.status) == FAILED,
        )
        .values(status=CLAIMED, attempts=SendLedger.attempts + 1, claimed_at=utcnow(), error=None)
    )
    if (result.rowcount or 0) != 1:
        return None
    row = await _row(session, recipient, kind, period)
    await session.refresh(row)
    return row


async def mark_sent(
    *, session: AsyncSession, ledger_id: int, channel: str, ts: str, at: datetime, detail: str | None = None
) -> None:
    row = await session.get(SendLedger, ledger_id)
    row.status, row.channel, row.ts, row.sent_at, row.error = SENT, channel, ts, at, None
    if detail is not None:
        row.detail = detail
    await session.flush()


async def mark_failed(*, session: AsyncSession, ledger_id: int, error: str) -> None:
    row = await session.get(SendLedger, ledger_id)
    row.status, row.error = FAILED, error[:500]
    await session.flush()


async def mark_skipped(*, session: AsyncSession, ledger_id: int, reason: str) -> None:
    row = await session.get(SendLedger, ledger_id)
    row.status, row.error = SKIPPED, reason[:500]
    await session.flush()


async def latest_sent(
    *, session: AsyncSession, recipient: str, kind: str, before: datetime | None = None
) -> SendLedger | None:
    """The most recently sent row for (recipient, kind), optionally sent strictly before `before`."""
    stmt = select(SendLedger).where(
        SendLedger.recipient == recipient, SendLedger.kind == kind, SendLedger.status == SENT
    )
    if before is not None:
        stmt = stmt.where(col(SendLedger.sent_at) < before)
    stmt = stmt.order_by(col(SendLedger.sent_at).desc(), col(SendLedger.id).desc())
    return (await session.exec(stmt)).first()


async def values_at(*, session: AsyncSession, kr_ids: Iterable[int], at: datetime) -> dict[int, float]:
    """Each KR's value from its latest live check-in at or before `at` (KRs without one are absent)."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    live = (col(CheckIn.kr_id).in_(ids), col(CheckIn.undone_at).is_(None), col(CheckIn.created_at) <= at)
    newest = select(CheckIn.kr_id, func.max(CheckIn.id).label("id")).where(*live).group_by(CheckIn.kr_id).subquery()
    stmt = select(CheckIn.kr_id, CheckIn.value).join(newest, col(CheckIn.id) == newest.c.id)
    return {kr_id: value for kr_id, value in (await session.exec(stmt)).all()}


async def checked_in_since(*, session: AsyncSession, kr_ids: Iterable[int], since: datetime) -> set[int]:
    """KR ids with a live check-in created at or after `since`."""
    ids = list(set(kr_ids))
    if not ids:
        return set()
    stmt = select(CheckIn.kr_id).where(
        col(CheckIn.kr_id).in_(ids), col(CheckIn.undone_at).is_(None), col(CheckIn.created_at) >= since
    )
    return set((await session.exec(stmt.distinct())).all())


async def last_checkins(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, CheckIn]:
    """The latest live check-in per KR."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    newest = (
        select(func.max(CheckIn.id).label("id"))
        .where(col(CheckIn.kr_id).in_(ids), col(CheckIn.undone_at).is_(None))
        .group_by(CheckIn.kr_id)
        .subquery()
    )
    rows = (await session.exec(select(CheckIn).join(newest, col(CheckIn.id) == newest.c.id))).all()
    return {c.kr_id: c for c in rows}
