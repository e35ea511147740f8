"""The structure stamp: a token that changes, in the same transaction, with every write to a structural table.

Structural tables hold what views are built from and rarely change: teams and their settings, rosters, cycles,
objectives, key results (but not their check-in values), co-owners, contributing teams, line managers. The
per-process caches (storage/structure_cache.py) are keyed by the token, so a process sees every other process's
edit on its next read, and no edit path can forget to invalidate them: the mark is taken from the SQL each
connection actually runs (ORM flushes, Core and bulk statements, text SQL alike), and Database's unit of work
writes the new token before it commits (bump_if_marked).

Every table is classified below; tests/storage/test_structure_stamp.py fails on a table that is not.
"""

import re
import uuid

from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import StructureStamp, utcnow

# Structural tables, each with the columns whose UPDATEs are not structural: what a check-in or a Slack lookup
# changes (a KR's live value, a person's cached DM channel and timezone). Views read those fresh every time.
WATCHED: dict[str, frozenset[str]] = {
    "team": frozenset(),
    "team_member": frozenset(),
    "cycle": frozenset(),
    "objective": frozenset(),
    "key_result": frozenset({"current_value", "confidence", "last_checkin_at", "score"}),
    "kr_co_owner": frozenset(),
    "kr_team": frozenset(),
    # Only manager_id (and new or removed people) is structure; names and timezones come from Slack lookups, and
    # home_opened_at is written as people open Home (it would empty the caches all day).
    "person": frozenset(
        {"display_name", "tz", "tz_refreshed_at", "dm_channel", "away_until", "delegate_id", "email", "home_opened_at"}
    ),
}
# Written per request or per tick: bumping on these would empty every cache all the time.
UNWATCHED = frozenset(
    {
        *("check_in", "review_note", "review_thread", "pending_reply", "audit_entry"),
        *("send_ledger", "inbox_item", "effect_due", "teams_address", "teams_channel"),
        "structure_stamp",
    }
)

MARK = "okrbot_structure_written"  # in Connection.info: this transaction wrote a structural table

_TARGETS = re.compile(r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_SET = re.compile(r'^\s*UPDATE\s+(?:"?\w+"?\.)?"?\w+"?\s+SET\s+(.*?)(?:\s+(?:WHERE|FROM|RETURNING)\s|$)', re.I | re.S)
_SET_COLUMN = re.compile(r'(?:^|,)\s*"?(\w+)"?\s*=')
_READS = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SHOW")


def is_structural(statement: str) -> bool:
    """Whether the SQL writes a structural table: any INSERT or DELETE on one, an UPDATE that sets a column not
    listed as live. Conservative: an UPDATE whose SET list cannot be read counts as structural."""
    head = statement.lstrip()[:9].upper()
    if head.startswith(_READS):
        return False  # the usual statement: no regex at all
    for table in _TARGETS.findall(statement):
        live = WATCHED.get(table.lower())
        if live is None:
            continue
        if not live or not _only_sets(statement, table, live):
            return True
    return False


def _only_sets(statement: str, table: str, live: frozenset[str]) -> bool:
    """True when the statement is a plain `UPDATE <table> SET ...` whose columns are all in `live`."""
    found = _SET.match(statement)
    if found is None or not re.match(rf'\s*UPDATE\s+(?:"?\w+"?\.)?"?{table}"?\s', statement, re.I):
        return False
    assignments = found.group(1)
    if assignments.count("(") != assignments.count(")"):
        return False  # the SET list was cut inside a subquery: unknown columns may follow
    columns = {c.lower() for c in _SET_COLUMN.findall(assignments)}
    return bool(columns) and columns <= live


def install(engine: AsyncEngine) -> None:
    """Mark each connection's transaction when it writes a structural table; clear the mark when one begins."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(conn: Connection, _cursor, statement: str, _params, _context, _many) -> None:
        if is_structural(statement):
            conn.info[MARK] = True

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.info.pop(MARK, None)

    @event.listens_for(sync_engine, "rollback")
    def _rollback(conn: Connection) -> None:
        conn.info.pop(MARK, None)


def _connection(session: AsyncSession) -> Connection | None:
    """The unit's connection if it has run anything, without beginning one (an empty unit stays empty)."""
    transaction = session.sync_session.get_transaction()
    held = getattr(transaction, "_connections", None) if transaction is not None else None
    if held is None:  # SQLAlchemy renamed its bookkeeping: ask for the connection (may begin one)
        return session.sync_session.connection()
    return next((entry[0] for entry in held.values()), None)


async def written(session: AsyncSession) -> bool:
    """Whether this unit's transaction has written a structural table (pending ORM changes flushed first)."""
    if session.sync_session.new or session.sync_session.dirty or session.sync_session.deleted:
        await session.flush()
    connection = _connection(session)
    return connection is not None and bool(connection.info.get(MARK))


async def bump_if_marked(session: AsyncSession) -> None:
    """Before a unit of work commits: give the stamp a new token if the unit wrote a structural table."""
    if await written(session):
        connection = await session.connection()
        await connection.execute(_upsert(connection.dialect.name), {"token": uuid.uuid4().hex, "at": utcnow()})
        connection.sync_connection.info.pop(MARK, None)


_UPSERTS: dict[str, object] = {}


def _upsert(dialect: str):
    """`INSERT ... ON CONFLICT (id) DO UPDATE`: the row need not exist, and two writers cannot both insert it."""
    if dialect not in _UPSERTS:
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
        table = StructureStamp.__table__
        values = {"token": bindparam("token"), "updated_at": bindparam("at")}
        stmt = insert(table).values(id=1, **values)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(index_elements=[table.c.id], set_=values)
    return _UPSERTS[dialect]


async def current(session: AsyncSession) -> str | None:
    """The stamp's token as this session sees it (None: nothing structural was ever written)."""
    stmt = select(StructureStamp.token).where(StructureStamp.id == 1)
    return (await session.exec(stmt)).first()
