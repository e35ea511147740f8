"""Check-in rows. "Live" means not undone; a KR's current value follows its latest live check-in."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn


async def latest_texts(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, tuple[str, str, datetime | None]]:
    """Per KR, in one query: (the newest non-empty live comment, the blockers of its latest live check-in and when
    that check-in was made). Blockers come from the latest check-in only: one without blockers clears them."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    live = (col(CheckIn.kr_id).in_(ids), col(CheckIn.undone_at).is_(None))
    commented = select(func.max(CheckIn.id)).where(*live, CheckIn.comment != "").group_by(CheckIn.kr_id)
    latest = select(func.max(CheckIn.id)).where(*live).group_by(CheckIn.kr_id)
    stmt = select(CheckIn.id, CheckIn.kr_id, CheckIn.comment, CheckIn.blockers, CheckIn.created_at).where(
        col(CheckIn.id).in_(commented) | col(CheckIn.id).in_(latest)
    )
    rows = (await session.exec(stmt)).all()
    newest = {}
    for row_id, kr_id, _comment, _blockers, _at in rows:
        newest[kr_id] = max(newest.get(kr_id, row_id), row_id)
    out: dict[int, tuple[str, str, datetime | None]] = {}
    for row_id, kr_id, comment, blockers, at in sorted(rows):
        prev_comment, _b, _a = out.get(kr_id, ("", "", None))
        out[kr_id] = (comment or prev_comment, *((blockers, at) if row_id == newest[kr_id] else ("", None)))
    return out


async def add_checkin(*, session: AsyncSession, checkin: CheckIn) -> CheckIn:
    session.add(checkin)
    await session.flush()
    return checkin


async def get_checkin(*, session: AsyncSession, checkin_id: int) -> CheckIn | None:
    return await session.get(CheckIn, checkin_id)


async def live_checkins(*, session: AsyncSession, kr_id: int, limit: int = 2) -> list[CheckIn]:
    """The newest live check-ins of a KR, newest first."""
    stmt = (
        select(CheckIn)
        .where(CheckIn.kr_id == kr_id, col(CheckIn.undone_at).is_(None))
        .order_by(col(CheckIn.created_at).desc(), col(CheckIn.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def checkins_from_message(*, session: AsyncSession, channel: str, ts: str) -> list[CheckIn]:
    """Live check-ins produced by one Slack message (a thread reply), so an edit can update them."""
    stmt = select(CheckIn).where(
        CheckIn.source_channel == channel, CheckIn.source_ts == ts, col(CheckIn.undone_at).is_(None)
    )
    return list((await session.exec(stmt.order_by(col(CheckIn.id)))).all())


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
