"""Fold one person row into another: every reference to `old` becomes `new`, then `old` is deleted.

Used when okrbot learns who an "email:<address>" person from the OKR file is on Teams (bot/services/roster.py).
The send ledger keeps its rows as they were (history; its recipient is not a foreign key).
"""

from sqlalchemy import case, delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    CheckIn,
    KeyResult,
    KRCoOwner,
    Objective,
    PendingReply,
    Person,
    ReviewNote,
    ReviewThread,
    TeamMember,
)

# (table, column) pairs that hold a person id and may simply be rewritten.
_COLUMNS = (
    (Person, "delegate_id"),
    (Person, "manager_id"),
    (Objective, "owner_id"),
    (KeyResult, "owner_id"),
    (CheckIn, "author_id"),
    (ReviewNote, "author_id"),
    (ReviewNote, "subject_id"),
    (ReviewThread, "manager_id"),
    (ReviewThread, "subject_id"),
    (PendingReply, "person_id"),
)


async def _move_links(session: AsyncSession, model, key: str, moves: dict[str, str]) -> None:
    """A link table keyed by (key, person_id): move the old ids' rows, dropping those the new id already has."""
    rows = (
        await session.exec(select(getattr(model, key), model.person_id).where(col(model.person_id).in_(moves)))
    ).all()
    news = set(moves.values())
    held = set(
        (await session.exec(select(getattr(model, key), model.person_id).where(col(model.person_id).in_(news)))).all()
    )
    for link, old in rows:
        if (link, moves[old]) in held:
            await session.exec(delete(model).where(getattr(model, key) == link, col(model.person_id) == old))
        held.add((link, moves[old]))
    await _rewrite(session, model, "person_id", moves)


async def _rewrite(session: AsyncSession, model, name: str, moves: dict[str, str]) -> None:
    column = getattr(model, name)
    stmt = update(model).where(col(column).in_(moves)).values({name: case(moves, value=column)})
    await session.exec(stmt.execution_options(synchronize_session=False))


async def merge_people(*, session: AsyncSession, moves: dict[str, str]) -> dict[str, Person]:
    """Fold each old person into its new one (created if missing) in a fixed number of statements; returns the
    kept people by new id. Each old row's details fill what the new one lacks; then the old rows are deleted."""
    moves = {old: new for old, new in moves.items() if old != new}
    olds = await _people(session, moves)
    moves = {old: new for old, new in moves.items() if old in olds}
    if not moves:
        return {}
    kept = await _people(session, set(moves.values()))
    for new in set(moves.values()) - kept.keys():
        kept[new] = Person(id=new)
        session.add(kept[new])
    emails = {old: olds[old].email for old in moves}
    for old in moves:
        olds[old].email = None  # unique: free it before the new row takes it
    await session.flush()
    for old, new in moves.items():
        gone, person = olds[old], kept[new]
        person.email = person.email or emails[old]
        person.display_name = person.display_name or gone.display_name
        person.tz = person.tz or gone.tz
        person.manager_id = person.manager_id or gone.manager_id
        if person.away_until is None and gone.away_until is not None:
            person.away_until, person.delegate_id = gone.away_until, gone.delegate_id
    await session.flush()
    await _move_links(session, TeamMember, "team_id", moves)
    await _move_links(session, KRCoOwner, "kr_id", moves)
    for model, name in _COLUMNS:
        await _rewrite(session, model, name, moves)
    # Someone whose line manager was the person folded into them would now manage themselves.
    selfish = update(Person).where(col(Person.id).in_(kept), col(Person.manager_id) == col(Person.id))
    await session.exec(selfish.values(manager_id=None).execution_options(synchronize_session=False))
    for old in moves:
        await session.delete(olds[old])
    await session.flush()
    return kept


async def _people(session: AsyncSession, ids) -> dict[str, Person]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in (await session.exec(select(Person).where(col(Person.id).in_(wanted)))).all()}


async def merge_person(*, session: AsyncSession, old: str, new: str) -> Person | None:
    """Move everything `old` is referenced by onto `new` (created if missing) and delete `old`; None if no `old`."""
    return (await merge_people(session=session, moves={old: new})).get(new)


async def person_by_email(*, session: AsyncSession, email: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.email == email.lower()))).first()


async def people_by_emails(*, session: AsyncSession, emails: list[str]) -> dict[str, Person]:
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    rows = await session.exec(select(Person).where(col(Person.email).in_(wanted)))
    return {p.email: p for p in rows.all() if p.email}


async def any_email_people(*, session: AsyncSession) -> bool:
    """Whether the OKR file names anyone by email whom okrbot has not mapped yet."""
    query = select(Person.id).where(col(Person.id).startswith("email:")).limit(1)
    return (await session.exec(query)).first() is not None
