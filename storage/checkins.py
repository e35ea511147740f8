"""Check-in rows. "Live" means not undone; a KR's current value follows its latest live check-in."""

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn


async def latest_comments(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, str]:
    """The newest non-empty live comment per KR, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    newest = (
        select(CheckIn.kr_id, func.max(CheckIn.id).label("id"))
        .where(col(CheckIn.kr_id).in_(ids), col(CheckIn.undone_at).is_(None), CheckIn.comment != "")
        .group_by(CheckIn.kr_id)
        .subquery()
    )
    stmt = select(CheckIn.kr_id, CheckIn.comment).join(newest, col(CheckIn.id) == newest.c.id)
    return {kr_id: comment for kr_id, comment in (await session.exec(stmt)).all()}
