"""Create, edit and archive objectives and KRs from Slack: permission checks and the audit trail, one transaction."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages.forms import KIND_FROM_NUMBERS, KRForm, ObjectiveForm
from bot.okr.messages.forms import FormField as F
from bot.okr.types import KRKind
from bot.services.kernel import permissions
from bot.services.kernel.context import Services
from bot.services.kernel.errors import NotFound, PermissionDenied
from bot.services.kernel.lookups import current_cycle
from bot.services.kernel.validate import Checker, infer_kind, kr_numbers
from storage import audit, okrs, people, teams
from storage.models import KeyResult, Objective

KINDS = {k.value for k in KRKind}


async def _manageable_teams(session: AsyncSession, svc: Services, user_id: str):
    if svc.is_admin(user_id):
        return await teams.list_teams(session=session)
    return await teams.teams_managed_by(session=session, person_id=user_id)


async def _objective(session: AsyncSession, objective_id: int) -> Objective:
    obj = await okrs.get_objective(session=session, objective_id=objective_id)
    if obj is None:
        raise NotFound("That objective no longer exists.")
    return obj


async def _kr(session: AsyncSession, kr_id: int) -> KeyResult:
    kr = await okrs.get_key_result(session=session, kr_id=kr_id)
    if kr is None:
        raise NotFound("That key result no longer exists.")
    return kr


async def _apply(session, *, actor: str, at: datetime, entity: str, row, changes: dict) -> None:
    """Set each changed attribute and write one audit entry per change."""
    for name, new in changes.items():
        old = getattr(row, name)
        if old == new:
            continue
        setattr(row, name, new)
        await audit.record(
            session=session, actor_id=actor, entity=entity, entity_id=row.id, field=name, old=old, new=new, at=at
        )
    await session.flush()


async def objective_form(svc: Services, *, user_id: str, objective_id: int | None = None) -> ObjectiveForm:
    """Choices for the objective modal: teams the person manages, this cycle's objectives to align under."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        cycle = await current_cycle(session)
        mine = await _manageable_teams(session, svc, user_id)
        initial: dict = {}
        if objective_id is not None:
            obj = await _objective(session, objective_id)
            await permissions.require_manage_team(session, user_id=user_id, team_id=obj.team_id, admins=svc.admins)
            initial = {
                F.TEAM: str(obj.team_id),
                F.TITLE: obj.title,
                F.DESCRIPTION: obj.description,
                F.OWNER: obj.owner_id,
                F.PARENT: str(obj.parent_id) if obj.parent_id else None,
            }
        elif not mine:
            raise PermissionDenied("Only a team's managers or an okrbot admin can create objectives.")
        objs = await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id)
        parents = [(str(o.id), o.title) for o in objs if not o.archived and o.id != objective_id]
        return ObjectiveForm(
            teams=tuple((str(t.id), t.name) for t in mine),
            parents=tuple(parents[:100]),
            initial=initial,
            objective_id=objective_id,
        )


async def _parent_id(session, c: Checker, cycle_id: int, self_id: int | None) -> int | None:
    raw = c.values.get(F.PARENT)
    if not raw:
        return None
    parent = await okrs.get_objective(session=session, objective_id=int(raw))
    if parent is None or parent.cycle_id != cycle_id or parent.id == self_id:
        c.fail(F.PARENT, "Pick an objective of this cycle (not this one).")
        return None
    return parent.id


async def create_objective(svc: Services, *, user_id: str, values: dict) -> int:
    """A new objective in the active cycle, for a team the person manages."""
    async with svc.db.transaction() as session:
        cycle = await current_cycle(session)
        c = Checker(values)
        title = c.text(F.TITLE, required=True)
        description = c.text(F.DESCRIPTION, limit=3000)
        allowed = {str(t.id) for t in await _manageable_teams(session, svc, user_id)}
        team_id = c.choice(F.TEAM, allowed, refusal="Only this team's managers or an okrbot admin can add objectives.")
        parent_id = await _parent_id(session, c, cycle.id, None)
        c.done()
        owner = values.get(F.OWNER) or user_id
        await people.ensure_people(session=session, ids=[owner])
        obj = Objective(
            title=title,
            description=description,
            team_id=int(team_id),
            cycle_id=cycle.id,
            owner_id=owner,
            parent_id=parent_id,
            position=len(await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id)),
        )
        session.add(obj)
        await session.flush()
        await audit.record(
            session=session,
            actor_id=user_id,
            entity="objective",
            entity_id=obj.id,
            field="created",
            old=None,
            new=title,
            at=svc.now(),
        )
        return obj.id


async def update_objective(svc: Services, *, user_id: str, objective_id: int, values: dict) -> None:
    """Edit title, description, owner, alignment, archived: the team's managers and admins only."""
    async with svc.db.transaction() as session:
        obj = await _objective(session, objective_id)
        await permissions.require_manage_team(session, user_id=user_id, team_id=obj.team_id, admins=svc.admins)
        c = Checker(values)
        changes = {"title": c.text(F.TITLE, required=True)}
        if c.has(F.DESCRIPTION):
            changes["description"] = c.text(F.DESCRIPTION, limit=3000)
        if c.has(F.PARENT):
            changes["parent_id"] = await _parent_id(session, c, obj.cycle_id, obj.id)
        if values.get(F.OWNER):
            await people.ensure_people(session=session, ids=[values[F.OWNER]])
            changes["owner_id"] = values[F.OWNER]
        if c.has(F.ARCHIVE):
            changes["archived"] = bool(values[F.ARCHIVE])
        c.done()
        await _apply(session, actor=user_id, at=svc.now(), entity="objective", row=obj, changes=changes)


async def kr_form(svc: Services, *, user_id: str, kr_id: int | None = None, objective_id: int | None = None) -> KRForm:
    """Choices for the KR modal; an owner who isn't a manager gets the title-only edit form."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        cycle = await current_cycle(session)
        managed = {t.id for t in await _manageable_teams(session, svc, user_id)}
        objs = [o for o in await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id) if not o.archived]
        choices = tuple((str(o.id), o.title) for o in objs if o.team_id in managed)[:100]
        all_teams = tuple((str(t.id), t.name) for t in await teams.list_teams(session=session))[:100]
        if kr_id is None:
            if not choices:
                raise PermissionDenied("Only a team's managers or an okrbot admin can create key results.")
            initial = {F.OBJECTIVE: str(objective_id)} if objective_id else {}
            return KRForm(objectives=choices, teams=all_teams, initial=initial)
        kr = await _kr(session, kr_id)
        full = await permissions.can_edit_kr(session, user_id=user_id, kr=kr, admins=svc.admins)
        if not full and kr.owner_id != user_id:
            raise PermissionDenied("Only this team's managers, the KR's owner or an okrbot admin can edit this KR.")
        initial = {
            F.TITLE: kr.title,
            F.TARGET: f"{kr.target_value:g}",
            F.OWNER: kr.owner_id,
            F.WEIGHT: f"{kr.weight:g}",
            F.DUE: kr.due_date.isoformat() if kr.due_date else None,
        }
        return KRForm(objectives=choices, teams=all_teams, initial=initial, kr_id=kr.id, owner_only=not full)


async def create_kr(svc: Services, *, user_id: str, values: dict) -> int:
    """A new KR under an objective of a team the person manages."""
    async with svc.db.transaction() as session:
        cycle = await current_cycle(session)
        managed = {t.id for t in await _manageable_teams(session, svc, user_id)}
        objs = await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id)
        c = Checker(values)
        allowed = {str(o.id) for o in objs if o.team_id in managed and not o.archived}
        refusal = "Only this objective's team managers or an okrbot admin can add key results to it."
        objective_id = c.choice(F.OBJECTIVE, allowed, refusal=refusal)
        title = c.text(F.TITLE, required=True)
        kind = c.choice(F.KIND, {*KINDS, KIND_FROM_NUMBERS})
        start = c.number(F.START, default=0.0)
        target = c.number(F.TARGET, default=1.0 if kind in (KRKind.BINARY, None) else None)
        kind = infer_kind(kind, start, target)
        if target is None and F.TARGET not in c.errors:
            c.fail(F.TARGET, "Please give a target.")
        weight = c.number(F.WEIGHT, default=1.0)
        kr_numbers(c, kind=kind, start=start, target=target, weight=weight)
        unit = c.text(F.UNIT, limit=20)
        due = c.day(F.DUE)
        owner = values.get(F.OWNER)
        if not owner:
            c.fail(F.OWNER, "Who owns this KR?")
        c.done()
        await people.ensure_people(session=session, ids=[owner])
        kr = KeyResult(
            title=title,
            objective_id=int(objective_id),
            owner_id=owner,
            kind=kind,
            start_value=start,
            target_value=target,
            current_value=start,
            unit=unit,
            weight=weight,
            due_date=due,
            position=await _next_position(session, int(objective_id)),
        )
        session.add(kr)
        await session.flush()
        await okrs.set_co_owners(session=session, kr_id=kr.id, person_ids=[p for p in values.get(F.CO_OWNERS) or []])
        await okrs.set_contributing_teams(
            session=session, kr_id=kr.id, team_ids=[int(t) for t in values.get(F.TEAMS) or []]
        )
        await audit.record(
            session=session,
            actor_id=user_id,
            entity="key_result",
            entity_id=kr.id,
            field="created",
            old=None,
            new=title,
            at=svc.now(),
        )
        return kr.id


async def _next_position(session, objective_id: int) -> int:
    by_obj = await okrs.key_results_for_objectives(session=session, objective_ids=[objective_id], include_archived=True)
    return len(by_obj[objective_id])


async def update_kr(svc: Services, *, user_id: str, kr_id: int, values: dict) -> None:
    """Edit a KR. Managers/admins: anything; its owner: the title only."""
    async with svc.db.transaction() as session:
        kr = await _kr(session, kr_id)
        c = Checker(values)
        changes: dict = {"title": c.text(F.TITLE, required=True)}
        if c.has(F.TARGET):
            changes["target_value"] = c.number(F.TARGET, default=kr.target_value)
        if c.has(F.WEIGHT):
            changes["weight"] = c.number(F.WEIGHT, default=kr.weight)
        if c.has(F.DUE):
            changes["due_date"] = c.day(F.DUE)
        if values.get(F.OWNER):
            changes["owner_id"] = values[F.OWNER]
        if c.has(F.ARCHIVE):
            changes["archived"] = bool(values[F.ARCHIVE])
        kr_numbers(
            c, kind=kr.kind, start=kr.start_value, target=changes.get("target_value"), weight=changes.get("weight")
        )
        c.done()
        changed = {name for name, new in changes.items() if getattr(kr, name) != new}
        if changed:
            await _check_fields(session, svc, user_id=user_id, kr=kr, fields=changed)
        if "owner_id" in changed:
            await people.ensure_people(session=session, ids=[changes["owner_id"]])
        await _apply(session, actor=user_id, at=svc.now(), entity="key_result", row=kr, changes=changes)


async def _check_fields(session, svc: Services, *, user_id: str, kr: KeyResult, fields: set[str]) -> None:
    """Refuse in place: the error lands on the first field the person may not change."""
    try:
        await permissions.require_edit_kr_fields(session, user_id=user_id, kr=kr, fields=fields, admins=svc.admins)
    except PermissionDenied as denied:
        field = {"target_value": F.TARGET, "owner_id": F.OWNER, "archived": F.ARCHIVE, "weight": F.WEIGHT}
        name = next((field[n] for n in sorted(fields) if n in field), None)
        if name is None:
            raise
        c = Checker({})
        c.fail(name, denied.message)
        c.done()
