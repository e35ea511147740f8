"""Teams addresses: each Teams person's 1:1 conversation reference (tenant, 29: id, AAD id, chat, service URL)."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SendLedger, TeamsAddress, TeamsChannel


async def upsert_address(
    *,
    session: AsyncSession,
    person_id: str,
    aad_object_id: str,
    user_id: str,
    tenant_id: str,
    conversation_id: str,
    service_url: str,
    at: datetime,
) -> TeamsAddress:
    """Create or refresh the person's address: the newest activity's chat and service URL win."""
    row = (await session.exec(select(TeamsAddress).where(TeamsAddress.person_id == person_id))).first()
    if row is None:
        row = TeamsAddress(
            person_id=person_id,
            aad_object_id=aad_object_id,
            user_id=user_id,
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            service_url=service_url,
        )
        session.add(row)
    row.user_id, row.tenant_id, row.conversation_id, row.service_url = user_id, tenant_id, conversation_id, service_url
    row.updated_at, row.blocked_at = at, None  # they wrote (or installed) again: Teams lets okrbot answer
    await session.flush()
    return row


async def set_conversation(*, session: AsyncSession, address_id: int, conversation_id: str) -> None:
    row = await session.get(TeamsAddress, address_id)
    if row is not None:
        row.conversation_id = conversation_id
        await session.flush()


async def mark_blocked(*, session: AsyncSession, address_id: int, at: datetime) -> None:
    row = await session.get(TeamsAddress, address_id)
    if row is not None and row.blocked_at is None:
        row.blocked_at = at
        await session.flush()


async def address_of_person(*, session: AsyncSession, person_id: str) -> TeamsAddress | None:
    return (await session.exec(select(TeamsAddress).where(TeamsAddress.person_id == person_id))).first()


async def people_with_address(*, session: AsyncSession, person_ids: list[str]) -> set[str]:
    if not person_ids:
        return set()
    query = select(TeamsAddress.person_id).where(col(TeamsAddress.person_id).in_(person_ids))
    return set((await session.exec(query)).all())


async def address_of_user(*, session: AsyncSession, user_id: str) -> TeamsAddress | None:
    """By the person's "29:" id, which is how a Teams @mention names them."""
    return (await session.exec(select(TeamsAddress).where(TeamsAddress.user_id == user_id))).first()


async def address_by_id(*, session: AsyncSession, address_id: int) -> TeamsAddress | None:
    return await session.get(TeamsAddress, address_id)


async def latest_prompt_ts(*, session: AsyncSession, channel: str) -> str | None:
    """The ts of the newest prompt sent into `channel` (a Teams 1:1 chat has no threads: replies answer it)."""
    query = (
        select(SendLedger.ts)
        .where(SendLedger.channel == channel, SendLedger.kind == "prompt", SendLedger.status == "sent")
        .order_by(col(SendLedger.sent_at).desc(), col(SendLedger.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def upsert_channel(
    *, session: AsyncSession, conversation_id: str, team_id: str, tenant_id: str, service_url: str, at: datetime
) -> None:
    """Remember a team channel's service URL; the newest activity from the team wins."""
    row = (await session.exec(select(TeamsChannel).where(TeamsChannel.conversation_id == conversation_id))).first()
    if row is None:
        row = TeamsChannel(conversation_id=conversation_id, team_id=team_id, tenant_id=tenant_id, service_url="")
        session.add(row)
    row.team_id, row.tenant_id, row.service_url, row.updated_at = team_id, tenant_id, service_url, at
    await session.flush()


async def channel_by_conversation(*, session: AsyncSession, conversation_id: str) -> TeamsChannel | None:
    query = select(TeamsChannel).where(TeamsChannel.conversation_id == conversation_id)
    return (await session.exec(query)).first()
