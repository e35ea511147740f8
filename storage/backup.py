"""Whole-table reads for export and backup."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn, ReviewNote, TeamMember


async def all_memberships(*, session: AsyncSession) -> list[TeamMember]:
    stmt = select(TeamMember).order_by(col(TeamMember.team_id), col(TeamMember.person_id))
    return list((await session.exec(stmt)).all())


async def all_review_notes(*, session: AsyncSession) -> list[ReviewNote]:
    """Every review note. Confidential: only the explicit --include-review-notes export reads this."""
    return list((await session.exec(select(ReviewNote).order_by(col(ReviewNote.id)))).all())


async def checkin_history(*, session: AsyncSession, kr_ids: list[int]) -> dict[int, list[CheckIn]]:
    """Every live (not undone) check-in of these KRs, oldest first, per KR: one query (export --history)."""
    out: dict[int, list[CheckIn]] = {kr_id: [] for kr_id in kr_ids}
    if not kr_ids:
        return out
    stmt = (
        select(CheckIn)
        .where(col(CheckIn.kr_id).in_(kr_ids), col(CheckIn.undone_at).is_(None))
        .order_by(col(CheckIn.created_at), col(CheckIn.id))
    )
    for row in (await session.exec(stmt)).all():
        out[row.kr_id].append(row)
    return out


async def has_checkins(*, session: AsyncSession, kr_id: int) -> bool:
    stmt = select(CheckIn.id).where(CheckIn.kr_id == kr_id).limit(1)
    return (await session.exec(stmt)).first() is not None
