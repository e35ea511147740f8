"""Review notes and review threads. Only bot.services.notes reads these tables."""

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReviewNote, ReviewThread


async def add_note(*, session: AsyncSession, note: ReviewNote) -> ReviewNote:
    session.add(note)
    await session.flush()
    return note


async def notes_about(*, session: AsyncSession, subject_id: str, cycle_id: int | None = None) -> list[ReviewNote]:
    stmt = select(ReviewNote).where(ReviewNote.subject_id == subject_id)
    if cycle_id is not None:
        stmt = stmt.where(ReviewNote.cycle_id == cycle_id)
    return list((await session.exec(stmt.order_by(col(ReviewNote.created_at), col(ReviewNote.id)))).all())


async def note_from_message(*, session: AsyncSession, channel: str, ts: str) -> ReviewNote | None:
    stmt = select(ReviewNote).where(ReviewNote.slack_channel == channel, ReviewNote.slack_ts == ts)
    return (await session.exec(stmt)).first()


async def add_threads(*, session: AsyncSession, threads: list[ReviewThread]) -> None:
    """Insert many threads in one executemany (the ORM would send one INSERT ... RETURNING per row)."""
    if threads:
        rows = [t.model_dump(exclude={"id"}) for t in threads]
        await session.exec(insert(ReviewThread), params=rows)


async def thread_at(*, session: AsyncSession, channel: str, ts: str) -> ReviewThread | None:
    stmt = select(ReviewThread).where(ReviewThread.channel == channel, ReviewThread.ts == ts)
    return (await session.exec(stmt)).first()


async def thread_with_ts(*, session: AsyncSession, ts: str) -> ReviewThread | None:
    """A review thread by its message id alone, in any chat (a quoted reply naming someone else's card)."""
    return (await session.exec(select(ReviewThread).where(ReviewThread.ts == ts).limit(1))).first()
