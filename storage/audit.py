"""Audit trail: who changed what on an OKR, old -> new, and when. Written in the caller's transaction."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry


def _text(value) -> str | None:
    return None if value is None else str(value)


async def record(
    *, session: AsyncSession, actor_id: str, entity: str, entity_id: int, field: str, old, new, at: datetime
) -> AuditEntry:
    """Add one entry (values stored as text) to the session; the caller's transaction commits it."""
    entry = AuditEntry(
        actor_id=actor_id, entity=entity, entity_id=entity_id, field=field, old=_text(old), new=_text(new), at=at
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries_for(*, session: AsyncSession, entity: str, entity_id: int) -> list[AuditEntry]:
    """Every entry about one entity, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    )
    return list((await session.exec(stmt)).all())
