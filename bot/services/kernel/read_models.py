"""Build the read-only OKR views (bot.okr.messages.read_models) from storage, with a fixed number of queries.

Used by prompts, digests, /okr output and the Home tab alike. Nothing here reads review
notes: the views cannot hold one.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages.read_models import AlignedObjective, CycleInfo, KRView, ObjectiveView, kr_view
from bot.okr.progress import rollup
from bot.services.kernel.lookups import name_of
from storage import checkins, okrs, people, teams
from storage.models import Cycle, KeyResult, Objective, Team


def cycle_info(cycle: Cycle) -> CycleInfo:
    return CycleInfo(id=cycle.id, name=cycle.name, start=cycle.start, end=cycle.end, state=cycle.state)


async def kr_views(
    session: AsyncSession,
    *,
    krs: list[KeyResult],
    cycle: Cycle,
    today: date,
    titles: dict[int, str] | None = None,
    blockers_since: datetime | None = None,
    owners: dict | None = None,
) -> list[KRView]:
    """Views for the given KRs in order; owner names, latest comments and blockers fetched in bulk.

    Blockers are those of each KR's latest check-in; with `blockers_since` (a digest's period start), only when
    that check-in is in the period: a digest reports this period's blockers, not last month's. `owners`: Person
    rows the caller already holds ({id: Person}); only the owners missing from it are read."""
    facts = await _kr_facts(session, krs, owners or {})
    return _views(facts, krs, cycle_info(cycle), today, titles=titles, blockers_since=blockers_since)


@dataclass(frozen=True)
class _KRFacts:
    """What a KR's view needs beyond its row: its owner's name and its latest check-in's texts."""

    owners: dict
    texts: dict[int, tuple[str, str, datetime | None]]


async def _kr_facts(session: AsyncSession, krs: list[KeyResult], held: dict | None = None) -> _KRFacts:
    held = held or {}
    owners = {i: held[i] for i in {kr.owner_id for kr in krs} if i in held}
    owners |= await people.people_by_ids(session=session, ids={kr.owner_id for kr in krs} - owners.keys())
    return _KRFacts(owners, await checkins.latest_texts(session=session, kr_ids=[kr.id for kr in krs]))


def _views(
    facts: _KRFacts,
    krs: list[KeyResult],
    info: CycleInfo,
    today: date,
    *,
    titles: dict[int, str] | None = None,
    blockers_since: datetime | None = None,
) -> list[KRView]:
    texts = facts.texts

    def blockers(kr_id: int) -> dict:
        _comment, text, at = texts.get(kr_id, ("", "", None))
        stale = blockers_since is not None and at is not None and at < blockers_since
        return {"blockers": text, "blockers_at": at} if text and not stale else {}

    return [
        kr_view(
            id=kr.id,
            title=kr.title,
            kind=kr.kind,
            owner_id=kr.owner_id,
            owner_name=name_of(facts.owners.get(kr.owner_id), kr.owner_id),
            unit=kr.unit,
            start=kr.start_value,
            target=kr.target_value,
            current=kr.current_value,
            confidence=kr.confidence,
            cycle=info,
            today=today,
            last_checkin_at=kr.last_checkin_at,
            last_comment=texts.get(kr.id, ("",))[0],
            score=kr.score,
            weight=kr.weight,
            objective_title=(titles or {}).get(kr.objective_id, ""),
            **blockers(kr.id),
        )
        for kr in krs
    ]


@dataclass(frozen=True)
class TeamView:
    """One team's view to build: its objectives as of `today`, with blockers since `blockers_since`."""

    team: Team
    today: date
    blockers_since: datetime | None = None


async def team_objectives(
    session: AsyncSession, *, cycle: Cycle, team: Team, today: date, blockers_since: datetime | None = None
) -> list[ObjectiveView]:
    """A team's objectives with KRs, aligned children rolled up, and other teams' shared KRs appended."""
    return (await teams_objectives(session, cycle=cycle, wanted=[TeamView(team, today, blockers_since)]))[team.id]


async def teams_objectives(
    session: AsyncSession, *, cycle: Cycle, wanted: list[TeamView]
) -> dict[int, list[ObjectiveView]]:
    """team_objectives for many teams in one batch of reads (the same few queries for 1 team or 500).

    Only the KRs these views need are loaded (the teams' objectives, objectives they share KRs from, and their
    aligned descendants for the roll-up), so a view costs the same whatever the size of the rest of the org;
    the alignment tree is read as (id, parent, team) tuples, only the teams' own part of it (their objectives, those
    they share KRs from, and everything aligned under those), and team names as (id, name) pairs, once."""
    team_ids = [w.team.id for w in wanted]
    shared = await okrs.shared_key_results_for_teams(session=session, cycle_id=cycle.id, team_ids=team_ids)
    links = await okrs.objective_subtrees(
        session=session,
        cycle_id=cycle.id,
        team_ids=team_ids,
        objective_ids={kr.objective_id for krs in shared.values() for kr in krs},
    )
    parent_of = {i: parent for i, parent, _team in links}
    plans: dict[int, tuple[set[int], set[int]]] = {}  # team id -> (objectives needed, those plus their parents)
    for w in wanted:
        roots = {i for i, _parent, team_id in links if team_id == w.team.id} | {
            kr.objective_id for kr in shared[w.team.id]
        }
        needed = _with_descendants(links, roots)
        # The objectives shown are aligned under parents that may belong to other teams (outside the subtrees):
        # load those in the same query, so "aligned under X" costs nothing extra; archived ones are dropped below.
        plans[w.team.id] = (needed, needed | {parent_of[i] for i in needed if parent_of.get(i) is not None})
    ids = set().union(*(ids for _n, ids in plans.values()))
    loaded = [
        o for o in await okrs.objectives_in_order(session=session, ids=ids) if not o.archived and o.cycle_id == cycle.id
    ]
    position = {o.id: n for n, o in enumerate(loaded)}
    all_needed = set().union(*(needed for needed, _ids in plans.values()))
    by_obj = await okrs.key_results_for_objectives(session=session, objective_ids=all_needed & position.keys())
    facts = await _kr_facts(session, [kr for oid in position if oid in by_obj for kr in by_obj[oid]])
    names = await teams.team_names(session=session, ids={o.team_id for o in loaded})
    by_id = {o.id: o for o in loaded}
    out = {}
    for w in wanted:
        needed, ids = plans[w.team.id]
        mine = [by_id[i] for i in sorted(ids & position.keys(), key=position.__getitem__)]
        out[w.team.id] = _team_view(w, cycle, mine, needed, by_obj, facts, names, shared[w.team.id])
    return out


def _team_view(w: TeamView, cycle: Cycle, loaded, needed, by_obj, facts, team_names, shared) -> list[ObjectiveView]:
    used = [o for o in loaded if o.id in needed]
    krs = [kr for o in used for kr in by_obj[o.id]]
    views = _views(facts, krs, cycle_info(cycle), w.today, blockers_since=w.blockers_since)
    by_id = {v.id: v for v in views}
    progress = _rolled_up_progress(used, by_obj, by_id)
    tree = _Tree(loaded, progress, team_names)
    out = [_objective_view(o, by_obj, by_id, tree) for o in used if o.team_id == w.team.id]
    shared_ids = {s.id for s in shared}
    for obj in [o for o in used if o.id in {kr.objective_id for kr in shared}]:
        keep = [kr for kr in by_obj[obj.id] if kr.id in shared_ids]
        view = _objective_view(obj, {obj.id: keep}, by_id, tree)
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


class _Tree:
    """The loaded objectives as alignment: each one's parent and children, named, with rolled-up progress."""

    def __init__(self, loaded: list[Objective], progress: dict[int, float], team_names: dict[int, str]) -> None:
        self.by_id = {o.id: o for o in loaded}
        self.progress, self.team_names = progress, team_names

    def named(self, objective_id: int | None) -> AlignedObjective | None:
        o = self.by_id.get(objective_id) if objective_id is not None else None
        if o is None:
            return None
        return AlignedObjective(o.title, self.team_names.get(o.team_id, ""), self.progress.get(o.id, 0.0))

    def children(self, objective_id: int) -> tuple[AlignedObjective, ...]:
        kids = [o.id for o in self.by_id.values() if o.parent_id == objective_id and o.id in self.progress]
        return tuple(a for a in map(self.named, kids) if a is not None)


def _objective_view(o: Objective, by_obj, by_id, tree: _Tree) -> ObjectiveView:
    return ObjectiveView(
        id=o.id,
        title=o.title,
        team_name=tree.team_names.get(o.team_id, ""),
        krs=tuple(by_id[kr.id] for kr in by_obj[o.id]),
        progress=tree.progress[o.id],
        parent_id=o.parent_id,
        parent=tree.named(o.parent_id),
        children=tree.children(o.id),
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
