"""Who may do what. Checked here, in the service layer, never only in handlers.

| action | who |
|---|---|
| view any OKR | everyone (OKRs are transparent) |
| check in on a KR | its owner and co-owners, a manager of its team, an admin |
| create/edit a team's objectives and KRs | the team's managers, admins |
| edit own KR's title and comment (not target, owner, weight, due date, archiving) | the KR's owner |
| change team settings | the team's managers (and admins) |
| open/close cycles | admins |
| write or read review notes about a person | that person's managers, admins |
"""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel.errors import PermissionDenied
from storage import okrs, teams
from storage.models import KeyResult, KRCoOwner, TeamMember


async def is_team_manager(session: AsyncSession, *, user_id: str, team_id: int) -> bool:
    return await teams.is_manager(session=session, team_id=team_id, person_id=user_id)


async def kr_team_id(session: AsyncSession, kr: KeyResult) -> int:
    obj = await okrs.get_objective(session=session, objective_id=kr.objective_id)
    return obj.team_id


async def can_check_in(session: AsyncSession, *, user_id: str, kr: KeyResult, admins: frozenset[str]) -> bool:
    if user_id == kr.owner_id or user_id in admins:
        return True
    co = await session.exec(select(KRCoOwner).where(KRCoOwner.kr_id == kr.id, KRCoOwner.person_id == user_id))
    if co.first() is not None:
        return True
    return await is_team_manager(session, user_id=user_id, team_id=await kr_team_id(session, kr))


async def require_check_in(session: AsyncSession, *, user_id: str, kr: KeyResult, admins: frozenset[str]) -> None:
    if not await can_check_in(session, user_id=user_id, kr=kr, admins=admins):
        raise PermissionDenied(
            "Only this KR's owner or co-owners, a manager of its team, or an okrbot admin can check in on it."
        )


async def can_manage_team(session: AsyncSession, *, user_id: str, team_id: int, admins: frozenset[str]) -> bool:
    return user_id in admins or await is_team_manager(session, user_id=user_id, team_id=team_id)


async def require_manage_team(session: AsyncSession, *, user_id: str, team_id: int, admins: frozenset[str]) -> None:
    if not await can_manage_team(session, user_id=user_id, team_id=team_id, admins=admins):
        raise PermissionDenied("Only this team's managers or an okrbot admin can do that.")


def require_admin(*, user_id: str, admins: frozenset[str]) -> None:
    if user_id not in admins:
        raise PermissionDenied("Only okrbot admins can do that (see OKRBOT_ADMINS).")


async def manages_person(session: AsyncSession, *, manager_id: str, person_id: str) -> bool:
    """True if `manager_id` manages a team that `person_id` belongs to (as member or manager)."""
    managed = {t.id for t in await teams.teams_managed_by(session=session, person_id=manager_id)}
    if not managed:
        return False
    rows = await session.exec(select(TeamMember.team_id).where(TeamMember.person_id == person_id))
    return any(team_id in managed for team_id in rows.all())


async def managed_among(session: AsyncSession, *, manager_id: str, person_ids: list[str]) -> set[str]:
    """Those of `person_ids` whom `manager_id` manages (see manages_person), in two queries for any number."""
    managed = {t.id for t in await teams.teams_managed_by(session=session, person_id=manager_id)}
    if not managed or not person_ids:
        return set()
    stmt = select(TeamMember.person_id).where(
        col(TeamMember.person_id).in_(person_ids), col(TeamMember.team_id).in_(managed)
    )
    return set((await session.exec(stmt)).all())


async def can_see_notes_about(
    session: AsyncSession, *, viewer_id: str, subject_id: str, admins: frozenset[str]
) -> bool:
    """Review notes: the subject's managers and admins (HR). Never the wider team."""
    if viewer_id in admins:
        return True
    return viewer_id != subject_id and await manages_person(session, manager_id=viewer_id, person_id=subject_id)


# What a KR's owner may change on their own KR without being a manager (target, owner,
# alignment and archiving stay with the team's managers).
OWNER_EDITABLE = frozenset({"title", "comment"})


async def can_edit_kr(session: AsyncSession, *, user_id: str, kr: KeyResult, admins: frozenset[str]) -> bool:
    """Full edit rights on a KR: a manager of its team or an admin."""
    return await can_manage_team(session, user_id=user_id, team_id=await kr_team_id(session, kr), admins=admins)


async def require_edit_kr_fields(
    session: AsyncSession, *, user_id: str, kr: KeyResult, fields: set[str], admins: frozenset[str]
) -> None:
    """Managers/admins may change anything; the owner only OWNER_EDITABLE fields; others nothing."""
    if await can_edit_kr(session, user_id=user_id, kr=kr, admins=admins):
        return
    if user_id == kr.owner_id and fields <= OWNER_EDITABLE:
        return
    if user_id == kr.owner_id:
        raise PermissionDenied("As the KR's owner you can edit its title; a manager of its team can change the rest.")
    raise PermissionDenied("Only this team's managers or an okrbot admin can edit this KR.")


async def editable_kr_ids(
    session: AsyncSession, *, user_id: str, krs: list[KeyResult], admins: frozenset[str]
) -> frozenset[int]:
    """Ids of the KRs the viewer may open an edit modal for (owner, team manager, admin), in two queries."""
    if user_id in admins:
        return frozenset(kr.id for kr in krs)
    managed = {t.id for t in await teams.teams_managed_by(session=session, person_id=user_id)}
    objs = await okrs.objectives_by_ids(session=session, ids={kr.objective_id for kr in krs})
    return frozenset(
        kr.id
        for kr in krs
        if kr.owner_id == user_id or (kr.objective_id in objs and objs[kr.objective_id].team_id in managed)
    )
