"""Whole-table reads for export and backup."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReviewNote, TeamMember


async def all_memberships(*, session: AsyncSession) -> list[TeamMember]:
    stmt = select(TeamMember).order_by(col(TeamMember.team_id), col(TeamMember.person_id))
    return list((await session.exec(stmt)).all())


async def all_review_notes(*, session: AsyncSession) -> list[ReviewNote]:
    """Every review note. Confidential: only the explicit --include-review-notes export reads this."""
    return list((await session.exec(select(ReviewNote).order_by(col(ReviewNote.id)))).all())
