"""Processed Slack event ids: claiming one twice fails, which is how retries are dropped."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedEvent


async def claim_event(*, session: AsyncSession, event_id: str) -> bool:
    """Insert the id; False if it was already there. Portable: relies only on the primary key."""
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id))
    except IntegrityError:
        return False
    return True


async def forget_events_before(*, session: AsyncSession, before: datetime) -> int:
    result = await session.exec(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return result.rowcount or 0
