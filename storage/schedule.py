"""Bulk reads for the check-in schedule: every live KR of a cycle with its team, pending replies."""

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KeyResult, KRCoOwner, Objective, PendingReply


async def live_krs_with_team(*, session: AsyncSession, cycle_id: int) -> list[tuple[KeyResult, int]]:
    """(KR, owning team id) for every live KR of the cycle, in display order: ONE query per tick."""
    stmt = (
        select(KeyResult, Objective.team_id)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(Objective.cycle_id == cycle_id, col(Objective.archived).is_(False), col(KeyResult.archived).is_(False))
        .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
    )
    return [(kr, team_id) for kr, team_id in (await session.exec(stmt)).all()]


async def add_pending_reply(*, session: AsyncSession, reply: PendingReply) -> PendingReply:
    session.add(reply)
    await session.flush()
    return reply


async def get_pending_reply(*, session: AsyncSession, reply_id: int) -> PendingReply | None:
    return await session.get(PendingReply, reply_id)


async def delete_pending_reply(*, session: AsyncSession, reply: PendingReply) -> None:
    await session.delete(reply)
    await session.flush()


async def forget_pending_replies_before(*, session: AsyncSession, before: datetime) -> int:
    """Drop unread replies kept for "Use as comment" that are older than `before` (housekeeping)."""
    result = await session.exec(delete(PendingReply).where(col(PendingReply.created_at) < before))
    return result.rowcount or 0


async def co_owners_in_cycle(*, session: AsyncSession, cycle_id: int) -> dict[int, list[str]]:
    """Co-owners per live KR of the cycle, in one query (no IN list, so it scales with the org)."""
    stmt = (
        select(KRCoOwner.kr_id, KRCoOwner.person_id)
        .join(KeyResult, col(KeyResult.id) == col(KRCoOwner.kr_id))
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(Objective.cycle_id == cycle_id, col(Objective.archived).is_(False), col(KeyResult.archived).is_(False))
        .order_by(col(KRCoOwner.kr_id), col(KRCoOwner.person_id))
    )
    out: dict[int, list[str]] = {}
    for kr_id, person_id in (await session.exec(stmt)).all():
        out.setdefault(kr_id, []).append(person_id)
    return out
