"""Read-only OKR answers for /okr mine, team, @person and at-risk: plain data, a page at a time."""

from bot.okr.messages.okrs import PAGE_SIZE, KRList, Page, TeamChoice, TeamPage, TeamPicker
from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.okr.types import Confidence, Pacing
from bot.services.kernel import read_models
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.lookups import current_cycle, find_team, name_of
from bot.services.kernel.permissions import can_manage_team, editable_kr_ids
from storage import okrs, people, teams


def _slice(items: list, offset: int) -> list:
    return items[max(offset, 0) : max(offset, 0) + PAGE_SIZE]


async def _kr_list(svc: Services, session, *, viewer, krs, cycle, title, query, offset, empty) -> KRList:
    objs = await okrs.objectives_by_ids(session=session, ids={kr.objective_id for kr in krs})
    shown = _slice(krs, offset)
    views = await read_models.kr_views(
        session, krs=shown, cycle=cycle, today=svc.now().date(), titles={o.id: o.title for o in objs.values()}
    )
    editable = await editable_kr_ids(session, user_id=viewer, krs=shown, admins=svc.admins)
    return KRList(
        title=title,
        krs=tuple(views),
        page=Page(offset=offset, total=len(krs), query=query),
        empty_text=empty,
        editable=editable,
        cycle_name=cycle.name,
    )


async def my_krs(svc: Services, *, user_id: str, offset: int = 0) -> KRList:
    """The KRs the person owns or co-owns in the active cycle."""
    return await person_krs(svc, viewer_id=user_id, person_id=user_id, offset=offset)


async def person_krs(svc: Services, *, viewer_id: str, person_id: str, offset: int = 0) -> KRList:
    """Someone's KRs (everyone may view every OKR)."""
    async with svc.db.read() as session:
        cycle = await current_cycle(session)
        krs = await okrs.key_results_owned_by(session=session, person_id=person_id, cycle_id=cycle.id)
        mine = viewer_id == person_id
        person = await people.get_person(session=session, person_id=person_id)
        name = name_of(person, person_id)
        return await _kr_list(
            svc,
            session,
            viewer=viewer_id,
            krs=krs,
            cycle=cycle,
            title="Your key results" if mine else f"{name}'s key results",
            query=f"person:{person_id}",
            offset=offset,
            empty="You own no key results this cycle." if mine else f"{name} owns no key results this cycle.",
        )


def is_at_risk(v: KRView) -> bool:
    return v.pacing in (Pacing.BEHIND, Pacing.AT_RISK) or v.confidence in (Confidence.AT_RISK, Confidence.OFF_TRACK)


async def at_risk(svc: Services, *, user_id: str, team_name: str = "", offset: int = 0) -> KRList:
    """KRs off pace or marked at risk / off track, in one team or all teams."""
    async with svc.db.read() as session:
        cycle = await current_cycle(session)
        krs = await okrs.live_key_results_in_cycle(session=session, cycle_id=cycle.id)
        label = "all teams"
        if team_name:
            team = await find_team(session, team_name)
            objs = await okrs.objectives_by_ids(session=session, ids={kr.objective_id for kr in krs})
            krs = [kr for kr in krs if objs[kr.objective_id].team_id == team.id]
            label = team.name
        views = await read_models.kr_views(session, krs=krs, cycle=cycle, today=svc.now().date())
        risky_ids = {v.id for v in views if is_at_risk(v)}
        return await _kr_list(
            svc,
            session,
            viewer=user_id,
            krs=[kr for kr in krs if kr.id in risky_ids],
            cycle=cycle,
            title=f"At-risk key results: {label}",
            query=f"risk:{team_name}",
            offset=offset,
            empty=f"Nothing is off pace or at risk in {label}. :tada:",
        )


async def team_view(
    svc: Services, *, user_id: str, name: str = "", team_id: int | None = None, offset: int = 0
) -> TeamPage | TeamPicker:
    """A team's objectives and KRs; without a name, the viewer's team, or a picker if they are in several."""
    async with svc.db.read() as session:
        cycle = await current_cycle(session)
        if team_id is not None:
            team = await teams.get_team(session=session, team_id=team_id)
            if team is None:
                raise NotFound("That team no longer exists.")
        elif name:
            team = await find_team(session, name)
        else:
            mine = await teams.teams_of_person(session=session, person_id=user_id)
            if len(mine) > 1:
                return TeamPicker(teams=tuple(TeamChoice(id=t.id, name=t.name) for t in mine))
            if not mine:
                names = ", ".join(t.name for t in await teams.list_teams(session=session)) or "none yet"
                raise NotFound(f"You're not in a team. Try `/okr team <name>`. Teams: {names}.")
            team = mine[0]
        return await _team_page(svc, session, user_id=user_id, team=team, cycle=cycle, offset=offset)


async def _team_page(svc: Services, session, *, user_id, team, cycle, offset) -> TeamPage:
    objectives = await read_models.team_objectives(session, cycle=cycle, team=team, today=svc.now().date())
    page_objs, total = _page_of_objectives(objectives, offset)
    kr_ids = [kr.id for o in page_objs for kr in o.krs]
    krs = [await okrs.get_key_result(session=session, kr_id=i) for i in kr_ids]  # identity-map hits, no queries
    return TeamPage(
        team_id=team.id,
        team_name=team.name,
        objectives=tuple(page_objs),
        page=Page(offset=offset, total=total, query=f"team:{team.id}"),
        can_manage=await can_manage_team(session, user_id=user_id, team_id=team.id, admins=svc.admins),
        editable=await editable_kr_ids(session, user_id=user_id, krs=krs, admins=svc.admins),
        cycle_name=cycle.name,
    )


def _page_of_objectives(objectives: list[ObjectiveView], offset: int) -> tuple[list[ObjectiveView], int]:
    """Page by slots: one per KR, one per objective without KRs; objectives keep only their slots in range."""
    out, slot = [], 0
    for o in objectives:
        n = max(len(o.krs), 1)
        lo, hi = max(offset - slot, 0), min(offset + PAGE_SIZE - slot, n)
        if lo < hi:
            out.append(ObjectiveView(**{**o.__dict__, "krs": o.krs[lo:hi]}))
        slot += n
    return out, slot


async def page_for(svc: Services, *, user_id: str, query: str, offset: int) -> KRList | TeamPage | TeamPicker:
    """The page a Show more button asks for (its value carries the query and offset)."""
    kind, _, arg = query.partition(":")
    if kind == "team":
        return await team_view(svc, user_id=user_id, team_id=int(arg), offset=offset)
    if kind == "person":
        return await person_krs(svc, viewer_id=user_id, person_id=arg, offset=offset)
    if kind == "risk":
        return await at_risk(svc, user_id=user_id, team_name=arg, offset=offset)
    raise InvalidInput("That button has expired; run the command again.")
