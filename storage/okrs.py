"""Objectives and key results, with their co-owners and contributing teams.

Batch lookups take a list of ids and answer with a dict in ONE query, so views that
show many KRs never issue a query per KR.
"""

from collections.abc import Iterable

from sqlalchemy import Row, bindparam, delete, or_, union, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KeyResult, KRCoOwner, KRTeam, Objective, Person
from storage.people import ensure_people

_KR = KeyResult.__table__
_OWNER = Person.__table__
_OBJ, _KR_TEAM, _KR_CO_OWNER = Objective.__table__, KRTeam.__table__, KRCoOwner.__table__
_SET_KR_VALUES = (
    update(_KR)
    .where(_KR.c.id == bindparam("kr_id"))
    .values(
        current_value=bindparam("new_value"), confidence=bindparam("new_confidence"), last_checkin_at=bindparam("at")
    )
)


async def get_objective(*, session: AsyncSession, objective_id: int) -> Objective | None:
    return await session.get(Objective, objective_id)


async def get_key_result(*, session: AsyncSession, kr_id: int) -> KeyResult | None:
    return await session.get(KeyResult, kr_id)


# The thread reply's statements are built once, with bound parameters: building one and its cache key cost more
# than SQLite's work on it (~0.3 ms each; docs/performance.md).
_KR_ROWS = (
    core_select(_KR, _OWNER.c.delegate_id.label("owner_delegate_id"), _OWNER.c.away_until.label("owner_away_until"))
    .outerjoin(_OWNER, _OWNER.c.id == _KR.c.owner_id)
    .where(_KR.c.id.in_(bindparam("ids", expanding=True)))
)


async def key_result_rows(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, Row]:
    """KRs by id as Core rows (no ORM objects: the thread-reply path), in one SELECT: every key_result column
    plus the owner's `owner_delegate_id` and `owner_away_until` (for the delegate's check-in right)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in (await (await session.connection()).execute(_KR_ROWS, {"ids": wanted})).all()}


async def set_key_result_values(*, session: AsyncSession, values: dict[int, tuple[float, str]], at) -> None:
    """Each KR's current value and confidence, and its last check-in time `at` (one executemany UPDATE)."""
    if values:
        rows = [{"kr_id": k, "new_value": v, "new_confidence": c, "at": at} for k, (v, c) in sorted(values.items())]
        await (await session.connection()).execute(_SET_KR_VALUES, rows)


async def objectives_for_team(
    *, session: AsyncSession, cycle_id: int, team_id: int, include_archived: bool = False
) -> list[Objective]:
    stmt = select(Objective).where(Objective.cycle_id == cycle_id, Objective.team_id == team_id)
    if not include_archived:
        stmt = stmt.where(col(Objective.archived).is_(False))
    stmt = stmt.order_by(col(Objective.position), col(Objective.id))
    return list((await session.exec(stmt)).all())


async def objectives_in_cycle(*, session: AsyncSession, cycle_id: int) -> list[Objective]:
    """Every objective of the cycle, archived included, ordered by position."""
    stmt = select(Objective).where(Objective.cycle_id == cycle_id).order_by(col(Objective.position), col(Objective.id))
    return list((await session.exec(stmt)).all())


# The views' statements (Home tab, digests, /okr) are built once, with bound parameters: building a statement
# and its cache key on every call cost ~0.3 ms each, more than SQLite's work on it (docs/performance.md).
_OBJECTIVES_IN_ORDER = (
    select(Objective)
    .where(col(Objective.id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Objective.position), col(Objective.id))
)
_KRS_OF = select(KeyResult).where(col(KeyResult.objective_id).in_(bindparam("ids", expanding=True)))
_KRS_OF_OBJECTIVES = {  # by include_archived
    True: _KRS_OF.order_by(col(KeyResult.position), col(KeyResult.id)),
    False: _KRS_OF.where(col(KeyResult.archived).is_(False)).order_by(col(KeyResult.position), col(KeyResult.id)),
}
# The person's KR ids as a UNION of two indexed lookups: with `owner_id = ? OR id IN (co-owned)` no index
# serves the OR, and SQLite read every KR of the cycle to test it (0.64 against 0.18 ms at 2,000 KRs).
_MINE = union(
    core_select(_KR.c.id).where(_KR.c.owner_id == bindparam("person_id")),
    core_select(_KR_CO_OWNER.c.kr_id).where(_KR_CO_OWNER.c.person_id == bindparam("person_id")),
)
_KRS_OWNED_BY = (
    select(KeyResult)
    .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
    .where(
        Objective.cycle_id == bindparam("cycle_id"),
        col(Objective.archived).is_(False),
        col(KeyResult.archived).is_(False),
        col(KeyResult.id).in_(_MINE),
    )
    .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
)


def _subtrees():
    """The live objectives of some teams, some objectives, and every live objective aligned under them at any depth:
    a recursive CTE from those roots down (UNION, not UNION ALL: an alignment cycle ends when it comes round)."""
    o, child = _OBJ, _OBJ.alias("child")
    live = (o.c.cycle_id == bindparam("cycle_id"), o.c.archived.is_(False))
    roots = or_(o.c.team_id.in_(bindparam("team_ids", expanding=True)), o.c.id.in_(bindparam("ids", expanding=True)))
    tree = core_select(o.c.id).where(*live, roots).cte("subtree", recursive=True)
    tree = tree.union(
        core_select(child.c.id)
        .join(tree, child.c.parent_id == tree.c.id)
        .where(child.c.cycle_id == bindparam("cycle_id"), child.c.archived.is_(False))
    )
    return core_select(o.c.id, o.c.parent_id, o.c.team_id).where(o.c.id.in_(core_select(tree.c.id)))


_SUBTREES = _subtrees()


async def objective_subtrees(
    *, session: AsyncSession, cycle_id: int, team_ids: Iterable[int], objective_ids: Iterable[int]
) -> list[tuple[int, int | None, int]]:
    """The part of the cycle's alignment tree some teams' views need, without loading rows: (id, parent_id,
    team_id) of their live objectives, of `objective_ids`, and of every live objective aligned under those. Its
    cost follows that part, not the organisation: reading the whole cycle's tree (as before) was 2 ms of SQLite
    alone in every Home tab at 10,000 KRs."""
    params = {"cycle_id": cycle_id, "team_ids": sorted(set(team_ids)), "ids": sorted(set(objective_ids))}
    rows = (await (await session.connection()).execute(_SUBTREES, params)).all()
    return [(i, parent, team) for i, parent, team in rows]


async def objectives_in_order(*, session: AsyncSession, ids: Iterable[int]) -> list[Objective]:
    """The given objectives, ordered by position (as objectives_in_cycle)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list((await session.exec(_OBJECTIVES_IN_ORDER, params={"ids": wanted})).all())


async def key_results_for_objectives(
    *, session: AsyncSession, objective_ids: Iterable[int], include_archived: bool = False
) -> dict[int, list[KeyResult]]:
    """KRs per objective id (every requested id is a key), ordered by position."""
    ids = sorted(set(objective_ids))
    out: dict[int, list[KeyResult]] = {oid: [] for oid in ids}
    if not ids:
        return out
    for kr in (await session.exec(_KRS_OF_OBJECTIVES[include_archived], params={"ids": ids})).all():
        out[kr.objective_id].append(kr)
    return out


async def key_results_owned_by(*, session: AsyncSession, person_id: str, cycle_id: int) -> list[KeyResult]:
    """Live KRs of the cycle the person owns or co-owns."""
    params = {"person_id": person_id, "cycle_id": cycle_id}
    return list((await session.exec(_KRS_OWNED_BY, params=params)).all())


async def key_results_owned_by_people(
    *, session: AsyncSession, person_ids: Iterable[str], cycle_id: int
) -> dict[str, list[KeyResult]]:
    """key_results_owned_by for many people in two queries (every requested id is a key), in the same order."""
    ids = list(dict.fromkeys(person_ids))
    out: dict[str, list[KeyResult]] = {pid: [] for pid in ids}
    if not ids:
        return out
    co_owned = select(KRCoOwner.kr_id).where(col(KRCoOwner.person_id).in_(ids))
    stmt = (
        select(KeyResult)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(
            Objective.cycle_id == cycle_id,
            col(Objective.archived).is_(False),
            col(KeyResult.archived).is_(False),
            or_(col(KeyResult.owner_id).in_(ids), col(KeyResult.id).in_(co_owned)),
        )
        .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
    )
    krs = list((await session.exec(stmt)).all())
    co = select(KRCoOwner).where(col(KRCoOwner.person_id).in_(ids), col(KRCoOwner.kr_id).in_([k.id for k in krs]))
    co_of: dict[int, set[str]] = {}
    for row in (await session.exec(co)).all() if krs else []:
        co_of.setdefault(row.kr_id, set()).add(row.person_id)
    for kr in krs:
        for pid in {kr.owner_id, *co_of.get(kr.id, ())} & out.keys():
            out[pid].append(kr)
    return out


async def co_owners_of(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(set(kr_ids))
    out: dict[int, list[str]] = {kid: [] for kid in ids}
    if ids:
        stmt = select(KRCoOwner).where(col(KRCoOwner.kr_id).in_(ids)).order_by(col(KRCoOwner.person_id))
        for row in (await session.exec(stmt)).all():
            out[row.kr_id].append(row.person_id)
    return out


async def contributing_teams(*, session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, list[int]]:
    """Extra teams per KR id (the objective's own team is not listed)."""
    ids = list(set(kr_ids))
    out: dict[int, list[int]] = {kid: [] for kid in ids}
    if ids:
        stmt = select(KRTeam).where(col(KRTeam.kr_id).in_(ids)).order_by(col(KRTeam.team_id))
        for row in (await session.exec(stmt)).all():
            out[row.kr_id].append(row.team_id)
    return out


async def shared_key_results_for_team(*, session: AsyncSession, cycle_id: int, team_id: int) -> list[KeyResult]:
    """Live KRs of other teams' objectives that list this team as contributing."""
    stmt = (
        select(KeyResult)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .join(KRTeam, col(KRTeam.kr_id) == col(KeyResult.id))
        .where(
            KRTeam.team_id == team_id,
            Objective.cycle_id == cycle_id,
            Objective.team_id != team_id,
            col(Objective.archived).is_(False),
            col(KeyResult.archived).is_(False),
        )
        .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
    )
    return list((await session.exec(stmt)).all())


async def shared_key_results_for_teams(
    *, session: AsyncSession, cycle_id: int, team_ids: Iterable[int]
) -> dict[int, list[KeyResult]]:
    """shared_key_results_for_team for many teams in one query (every requested id is a key), in the same order."""
    ids = list(dict.fromkeys(team_ids))
    out: dict[int, list[KeyResult]] = {tid: [] for tid in ids}
    if not ids:
        return out
    for team_id, kr in (await session.exec(_SHARED_KRS, params={"ids": ids, "cycle_id": cycle_id})).all():
        out[team_id].append(kr)
    return out


_SHARED_KRS = (
    select(KRTeam.team_id, KeyResult)
    .join(KeyResult, col(KRTeam.kr_id) == col(KeyResult.id))
    .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
    .where(
        col(KRTeam.team_id).in_(bindparam("ids", expanding=True)),
        Objective.cycle_id == bindparam("cycle_id"),
        col(Objective.team_id) != col(KRTeam.team_id),
        col(Objective.archived).is_(False),
        col(KeyResult.archived).is_(False),
    )
    .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
)


async def find_objective(
    *,
    session: AsyncSession,
    cycle_id: int,
    team_id: int | None = None,
    ref: str | None = None,
    title: str | None = None,
) -> Objective | None:
    """By ref if given (refs are unique per cycle; team_id narrows only when given), else by exact title."""
    stmt = select(Objective).where(Objective.cycle_id == cycle_id)
    if team_id is not None:
        stmt = stmt.where(Objective.team_id == team_id)
    if ref is not None:
        stmt = stmt.where(Objective.ref == ref)
    elif title is not None and team_id is not None:
        stmt = stmt.where(Objective.title == title)
    else:
        raise ValueError("find_objective needs a ref, or a title and a team_id")
    return (await session.exec(stmt.order_by(col(Objective.id)))).first()


async def find_key_result(
    *, session: AsyncSession, objective_id: int, ref: str | None = None, title: str | None = None
) -> KeyResult | None:
    """By ref if given, else by exact title, within one objective."""
    stmt = select(KeyResult).where(KeyResult.objective_id == objective_id)
    if ref is not None:
        stmt = stmt.where(KeyResult.ref == ref)
    elif title is not None:
        stmt = stmt.where(KeyResult.title == title)
    else:
        raise ValueError("find_key_result needs a ref or a title")
    return (await session.exec(stmt.order_by(col(KeyResult.id)))).first()


async def set_co_owners(*, session: AsyncSession, kr_id: int, person_ids: Iterable[str]) -> None:
    """Replace the KR's co-owners; unknown people get a bare person row."""
    ids = sorted(set(person_ids))
    await ensure_people(session=session, ids=ids)
    await session.exec(delete(KRCoOwner).where(col(KRCoOwner.kr_id) == kr_id))
    session.add_all([KRCoOwner(kr_id=kr_id, person_id=pid) for pid in ids])
    await session.flush()


async def set_contributing_teams(*, session: AsyncSession, kr_id: int, team_ids: Iterable[int]) -> None:
    """Replace the KR's contributing teams."""
    await session.exec(delete(KRTeam).where(col(KRTeam.kr_id) == kr_id))
    session.add_all([KRTeam(kr_id=kr_id, team_id=tid) for tid in sorted(set(team_ids))])
    await session.flush()


_OBJECTIVES_BY_IDS = select(Objective).where(col(Objective.id).in_(bindparam("ids", expanding=True)))


async def objectives_by_ids(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, Objective]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.exec(_OBJECTIVES_BY_IDS, params={"ids": wanted})
    return {o.id: o for o in rows.all()}


async def live_key_results_in_cycle(*, session: AsyncSession, cycle_id: int) -> list[KeyResult]:
    """Every live KR of the cycle's live objectives, in display order."""
    stmt = (
        select(KeyResult)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(Objective.cycle_id == cycle_id, col(Objective.archived).is_(False), col(KeyResult.archived).is_(False))
        .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
    )
    return list((await session.exec(stmt)).all())


_TEAMS_SHOWING = (
    core_select(_OBJ.c.team_id)
    .join(_KR, _KR.c.objective_id == _OBJ.c.id)
    .where(_KR.c.id.in_(bindparam("ids", expanding=True)))
    .union(core_select(_KR_TEAM.c.team_id).where(_KR_TEAM.c.kr_id.in_(bindparam("ids", expanding=True))))
)


async def teams_showing(*, session: AsyncSession, kr_ids: Iterable[int]) -> set[int]:
    """Ids of the teams whose views show these KRs: their objectives' teams and their contributing teams."""
    ids = sorted(set(kr_ids))
    if not ids:
        return set()
    rows = (await (await session.connection()).execute(_TEAMS_SHOWING, {"ids": ids})).all()
    return {team_id for (team_id,) in rows}
