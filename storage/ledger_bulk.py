"""Bulk forms of the send-ledger operations (storage/ledger.py), for fan-outs of thousands of sends a tick.

Same exactly-once rule: a row is claimed by the INSERT that creates it. On SQLite and PostgreSQL a batch is
one `INSERT ... ON CONFLICT DO NOTHING RETURNING` built with the dialect's own insert() (the
upsert of the dialect in use); rows already held by another tick or process are simply not returned.
Other dialects fall back to one INSERT per row inside a savepoint, catching the IntegrityError.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.ledger import fit_error
from storage.models import SendLedger

CHUNK = 500  # rows per statement: far below SQLite's bound-parameter limit


async def entries_for_periods(
    *, session: AsyncSession, kind: str, periods: Iterable[str]
) -> dict[tuple[str, str], tuple[int, str]]:
    """{(recipient, period): (id, status)} for every row of `kind` in the periods: one light query per tick
    instead of one per person (the tick runs every minute and sees everyone's latest occurrence)."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    stmt = select(SendLedger.id, SendLedger.recipient, SendLedger.period, SendLedger.status).where(
        SendLedger.kind == kind, col(SendLedger.period).in_(wanted)
    )
    return {(recipient, period): (i, status) for i, recipient, period, status in (await session.exec(stmt)).all()}


async def rows_for_periods(
    *, session: AsyncSession, kind: str, periods: Iterable[str]
) -> dict[tuple[str, str], SendLedger]:
    """Like entries_for_periods, but the full rows (for callers that update them)."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    stmt = select(SendLedger).where(SendLedger.kind == kind, col(SendLedger.period).in_(wanted))
    return {(r.recipient, r.period): r for r in (await session.exec(stmt)).all()}


async def newest_sent_before(
    *, session: AsyncSession, kind: str, recipients: Iterable[str], before: datetime
) -> dict[str, datetime]:
    """{recipient: sent_at of its latest row of `kind` sent strictly before `before`} (ledger.latest_sent's
    sent_at for many recipients in one grouped query; recipients with none are absent)."""
    wanted = sorted(set(recipients))
    if not wanted:
        return {}
    stmt = (
        select(SendLedger.recipient, func.max(SendLedger.sent_at))
        .where(
            SendLedger.kind == kind,
            SendLedger.status == "sent",
            col(SendLedger.recipient).in_(wanted),
            col(SendLedger.sent_at) < before,
        )
        .group_by(SendLedger.recipient)
    )
    return {recipient: at for recipient, at in (await session.exec(stmt)).all() if at is not None}


async def claim_many(*, session: AsyncSession, rows: list[dict], at: datetime) -> dict[tuple[str, str], int]:
    """Insert ledger rows (dicts of recipient, kind, period, status, due_at, detail, error); returns
    {(recipient, period): id} for the rows THIS call created. Rows another claimer holds are left out."""
    values = [_row(r, at) for r in rows]
    stmt = _claim_statement(session.bind.dialect.name)
    won: dict[tuple[str, str], int] = {}
    if stmt is None:
        for v in values:
            try:
                async with session.begin_nested():
                    row = SendLedger(**v)
                    session.add(row)
            except IntegrityError:
                continue
            won[(row.recipient, row.period)] = row.id
        return won
    if not values:
        return won
    conn = await session.connection()
    for start in range(0, len(values), CHUNK):
        # One statement, compiled once and cached: the rows go as executemany parameters, which SQLAlchemy's
        # "insertmanyvalues" sends as one multi-row INSERT ... RETURNING per page. Building `.values(rows)`
        # instead made a new 18-parameters-a-row statement to compile for every claim (issue 15).
        for ledger_id, recipient, period in (await conn.execute(stmt, values[start : start + CHUNK])).all():
            won[(recipient, period)] = ledger_id
    return won


_CLAIMS: dict[str, object] = {}
_LEDGER = SendLedger.__table__
_FINISH = (
    update(_LEDGER)
    .where(_LEDGER.c.id == bindparam("ledger_id"))
    .values(
        status=bindparam("new_status"),
        channel=bindparam("new_channel"),
        ts=bindparam("new_ts"),
        error=bindparam("new_error"),
        sent_at=bindparam("new_sent_at"),
    )
)


def _claim_statement(dialect: str):
    """`INSERT ... ON CONFLICT DO NOTHING RETURNING` for the dialect (built once), or None without an upsert."""
    if dialect not in _CLAIMS:
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
        _CLAIMS[dialect] = (
            None
            if insert is None
            else insert(_LEDGER)
            .on_conflict_do_nothing(index_elements=["recipient", "kind", "period"])
            .returning(_LEDGER.c.id, _LEDGER.c.recipient, _LEDGER.c.period)
        )
    return _CLAIMS[dialect]


def _row(r: dict, at: datetime) -> dict:
    status = r.get("status", "claimed")
    return {
        "recipient": r["recipient"],
        "kind": r["kind"],
        "period": r["period"],
        "status": status,
        "attempts": 1 if status == "claimed" else 0,
        "claimed_at": at,
        "due_at": r.get("due_at"),
        "detail": r.get("detail"),
        "error": fit_error(r.get("error")),
    }


async def finish_many(*, session: AsyncSession, outcomes: list[dict], at: datetime) -> None:
    """Record many claimed sends at once: dicts of ledger_id, status, channel, ts, error (see ledger.finish)."""
    if not outcomes:
        return
    params = [
        {
            "ledger_id": o["ledger_id"],
            "new_status": o["status"],
            "new_channel": o.get("channel"),
            "new_ts": o.get("ts"),
            "new_error": fit_error(o.get("error")),
            "new_sent_at": at if o["status"] == "sent" else None,
        }
        for o in outcomes
    ]
    await (await session.connection()).execute(_FINISH, params)  # executemany: one prepared statement
