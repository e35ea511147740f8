"""Check-in rows. "Live" means not undone; a KR's current value follows its latest live check-in."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, bindparam, exists, func, insert
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CheckIn, SendLedger

_CHECK_IN = CheckIn.__table__
_LEDGER = SendLedger.__table__


def _latest_texts():
    """Built once, with the KR ids bound: every KR view (Home, digests, /okr) runs it (see storage/okrs.py)."""
    live = (col(CheckIn.kr_id).in_(bindparam("ids", expanding=True)), col(CheckIn.undone_at).is_(None))
    commented = select(func.max(CheckIn.id)).where(*live, CheckIn.comment != "").group_by(CheckIn.kr_id)
    latest = select(func.max(CheckIn.id)).where(*live).group_by(CheckIn.kr_id)
    return select(CheckIn.id, CheckIn.kr_id, CheckIn.comment, CheckIn.blockers, CheckIn.created_at).where(
        col(CheckIn.id).in_(commented) | col(CheckIn.id).in_(latest)
    )


_LATEST_TEXTS = _latest_texts()


async def latest_texts(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, tuple[str, str, datetime | None]]:
    """Per KR, in one query: (the newest non-empty live comment, the blockers of its latest live check-in and when
    that check-in was made). Blockers come from the latest check-in only: one without blockers clears them."""
    ids = sorted(set(kr_ids))
    if not ids:
        return {}
    rows = (await session.exec(_LATEST_TEXTS, params={"ids": ids})).all()
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


# Executed with a list of rows: SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues") from a
# statement compiled once. `insert().values([...])` would say the same, but a statement holding its rows has no
# cache key, so SQLAlchemy compiled it anew for every reply.
_INSERT_CHECKINS = insert(_CHECK_IN).returning(_CHECK_IN.c.id, _CHECK_IN.c.kr_id)


async def insert_checkins(*, session: AsyncSession, rows: list[dict]) -> dict[int, int]:
    """Insert check-in rows, at most one per KR, every column given: {kr_id: new check-in id}. One multi-row
    INSERT ... RETURNING (Core: no ORM objects nor flush); ids are matched by KR, as RETURNING's order is not
    promised."""
    if not rows:
        return {}
    found = (await (await session.connection()).execute(_INSERT_CHECKINS, rows)).all()
    return {kr_id: row_id for row_id, kr_id in found}


_C = _CHECK_IN.c
_REPLIED = exists().where(
    _C.source_channel == bindparam("channel"), _C.source_ts == bindparam("ts"), _C.undone_at.is_(None)
)
# The kind is checked in Python, not in the WHERE: with `kind = 'prompt'` there, SQLite (no ANALYZE statistics)
# chose the (kind, period, ...) index and walked every prompt row until it met this message, about 1 ms a reply
# at 2,000 prompts; (channel, ts) names one sent message, so its index finds the row or two at once. Built once,
# as every thread reply runs it.
_PROMPT_OF_REPLY = core_select(_LEDGER, _REPLIED.label("replied")).where(
    _LEDGER.c.channel == bindparam("channel"), _LEDGER.c.ts == bindparam("thread_ts")
)


async def prompt_of_reply(*, session: AsyncSession, channel: str, thread_ts: str, ts: str) -> tuple[Row | None, bool]:
    """A thread reply's prompt (its send_ledger row, as a Core row) and whether that reply (channel, ts) already
    has live check-ins, in one SELECT: the thread-reply path runs this on every reply."""
    params = {"channel": channel, "thread_ts": thread_ts, "ts": ts}
    rows = (await (await session.connection()).execute(_PROMPT_OF_REPLY, params)).all()
    row = next((r for r in rows if r.kind == "prompt"), None)
    return (row, bool(row.replied)) if row is not None else (None, False)


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
