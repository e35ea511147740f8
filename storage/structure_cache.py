"""Per-process caches of what rarely changes, keyed by the structure stamp (storage/structure.py).

A reader pays one small SELECT (the stamp's token, once per unit of work) instead of loading the objective
tree, the teams and the rosters again: every Home tab and digest read them, while they change only when someone
edits OKRs, teams or cycles. Any process's edit gives the stamp a new token in its own transaction, so the next
read anywhere rebuilds. What a check-in changes (a KR's value, confidence, last check-in, score) is not cached:
`key_results` reads it fresh and joins it to the cached rows.

Caches hold only immutable plain data (SQLAlchemy Rows, tuples, frozen dataclasses, read-only mappings), never
ORM objects, one bounded store per engine (so per Database). A unit of work that has itself written structure
bypasses them: it must see its own uncommitted edit, and must not cache what may still roll back.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import structure
from storage.models import KeyResult, KRTeam, Objective, Team, TeamMember

MAX_ENTRIES = 32  # the trees of a few cycles and the roster, under the newest stamp seen
_STAMP = "okrbot_structure_stamp"  # in Session.info: the token read once per unit of work
_MISSING = object()
_stores: WeakKeyDictionary = WeakKeyDictionary()  # sync engine -> OrderedDict[key, value]

_LIVE = ("current_value", "confidence", "last_checkin_at", "score")
_KR_STRUCTURE = [c for c in KeyResult.__table__.columns if c.name not in _LIVE]


async def cached(session: AsyncSession, key: tuple, build: Callable[[], Awaitable[Any]]) -> Any:
    """The value for `key` under the current stamp, built (in this session) when missing."""
    if await structure.written(session):
        return await build()
    stamp = session.info.get(_STAMP, _MISSING)
    if stamp is _MISSING:
        stamp = session.info[_STAMP] = await structure.current(session)
    store = _stores.setdefault(session.bind.sync_engine, OrderedDict())
    full = (stamp, *key)
    if full in store:
        store.move_to_end(full)
        return store[full]
    value = await build()  # read after the stamp: it can only be as new or newer than the key says
    for stale in [k for k in store if k[0] != stamp]:
        del store[stale]  # another stamp's values are never asked for again (but by a unit still reading it)
    store[full] = value
    while len(store) > MAX_ENTRIES:
        store.popitem(last=False)
    return value


@dataclass(frozen=True, slots=True)
class KRRow:
    """A KR's columns: the cached structural ones with the live ones read now (attribute names as KeyResult's)."""

    id: int
    objective_id: int
    title: str
    owner_id: str
    kind: str
    start_value: float
    target_value: float
    unit: str
    weight: float
    due_date: date | None
    ref: str | None
    archived: bool
    position: int
    current_value: float
    confidence: str | None
    last_checkin_at: datetime | None
    score: float | None


@dataclass(frozen=True, slots=True)
class CycleTree:
    """A cycle's live objectives and KRs without their live values: what team views are built from."""

    links: tuple[tuple[int, int | None, int], ...]  # (id, parent_id, team_id) of each live objective
    objectives: MappingProxyType  # id -> the objective's row, in display order (position, id)
    krs: MappingProxyType  # objective id -> its live KRs' structural rows, in display order
    shared: MappingProxyType  # team id -> ids of other teams' live KRs it contributes to, in display order
    team_names: MappingProxyType  # team id -> name
    objective_of: MappingProxyType  # KR id -> its objective's id


async def cycle_tree(*, session: AsyncSession, cycle_id: int) -> CycleTree:
    return await cached(session, ("tree", cycle_id), lambda: _read_tree(session, cycle_id))


async def _read_tree(session: AsyncSession, cycle_id: int) -> CycleTree:
    live_objective = (Objective.cycle_id == cycle_id, col(Objective.archived).is_(False))
    order = (col(Objective.position), col(Objective.id))
    objectives = (
        await session.exec(select(*Objective.__table__.columns).where(*live_objective).order_by(*order))
    ).all()
    kr_order = (*order, col(KeyResult.position), col(KeyResult.id))
    joined = select(*_KR_STRUCTURE).join(Objective, col(Objective.id) == col(KeyResult.objective_id))
    krs = (
        await session.exec(joined.where(*live_objective, col(KeyResult.archived).is_(False)).order_by(*kr_order))
    ).all()
    by_objective: dict[int, list] = {o.id: [] for o in objectives}
    for kr in krs:
        by_objective[kr.objective_id].append(kr)
    team_of = {o.id: o.team_id for o in objectives}
    stmt = select(KRTeam.kr_id, KRTeam.team_id).where(col(KRTeam.kr_id).in_([k.id for k in krs]))
    teams_of: dict[int, list[int]] = {}
    for kr_id, team_id in (await session.exec(stmt)).all():
        teams_of.setdefault(kr_id, []).append(team_id)
    shared: dict[int, list[int]] = {}
    for kr in krs:  # in display order
        for team_id in sorted(teams_of.get(kr.id, ())):
            if team_of[kr.objective_id] != team_id:
                shared.setdefault(team_id, []).append(kr.id)
    names = dict((await session.exec(select(Team.id, Team.name))).all())
    return CycleTree(
        links=tuple((o.id, o.parent_id, o.team_id) for o in objectives),
        objectives=MappingProxyType({o.id: o for o in objectives}),
        krs=MappingProxyType({oid: tuple(rows) for oid, rows in by_objective.items()}),
        shared=MappingProxyType({tid: tuple(ids) for tid, ids in shared.items()}),
        objective_of=MappingProxyType({kr.id: kr.objective_id for kr in krs}),
        team_names=MappingProxyType(names),
    )


async def key_results(
    *, session: AsyncSession, tree: CycleTree, objective_ids: Iterable[int]
) -> dict[int, list[KRRow]]:
    """The live KRs of the given objectives (every id a key), with their live values read now, in one query."""
    ids = [oid for oid in dict.fromkeys(objective_ids) if oid in tree.krs]
    kr_ids = [kr.id for oid in ids for kr in tree.krs[oid]]
    live = {}
    if kr_ids:
        stmt = select(KeyResult.id, *(getattr(KeyResult, name) for name in _LIVE)).where(col(KeyResult.id).in_(kr_ids))
        live = {row[0]: dict(zip(_LIVE, row[1:], strict=True)) for row in (await session.exec(stmt)).all()}
    out: dict[int, list[KRRow]] = {oid: [] for oid in objective_ids}
    for oid in ids:
        out[oid] = [KRRow(**kr._mapping, **live[kr.id]) for kr in tree.krs[oid] if kr.id in live]
    return out


@dataclass(frozen=True, slots=True)
class Roster:
    """Every team's columns (rows with Team's attribute names, by name) and who is in which team as what."""

    teams: tuple  # ordered by name
    roles: MappingProxyType  # person id -> ((team id, role), ...)

    def teams_of(self, person_id: str, role: str | None = None) -> list:
        """The person's teams (with `role`, only those where they have it), ordered by name."""
        ids = {team_id for team_id, r in self.roles.get(person_id, ()) if role is None or r == role}
        return [t for t in self.teams if t.id in ids]


async def roster(*, session: AsyncSession) -> Roster:
    return await cached(session, ("roster",), lambda: _read_roster(session))


async def _read_roster(session: AsyncSession) -> Roster:
    rows = (await session.exec(select(*Team.__table__.columns).order_by(col(Team.name)))).all()
    roles: dict[str, list[tuple[int, str]]] = {}
    stmt = select(TeamMember.person_id, TeamMember.team_id, TeamMember.role).order_by(col(TeamMember.team_id))
    for person_id, team_id, role in (await session.exec(stmt)).all():
        roles.setdefault(person_id, []).append((team_id, role))
    return Roster(tuple(rows), MappingProxyType({p: tuple(r) for p, r in roles.items()}))
