"""Fold one person row into another: every reference to `old` becomes `new`, then `old` is deleted.

Used when okrbot learns who an "email:<address>" person from the OKR file is on Teams (bot/services/roster.py).
The send ledger keeps its rows as they were (history; its recipient is not a foreign key).
"""

from sqlalchemy import delete, update
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


async def _move_links(session: AsyncSession, model, key: str, old: str, new: str) -> None:
    """A link table keyed by (key, person_id): move old's rows, dropping those new already has."""
    held = set((await session.exec(select(getattr(model, key)).where(model.person_id == new))).all())
    if held:
        await session.exec(delete(model).where(col(model.person_id) == old, col(getattr(model, key)).in_(held)))
    await session.exec(update(model).where(col(model.person_id) == old).values(person_id=new))


async def merge_person(*, session: AsyncSession, old: str, new: str) -> Person | None:
    """Move everything `old` is referenced by onto `new` (created if missing) and delete `old`; None if no `old`."""
    gone = await session.get(Person, old)
    if gone is None or old == new:
        return None
    kept = await session.get(Person, new)
    if kept is None:
        kept = Person(id=new)
        session.add(kept)
    email, gone.email = gone.email, None  # unique: free it before `new` takes it
    await session.flush()
    kept.email = kept.email or email
    kept.display_name = kept.display_name or gone.display_name
    kept.tz = kept.tz or gone.tz
    kept.manager_id = kept.manager_id or gone.manager_id
    if kept.away_until is None and gone.away_until is not None:
        kept.away_until, kept.delegate_id = gone.away_until, gone.delegate_id
    await session.flush()
    await _move_links(session, TeamMember, "team_id", old, new)
    await _move_links(session, KRCoOwner, "kr_id", old, new)
    for model, name in _COLUMNS:
        column = getattr(model, name)
        await session.exec(update(model).where(col(column) == old).values({name: new}))
    await session.exec(
        update(Person).where(col(Person.id) == new, col(Person.manager_id) == new).values(manager_id=None)
    )
    await session.exec(delete(Person).where(col(Person.id) == old))
    await session.flush()
    return kept


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
