"""People: Slack users the bot knows, keyed by their Slack user id."""

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person

_PEOPLE = Person.__table__
# Built once, with bound parameters: every view asks for its people's names (see storage/okrs.py).
_PEOPLE_BY_IDS = select(Person).where(col(Person.id).in_(bindparam("ids", expanding=True)))
_SET_DM = update(_PEOPLE).where(_PEOPLE.c.id == bindparam("person_id")).values(dm_channel=bindparam("new_dm"))


async def get_person(*, session: AsyncSession, person_id: str) -> Person | None:
    return await session.get(Person, person_id)


async def upsert_person(
    *,
    session: AsyncSession,
    id: str,
    display_name: str | None = None,
    tz: str | None = None,
    away_until: date | None = None,
    delegate_id: str | None = None,
) -> Person:
    """Create the person if missing; each argument left as None keeps the stored value."""
    person = await session.get(Person, id)
    if person is None:
        person = Person(id=id)
        session.add(person)
    updates = {"display_name": display_name, "tz": tz, "away_until": away_until, "delegate_id": delegate_id}
    for name, value in updates.items():
        if value is not None:
            setattr(person, name, value)
    await session.flush()
    return person


async def ensure_people(*, session: AsyncSession, ids: Iterable[str]) -> None:
    """Create a bare row for every id not yet known, so foreign keys to person hold."""
    wanted = set(ids)
    if not wanted:
        return
    known = await people_by_ids(session=session, ids=wanted)
    for person_id in sorted(wanted - known.keys()):
        session.add(Person(id=person_id))
    await session.flush()


async def list_people(*, session: AsyncSession) -> list[Person]:
    return list((await session.exec(select(Person).order_by(col(Person.id)))).all())


async def people_by_ids(*, session: AsyncSession, ids: Iterable[str]) -> dict[str, Person]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.exec(_PEOPLE_BY_IDS, params={"ids": sorted(wanted)})
    return {p.id: p for p in rows.all()}


async def home_opened_at(*, session: AsyncSession, person_id: str) -> datetime | None:
    """When the person last opened the Home tab (as recorded: at most once a day), or None."""
    stmt = core_select(_PEOPLE.c.home_opened_at).where(_PEOPLE.c.id == person_id)
    return (await session.exec(stmt)).scalar()


async def set_home_opened(*, session: AsyncSession, person_id: str, at: datetime, unless_since: datetime) -> None:
    """Record a Home tab open at `at`, unless one at or after `unless_since` is already recorded (one UPDATE)."""
    stale = or_(_PEOPLE.c.home_opened_at.is_(None), _PEOPLE.c.home_opened_at < unless_since)
    await session.exec(update(_PEOPLE).where(_PEOPLE.c.id == person_id, stale).values(home_opened_at=at))


_HOME_USERS = core_select(_PEOPLE.c.id).where(  # built once: every check-in asks (effects_due.mark)
    _PEOPLE.c.id.in_(bindparam("ids", expanding=True)),
    _PEOPLE.c.home_opened_at >= bindparam("since", type_=_PEOPLE.c.home_opened_at.type),
)


async def home_users(*, session: AsyncSession, ids: Iterable[str], since: datetime) -> set[str]:
    """Those of `ids` who opened the Home tab at or after `since`."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = await (await session.connection()).execute(_HOME_USERS, {"ids": wanted, "since": since})
    return set(rows.scalars().all())


async def set_dm_channels(*, session: AsyncSession, channels: dict[str, str]) -> int:
    """Cache each person's DM channel id (Core rows, no ORM objects: a fan-out records 50 at a time); returns how
    many changed. Only rows whose cached id differs are written."""
    if not channels:
        return 0
    conn = await session.connection()
    held = await conn.execute(core_select(_PEOPLE.c.id, _PEOPLE.c.dm_channel).where(_PEOPLE.c.id.in_(list(channels))))
    changed = [{"person_id": pid, "new_dm": channels[pid]} for pid, dm in held.all() if dm != channels[pid]]
    if changed:
        await conn.execute(_SET_DM, changed)
    return len(changed)


async def set_timezones(*, session: AsyncSession, tzs: dict[str, str | None], at: datetime) -> int:
    """Store timezones fetched from Slack for people we already know; returns how many changed.

    Unknown ids are ignored: users.list returns the whole workspace, and only people
    in a team or owning a KR need a row.
    """
    changed = 0
    for person in (await people_by_ids(session=session, ids=tzs.keys())).values():
        if person.tz != tzs[person.id]:
            person.tz = tzs[person.id]
            changed += 1
        person.tz_refreshed_at = at
    await session.flush()
    return changed
