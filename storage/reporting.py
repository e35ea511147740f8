"""Reporting lines: who line-manages whom.

A person's line managers are their explicit `manager_id` when set; otherwise the managers of every team
where they are a *member* (never a team they manage themselves); never the person themselves.
The chain walks that relation upwards (the manager's manager, ...), cycle-safe.
"""

from collections.abc import Iterable

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, TeamMember
from storage.teams import MANAGER, MEMBER


async def direct_line_managers(*, session: AsyncSession, person_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each person's direct line managers (see the module docstring), in two queries for any number."""
    ids = set(person_ids)
    out: dict[str, set[str]] = {pid: set() for pid in ids}
    if not ids:
        return out
    rows = await session.exec(select(Person.id, Person.manager_id).where(col(Person.id).in_(ids)))
    explicit = {pid: manager for pid, manager in rows.all() if manager}
    for pid, manager in explicit.items():
        out[pid].add(manager)
    by_team = ids - explicit.keys()
    if by_team:
        member, boss = aliased(TeamMember), aliased(TeamMember)
        stmt = (
            select(member.person_id, boss.person_id)
            .join(boss, boss.team_id == member.team_id)
            .where(col(member.person_id).in_(by_team), member.role == MEMBER, boss.role == MANAGER)
        )
        for pid, manager in (await session.exec(stmt)).all():
            out[pid].add(manager)
    for pid in ids:
        out[pid].discard(pid)
    return out


async def line_manager_chains(*, session: AsyncSession, person_ids: Iterable[str]) -> dict[str, set[str]]:
    """Everyone above each person in the reporting line, transitively; two queries per level."""
    ids = set(person_ids)
    graph: dict[str, set[str]] = {}
    frontier = set(ids)
    while frontier:  # each level only asks about people not yet seen, so a cycle ends the walk
        graph |= await direct_line_managers(session=session, person_ids=frontier)
        frontier = set().union(*(graph[p] for p in frontier)) - graph.keys()
    chains = {}
    for pid in ids:
        seen: set[str] = set()
        todo = list(graph[pid])
        while todo:
            up = todo.pop()
            if up not in seen:
                seen.add(up)
                todo.extend(graph.get(up, ()))
        seen.discard(pid)  # a loop back to the person never makes them their own manager
        chains[pid] = seen
    return chains


async def line_manager_chain(*, session: AsyncSession, person_id: str) -> set[str]:
    """Everyone above `person_id` in the reporting line."""
    return (await line_manager_chains(session=session, person_ids=[person_id]))[person_id]


async def direct_reports(*, session: AsyncSession, manager_ids: Iterable[str]) -> set[str]:
    """Everyone whose direct line managers include one of `manager_ids` (the inverse of direct_line_managers)."""
    ids = set(manager_ids)
    if not ids:
        return set()
    explicit = await session.exec(select(Person.id).where(col(Person.manager_id).in_(ids)))
    member, boss = aliased(TeamMember), aliased(TeamMember)
    stmt = (
        select(member.person_id)
        .join(boss, boss.team_id == member.team_id)
        .join(Person, col(Person.id) == member.person_id)
        .where(col(boss.person_id).in_(ids), boss.role == MANAGER, member.role == MEMBER)
        .where(col(Person.manager_id).is_(None))
    )
    return set(explicit.all()) | set((await session.exec(stmt)).all())


async def reports_under(*, session: AsyncSession, manager_id: str) -> set[str]:
    """Everyone below `manager_id` in the reporting line, transitively (whose chain includes them)."""
    seen: set[str] = set()
    frontier = {manager_id}
    while frontier:
        frontier = await direct_reports(session=session, manager_ids=frontier) - seen - {manager_id}
        seen |= frontier
    return seen
