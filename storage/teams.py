"""Teams and their managers and members."""

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Team, TeamMember
from storage.people import ensure_people

MANAGER = "manager"
MEMBER = "member"


async def get_team(*, session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def get_team_by_name(*, session: AsyncSession, name: str) -> Team | None:
    """Case-insensitive, so `/okr team growth` finds "Growth"."""
    stmt = select(Team).where(func.lower(Team.name) == name.strip().lower())
    return (await session.exec(stmt)).first()


async def list_teams(*, session: AsyncSession) -> list[Team]:
    return list((await session.exec(select(Team).order_by(col(Team.name)))).all())


# Built once, with bound parameters: every Home tab and team view runs these (see storage/okrs.py).
_TEAM_NAMES = select(Team.id, Team.name).where(col(Team.id).in_(bindparam("ids", expanding=True)))
_TEAMS_OF = select(Team).join(TeamMember, col(TeamMember.team_id) == col(Team.id))
_TEAMS_OF_PERSON = _TEAMS_OF.where(TeamMember.person_id == bindparam("person_id")).order_by(col(Team.name))
_TEAMS_MANAGED_BY = _TEAMS_OF.where(
    TeamMember.person_id == bindparam("person_id"), TeamMember.role == MANAGER
).order_by(col(Team.name))


async def team_names(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """{team id: name} for the given teams, as (id, name) pairs: no Team rows loaded."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict((await session.exec(_TEAM_NAMES, params={"ids": wanted})).all())


async def add_team(*, session: AsyncSession, team: Team) -> Team:
    session.add(team)
    await session.flush()
    return team


async def teams_of_person(*, session: AsyncSession, person_id: str) -> list[Team]:
    """Every team the person belongs to, as manager or member."""
    return list((await session.exec(_TEAMS_OF_PERSON, params={"person_id": person_id})).all())


async def teams_managed_by(*, session: AsyncSession, person_id: str) -> list[Team]:
    return list((await session.exec(_TEAMS_MANAGED_BY, params={"person_id": person_id})).all())


async def _ids_with_role(session: AsyncSession, team_id: int, role: str) -> list[str]:
    stmt = (
        select(TeamMember.person_id)
        .where(TeamMember.team_id == team_id, TeamMember.role == role)
        .order_by(col(TeamMember.person_id))
    )
    return list((await session.exec(stmt)).all())


async def managers_of(*, session: AsyncSession, team_id: int) -> list[str]:
    return await _ids_with_role(session, team_id, MANAGER)


async def members_of(*, session: AsyncSession, team_id: int) -> list[str]:
    """Members only (role "member"); managers are listed by managers_of."""
    return await _ids_with_role(session, team_id, MEMBER)


async def is_manager(*, session: AsyncSession, team_id: int, person_id: str) -> bool:
    row = await session.get(TeamMember, (team_id, person_id))
    return row is not None and row.role == MANAGER


async def set_members(*, session: AsyncSession, team_id: int, managers: list[str], members: list[str]) -> None:
    """Replace the team's roster. Someone listed in both is a manager (one role per person per team).

    Unknown people get a bare person row so the foreign keys hold.
    """
    await ensure_people(session=session, ids=[*managers, *members])
    await session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
    roles = {pid: MEMBER for pid in members} | {pid: MANAGER for pid in managers}
    for person_id, role in roles.items():
        session.add(TeamMember(team_id=team_id, person_id=person_id, role=role))
    await session.flush()
