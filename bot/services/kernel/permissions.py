"""Who may do what. Checked here, in the service layer, never only in handlers.

| action | who |
|---|---|
| view any OKR | everyone (OKRs are transparent) |
| check in on a KR | its owner and co-owners, a manager of its team, an admin |
| create/edit a team's objectives and KRs | the team's managers, admins |
| edit own KR's title and comment (not target, owner, weight, due date, archiving) | the KR's owner |
| change team settings | the team's managers (and admins) |
| open/close cycles | admins |
| write or read review notes about a person | that person's line managers, transitively up the chain, and HR |
|   | (`OKRBOT_HR`); never the person themselves, nobody about themselves; admins only if also one of those |

A person's line managers are their explicit `manager` in the OKR file's people: list; otherwise the managers
of each team where they are a member (not a team they manage). See storage/reporting.py.
"""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel.errors import PermissionDenied
from storage import okrs, reporting, teams
from storage.models import KeyResult, KRCoOwner, Objective, Team


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


async def can_see_notes_about(session: AsyncSession, *, viewer_id: str, subject_id: str, hr: frozenset[str]) -> bool:
    """Review notes: HR and the subject's line managers up the chain; nobody about themselves; admins as such: no."""
    if viewer_id == subject_id:
        return False
    if viewer_id in hr:
        return True
    return viewer_id in await reporting.line_manager_chain(session=session, person_id=subject_id)


async def note_subjects_among(session: AsyncSession, *, viewer_id: str, person_ids: list[str]) -> set[str]:
    """Those of `person_ids` whose notes `viewer_id` may read and write as a line manager (the manager digest)."""
    chains = await reporting.line_manager_chains(session=session, person_ids=[p for p in person_ids if p != viewer_id])
    return {pid for pid, chain in chains.items() if viewer_id in chain}


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
    session: AsyncSession,
    *,
    user_id: str,
    krs: list[KeyResult],
    admins: frozenset[str],
    managed: list[Team] | None = None,
    objectives: dict[int, Objective] | None = None,
) -> frozenset[int]:
    """Ids of the KRs the viewer may open an edit modal for (owner, team manager, admin), in two queries, or none
    when the caller passes the viewer's managed teams and these KRs' objectives, read in this session."""
    if user_id in admins:
        return frozenset(kr.id for kr in krs)
    if managed is None:
        managed = await teams.teams_managed_by(session=session, person_id=user_id)
    managed_ids = {t.id for t in managed}
    wanted = {kr.objective_id for kr in krs}
    objs = objectives if objectives is not None and wanted <= objectives.keys() else None
    if objs is None:
        objs = await okrs.objectives_by_ids(session=session, ids=wanted)
    return frozenset(
        kr.id
        for kr in krs
        if kr.owner_id == user_id or (kr.objective_id in objs and objs[kr.objective_id].team_id in managed_ids)
    )
