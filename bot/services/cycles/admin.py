"""Open and close OKR cycles (admins in Slack, anyone with the database on the CLI).

Carry-over: every live objective of the cycle being replaced that has a KR below 100% is
copied into the new cycle with its live KRs, co-owners and contributing teams. Each KR's
current value becomes the new start (progress restarts from where it really is);
confidence, score and check-in history stay with the old cycle. Alignment is kept when the
parent objective is carried over too.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages import Notice
from bot.okr.progress import progress
from bot.okr.types import CycleState, KRKind
from bot.services import home
from bot.services.kernel import permissions
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from storage import cycles, okrs
from storage.db import Database
from storage.models import Cycle, KeyResult, Objective


@dataclass(frozen=True)
class CycleChange:
    closed: str | None
    opened: str | None = None
    carried_objectives: int = 0
    carried_krs: int = 0

    def describe(self) -> str:
        parts = [f"closed {self.closed}" if self.closed else ""]
        if self.opened:
            parts.append(f"opened {self.opened} (active)")
            parts.append(f"carried over {self.carried_objectives} objectives with {self.carried_krs} KRs")
        return "; ".join(p for p in parts if p) or "nothing to do"


async def close_active(db: Database) -> CycleChange:
    """Close the active cycle."""
    async with db.transaction() as session:
        active = await cycles.active_cycle(session=session)
        if active is None:
            raise NotFound("There is no active cycle to close.")
        active.state = CycleState.CLOSED
        return CycleChange(closed=active.name)


async def open_cycle(db: Database, *, name: str, start: date, end: date, carry_over: bool = False) -> CycleChange:
    """Open (and activate) a new cycle, closing the active one; optionally carry unfinished objectives."""
    name = name.strip()
    if not name or end <= start:
        raise InvalidInput("A cycle needs a name and an end date after its start date.")
    async with db.transaction() as session:
        if await cycles.get_cycle_by_name(session=session, name=name) is not None:
            raise InvalidInput(f"A cycle called '{name}' already exists.")
        previous = await cycles.active_cycle(session=session)
        for c in await cycles.list_cycles(session=session):
            if c.state == CycleState.ACTIVE:
                c.state = CycleState.CLOSED
        new = await cycles.add_cycle(session=session, name=name, start=start, end=end, state=CycleState.ACTIVE)
        objs, krs = await _carry(session, previous, new) if carry_over and previous else (0, 0)
        return CycleChange(
            closed=previous.name if previous else None, opened=name, carried_objectives=objs, carried_krs=krs
        )


def _unfinished(krs: list[KeyResult]) -> bool:
    return any(progress(KRKind(k.kind), k.start_value, k.target_value, k.current_value) < 1 for k in krs)


async def _carry(session: AsyncSession, old: Cycle, new: Cycle) -> tuple[int, int]:
    objs = [o for o in await okrs.objectives_in_cycle(session=session, cycle_id=old.id) if not o.archived]
    by_obj = await okrs.key_results_for_objectives(session=session, objective_ids=[o.id for o in objs])
    keep = [o for o in objs if by_obj[o.id] and _unfinished(by_obj[o.id])]
    ids: dict[int, int] = {}
    for o in keep:
        copy = Objective(**o.model_dump(exclude={"id", "cycle_id", "parent_id"}), cycle_id=new.id)
        session.add(copy)
        await session.flush()
        ids[o.id] = copy.id
    all_krs = [kr for o in keep for kr in by_obj[o.id]]
    co = await okrs.co_owners_of(session=session, kr_ids=[k.id for k in all_krs])
    extra = await okrs.contributing_teams(session=session, kr_ids=[k.id for k in all_krs])
    for o in keep:
        if o.parent_id in ids:
            (await okrs.get_objective(session=session, objective_id=ids[o.id])).parent_id = ids[o.parent_id]
        for kr in by_obj[o.id]:
            await _copy_kr(session, kr, ids[o.id], co[kr.id], extra[kr.id])
    return len(keep), len(all_krs)


async def _copy_kr(session: AsyncSession, kr: KeyResult, objective_id: int, co: list[str], extra: list[int]) -> None:
    fields = kr.model_dump(exclude={"id", "objective_id", "confidence", "last_checkin_at", "score", "start_value"})
    start = 0.0 if kr.kind == KRKind.BINARY else kr.current_value
    copy = KeyResult(**fields, objective_id=objective_id, start_value=start)
    session.add(copy)
    await session.flush()
    if co:
        await okrs.set_co_owners(session=session, kr_id=copy.id, person_ids=co)
    if extra:
        await okrs.set_contributing_teams(session=session, kr_id=copy.id, team_ids=extra)


async def close_as(svc: Services, *, user_id: str) -> Notice:
    """/okr cycle close (admins)."""
    permissions.require_admin(user_id=user_id, admins=svc.admins)
    return Notice(_sentence((await close_active(svc.db)).describe()), ":checkered_flag:")


async def open_as(svc: Services, *, user_id: str, name: str, start: date, end: date, carry_over: bool) -> Notice:
    """/okr cycle open NAME START END [carry-over] (admins)."""
    permissions.require_admin(user_id=user_id, admins=svc.admins)
    change = await open_cycle(svc.db, name=name, start=start, end=end, carry_over=carry_over)
    return Notice(_sentence(change.describe()), ":calendar:")


def require_cycle_admin(svc: Services, *, user_id: str) -> None:
    """The Home tab's Open a cycle button: only admins get the form (not just a refusal on submit)."""
    permissions.require_admin(user_id=user_id, admins=svc.admins)


async def close_from_home(svc: Services, *, user_id: str) -> None:
    """The Home tab's Close button: close, confirm by DM, redraw the admin's Home tab."""
    await announce(svc, user_id=user_id, notice=await close_as(svc, user_id=user_id))


def check_open_form(*, user_id: str, admins: frozenset[str], name: str, start: date | None, end: date | None) -> None:
    """Validate the Open a cycle modal; field errors name the modal's fields."""
    permissions.require_admin(user_id=user_id, admins=admins)
    if not name.strip():
        raise InvalidInput("Give the cycle a name, e.g. 2027-Q2.", field="name")
    if start is None or end is None or end <= start:
        raise InvalidInput("The end date must be after the start date.", field="end")


async def announce(svc: Services, *, user_id: str, notice: Notice) -> None:
    """After a cycle change from the Home tab: confirm by DM and redraw the admin's Home tab."""
    await svc.notifier.post(user_id, notice)
    await home.refresh_home(svc, user_id=user_id)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
