"""Build the read-only OKR views (bot.okr.messages.read_models) from storage, with a fixed number of queries.

Used by prompts, digests, /okr output and the Home tab alike. Nothing here reads review
notes: the views cannot hold one.
"""

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages.read_models import CycleInfo, KRView, ObjectiveView, kr_view
from bot.okr.progress import rollup
from bot.services.kernel.lookups import name_of
from storage import checkins, okrs, people, teams
from storage.models import Cycle, KeyResult, Objective, Team


def cycle_info(cycle: Cycle) -> CycleInfo:
    return CycleInfo(id=cycle.id, name=cycle.name, start=cycle.start, end=cycle.end, state=cycle.state)


async def kr_views(
    session: AsyncSession, *, krs: list[KeyResult], cycle: Cycle, today: date, titles: dict[int, str] | None = None
) -> list[KRView]:
    """Views for the given KRs in order; owner names and latest comments fetched in bulk."""
    owners = await people.people_by_ids(session=session, ids={kr.owner_id for kr in krs})
    comments = await checkins.latest_comments(session=session, kr_ids=[kr.id for kr in krs])
    info = cycle_info(cycle)
    return [
        kr_view(
            id=kr.id,
            title=kr.title,
            kind=kr.kind,
            owner_id=kr.owner_id,
            owner_name=name_of(owners.get(kr.owner_id), kr.owner_id),
            unit=kr.unit,
            start=kr.start_value,
            target=kr.target_value,
            current=kr.current_value,
            confidence=kr.confidence,
            cycle=info,
            today=today,
            last_checkin_at=kr.last_checkin_at,
            last_comment=comments.get(kr.id, ""),
            score=kr.score,
            weight=kr.weight,
            objective_title=(titles or {}).get(kr.objective_id, ""),
        )
        for kr in krs
    ]


async def team_objectives(session: AsyncSession, *, cycle: Cycle, team: Team, today: date) -> list[ObjectiveView]:
    """A team's objectives with KRs, aligned children rolled up, and other teams' shared KRs appended.

    Only the KRs this team's view needs are loaded (its objectives, objectives it shares KRs from, and their
    aligned descendants for the roll-up), so a digest costs the same whatever the size of the rest of the org."""
    links = await okrs.objective_links(session=session, cycle_id=cycle.id)
    shared = await okrs.shared_key_results_for_team(session=session, cycle_id=cycle.id, team_id=team.id)
    roots = {i for i, _parent, team_id in links if team_id == team.id} | {kr.objective_id for kr in shared}
    used = await okrs.objectives_in_order(session=session, ids=_with_descendants(links, roots))
    by_obj = await okrs.key_results_for_objectives(session=session, objective_ids=[o.id for o in used])
    views = await kr_views(session, krs=[kr for o in used for kr in by_obj[o.id]], cycle=cycle, today=today)
    by_id = {v.id: v for v in views}
    progress = _rolled_up_progress(used, by_obj, by_id)
    team_names = {t.id: t.name for t in await teams.list_teams(session=session)}
    out = [_objective_view(o, by_obj, by_id, progress, team_names) for o in used if o.team_id == team.id]
    for obj in [o for o in used if o.id in {kr.objective_id for kr in shared}]:
        keep = [kr for kr in by_obj[obj.id] if kr.id in {s.id for s in shared}]
        view = _objective_view(obj, {obj.id: keep}, by_id, progress, team_names)
        out.append(ObjectiveView(**{**view.__dict__, "shared_from": team_names.get(obj.team_id, "")}))
    return out


def _with_descendants(links: list[tuple[int, int | None, int]], roots: set[int]) -> set[int]:
    """`roots` and every live objective aligned under them, at any depth (alignment cycles are tolerated)."""
    children: dict[int, list[int]] = {}
    for objective_id, parent_id, _team in links:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(objective_id)
    found, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _objective_view(o: Objective, by_obj, by_id, progress, team_names) -> ObjectiveView:
    return ObjectiveView(
        id=o.id,
        title=o.title,
        team_name=team_names.get(o.team_id, ""),
        krs=tuple(by_id[kr.id] for kr in by_obj[o.id]),
        progress=progress[o.id],
        parent_id=o.parent_id,
    )


def _rolled_up_progress(objs: list[Objective], by_obj, by_id) -> dict[int, float]:
    """Objective progress: its KRs by weight, plus aligned children weighted by their KR weight."""
    children: dict[int, list[Objective]] = {}
    for o in objs:
        if o.parent_id is not None:
            children.setdefault(o.parent_id, []).append(o)
    done: dict[int, tuple[float, float]] = {}

    def visit(o: Objective, path: frozenset[int]) -> tuple[float, float]:
        if o.id in done:
            return done[o.id]
        items = [(by_id[kr.id].progress, kr.weight) for kr in by_obj[o.id]]
        for child in children.get(o.id, []):
            if child.id not in path:  # a cycle in alignment must not recurse forever
                items.append(visit(child, path | {child.id}))
        weight = sum(w for _, w in items) or 1.0
        done[o.id] = (rollup(items), weight)
        return done[o.id]

    return {o.id: visit(o, frozenset({o.id}))[0] for o in objs}
