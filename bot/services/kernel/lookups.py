"""Lookups every feature shares: the active cycle, a team by name, a person's display name."""

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel.errors import NotFound
from storage import cycles, teams
from storage.models import Cycle, Person, Team


async def current_cycle(session: AsyncSession) -> Cycle:
    """The active cycle, or a NotFound that says how to create one."""
    cycle = await cycles.active_cycle(session=session)
    if cycle is None:
        raise NotFound("There is no active OKR cycle yet. An okrbot admin can import one (`okrbot import`).")
    return cycle


async def find_team(session: AsyncSession, name: str) -> Team:
    """The team called `name`, or a NotFound that lists the teams there are."""
    team = await teams.get_team_by_name(session=session, name=name)
    if team is None:
        names = ", ".join(t.name for t in await teams.list_teams(session=session)) or "none yet"
        raise NotFound(f"I don't know a team called “{name}”. Teams: {names}.")
    return team


def name_of(person: Person | None, person_id: str) -> str:
    """The name to show for a person: their display name, else their id (never empty)."""
    return (person.display_name if person else "") or person_id
