"""Import an OKR file: validate it, then upsert people, cycle, teams, objectives and KRs in ONE transaction.

Re-importing the same file changes nothing: teams match by name, the cycle by name,
objectives by (cycle, ref) or (cycle, team, title), KRs by (objective, ref or title).
Live check-in state (current value, confidence, score) is only overwritten when the file
gives `current:` / `score:` explicitly. Nothing is ever deleted; archive instead. What the database holds
for the file's teams and cycle but the file leaves out is listed as a warning (bot.services.okr_io.not_in_file).
"""

from dataclasses import dataclass, field
from typing import Any

from bot.okr.types import WEEKDAYS
from bot.services.okr_io.emails import label_placeholders, resolve_emails
from bot.services.okr_io.history import restore_history
from bot.services.okr_io.import_report import ImportReport, Names, change_line
from bot.services.okr_io.not_in_file import not_in_file
from bot.services.okr_io.okr_file import KeyResultIn, ObjectiveIn, OkrFile, TeamIn, load_okr_file
from bot.services.okr_io.okr_file_checks import OkrFileInvalid, parent_index
from storage import cycles, okrs, people, teams
from storage.db import Database
from storage.models import AuditEntry, Cycle, KeyResult, Objective, Team


class _DryRun(Exception):
    """Raised inside the transaction to roll back a dry run after computing its report."""


@dataclass
class _Run:
    session: Any
    report: ImportReport
    actor: str
    team_ids: dict[str, int] = field(default_factory=dict)  # lower-cased name -> id
    names: Names = field(default_factory=Names)  # ids as the file names them, for change lines
    seen_objectives: set[int] = field(default_factory=set)  # matched or created from the file
    seen_key_results: set[int] = field(default_factory=set)

    def record(self, label: str, *, new: bool, changes: list[tuple[str, Any, Any]], entity=None) -> None:
        if new:
            self.report.created += 1
            self.report.changes.append(f"+ {label}")
        elif changes:
            self.report.updated += 1
            self.report.changes.append(change_line(label, changes, self.names))
            if entity is not None:
                self._audit(entity, changes)
        else:
            self.report.unchanged += 1

    def _audit(self, entity, changes) -> None:
        kind = {Team: "team", Cycle: "cycle", Objective: "objective", KeyResult: "key_result"}[type(entity)]
        for name, old, new in changes:
            self.session.add(
                AuditEntry(
                    actor_id=self.actor[:32], entity=kind, entity_id=entity.id, field=name, old=_s(old), new=_s(new)
                )
            )


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _short(title: str) -> str:
    return repr(title if len(title) <= 50 else title[:47] + "...")


def _assign(obj: Any, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Set each attribute that differs; return (field, old, new) for each change."""
    changes = []
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes.append((name, old, new))
    return changes


async def import_okrs(
    svc_or_db, data: dict | str, *, dry_run: bool, actor: str | None = None, archive_missing: bool = False
) -> ImportReport:
    """Validate an OKR file and upsert it in one transaction; a dry run or any error writes nothing.

    `archive_missing`: archive the live objectives and KRs of the file's teams and cycle that the file
    leaves out (without it they are only listed in `report.warnings`)."""
    db: Database = getattr(svc_or_db, "db", svc_or_db)
    report = ImportReport(dry_run=dry_run)
    try:
        async with db.transaction() as session:
            known = frozenset(t.name for t in await teams.list_teams(session=session))
            okr_file = load_okr_file(data, known_teams=known)
            run = _Run(session=session, report=report, actor=actor or "import")
            await _apply(run, okr_file, archive_missing=archive_missing)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


async def _apply(run: _Run, f: OkrFile, *, archive_missing: bool) -> None:
    run.names.teams = {t.id: t.name for t in await teams.list_teams(session=run.session)}
    unmapped = await resolve_emails(run.session, f)  # people named by email whom okrbot already knows
    known = await people.people_by_ids(session=run.session, ids=[p.id for p in f.people])
    await people.ensure_people(session=run.session, ids=_people_ids(f))
    await label_placeholders(run.session, unmapped)
    for p in f.people:
        person = await people.get_person(session=run.session, person_id=p.id)
        values = {"display_name": p.name or person.display_name, "tz": p.tz or person.tz}
        if "manager" in p.model_fields_set:  # left out: keep the stored line manager
            values["manager_id"] = p.manager
        run.record(f"person {p.id}", new=p.id not in known, changes=_assign(person, values))
    await _check_reporting_lines(run, f)
    cycle = await _apply_cycle(run, f)
    for t in f.teams:
        await _apply_team(run, t)
    objectives = await _apply_objectives(run, cycle.id, f.objectives)
    for o_in, obj in zip(f.objectives, objectives, strict=True):
        for position, kr_in in enumerate(o_in.key_results):
            await _apply_key_result(run, obj, kr_in, position)
    spoken_for = {await _team_id(run, name) for name in {t.name for t in f.teams} | {o.team for o in f.objectives}}
    await not_in_file(run, cycle, spoken_for, archive=archive_missing)
    if f.review_notes:
        run.report.notices.append(
            f"review_notes: {len(f.review_notes)} notes in the file were skipped (never imported)"
        )


async def _check_reporting_lines(run: _Run, f: OkrFile) -> None:
    """The file's managers combined with those already stored must not loop (the file alone is checked earlier)."""
    for i, p in enumerate(f.people):
        line, node = [p.id], p.manager
        while node and node not in line:
            line.append(node)
            node = (await people.get_person(session=run.session, person_id=node)).manager_id
        if node == p.id:
            loop = " → ".join([*line, p.id])
            raise OkrFileInvalid([f"people[{i}].manager: reporting cycle {loop} (with managers already stored)"])


def _people_ids(f: OkrFile) -> set[str]:
    # A manager named only in people: is created as a bare person, like any owner or team member.
    ids = {p.id for p in f.people} | {p.manager for p in f.people if p.manager}
    for t in f.teams:
        ids |= {*t.managers, *t.members}
    for o in f.objectives:
        ids |= {o.owner} if o.owner else set()
        for kr in o.key_results:
            ids |= {kr.owner, *kr.co_owners, *(c.by for c in kr.history)}
    return ids


async def _apply_cycle(run: _Run, f: OkrFile) -> Cycle:
    c = f.cycle
    cycle = await cycles.get_cycle_by_name(session=run.session, name=c.name)
    active = await cycles.active_cycle(session=run.session) if c.state == "active" else None
    if active is not None and active.name != c.name:
        # Two active cycles would leave the tick prompting for one of them only (and the schema refuses it).
        raise OkrFileInvalid(
            [
                f"cycle.state: {active.name} is already the active cycle. To prepare {c.name} now, set "
                f"`state: planned` on its cycle in the file; to switch quarters, run `okrbot cycle open {c.name} "
                f"--start {c.start} --end {c.end}` (it closes {active.name}), or `okrbot cycle close` first."
            ]
        )
    if cycle is None:
        cycle = await cycles.add_cycle(session=run.session, name=c.name, start=c.start, end=c.end, state=c.state)
        run.record(f"cycle {c.name}", new=True, changes=[])
    else:
        changes = _assign(cycle, {"start": c.start, "end": c.end, "state": c.state})
        run.record(f"cycle {c.name}", new=False, changes=changes, entity=cycle)
    return cycle


async def _apply_team(run: _Run, t: TeamIn) -> None:
    values = {
        "name": t.name,
        "channel": t.channel,
        "timezone": t.timezone,
        "checkin_day": WEEKDAYS.index(t.checkin.day),
        "checkin_time": t.checkin.time,
        "cadence": t.checkin.cadence,
        "digest_day": WEEKDAYS.index(t.digest.day),
        "digest_time": t.digest.time,
        "nudge_hours": t.nudge_hours,
        "mention_missing": t.mention_missing,
        "late_limit_hours": t.late_limit_hours,
        "recent_checkin_days": t.recent_checkin_days,
        "platform": t.platform,
    }
    team = await teams.get_team_by_name(session=run.session, name=t.name)
    new = team is None
    if new:
        team = await teams.add_team(session=run.session, team=Team(**values))
    changes = [] if new else _assign(team, values)
    managers = sorted(set(t.managers))
    members = sorted(set(t.members) - set(managers))  # one role per person: manager wins
    old = (
        await teams.managers_of(session=run.session, team_id=team.id),
        await teams.members_of(session=run.session, team_id=team.id),
    )
    if old != (managers, members):
        await teams.set_members(session=run.session, team_id=team.id, managers=managers, members=members)
        changes += [(n, o, v) for n, o, v in (("managers", old[0], managers), ("members", old[1], members)) if o != v]
    run.team_ids[t.name.lower()] = team.id
    run.names.teams[team.id] = team.name
    run.record(f"team {t.name}", new=new, changes=changes, entity=team)


async def _team_id(run: _Run, name: str) -> int:
    if name.lower() not in run.team_ids:  # a team already in the database, not listed in the file
        team = await teams.get_team_by_name(session=run.session, name=name)
        run.team_ids[name.lower()] = team.id
    return run.team_ids[name.lower()]


async def _apply_objectives(run: _Run, cycle_id: int, items: list[ObjectiveIn]) -> list[Objective]:
    # Two passes: every objective must exist (with an id) before parents can point at it.
    found: list[tuple[Objective, bool]] = []
    stored = await okrs.objectives_in_cycle(session=run.session, cycle_id=cycle_id)
    run.names.objectives = {o.id: o.ref or o.title for o in stored}  # an old parent may have left the file
    for position, o in enumerate(items):
        team_id = await _team_id(run, o.team)
        obj = await _find_objective(run, cycle_id, team_id, o)
        if obj is None:
            obj = Objective(cycle_id=cycle_id, **_objective_values(o, team_id, position))
            run.session.add(obj)
        found.append((obj, obj.id is None))
    await run.session.flush()
    run.names.objectives |= {obj.id: o.ref or o.title for o, (obj, _) in zip(items, found, strict=True)}
    run.seen_objectives |= {obj.id for obj, _ in found}
    keys = [(o.ref, o.title) for o in items]
    for position, (o, (obj, new)) in enumerate(zip(items, found, strict=True)):
        values = _objective_values(o, await _team_id(run, o.team), position)
        parent = parent_index(keys, o.parent) if o.parent else None
        values["parent_id"] = found[parent][0].id if isinstance(parent, int) else None
        changes = _assign(obj, values)
        run.record(f"objective {_short(o.title)} ({o.team})", new=new, changes=changes, entity=obj)
    return [obj for obj, _ in found]


def _objective_values(o: ObjectiveIn, team_id: int, position: int) -> dict[str, Any]:
    return {
        "title": o.title,
        "ref": o.ref,
        "description": o.description,
        "team_id": team_id,
        "owner_id": o.owner,
        "archived": o.archived,
        "position": position,
    }


async def _find_objective(run: _Run, cycle_id: int, team_id: int, o: ObjectiveIn) -> Objective | None:
    if o.ref:
        by_ref = await okrs.find_objective(session=run.session, cycle_id=cycle_id, ref=o.ref)
        if by_ref is not None:
            return by_ref
    by_title = await okrs.find_objective(session=run.session, cycle_id=cycle_id, team_id=team_id, title=o.title)
    # a title match that carries a different ref is another objective that happens to share the title
    return by_title if by_title is not None and (by_title.ref is None or o.ref is None) else None


async def _find_key_result(run: _Run, objective_id: int, k: KeyResultIn) -> KeyResult | None:
    if k.ref:
        by_ref = await okrs.find_key_result(session=run.session, objective_id=objective_id, ref=k.ref)
        if by_ref is not None:
            return by_ref
    by_title = await okrs.find_key_result(session=run.session, objective_id=objective_id, title=k.title)
    return by_title if by_title is not None and (by_title.ref is None or k.ref is None) else None


async def _apply_key_result(run: _Run, obj: Objective, k: KeyResultIn, position: int) -> None:
    values: dict[str, Any] = {
        "title": k.title,
        "ref": k.ref,
        "owner_id": k.owner,
        "kind": k.kind,
        "start_value": k.start,
        "target_value": k.target,
        "unit": k.unit,
        "weight": k.weight,
        "due_date": k.due,
        "archived": k.archived,
        "position": position,
    }
    # Check-ins own these; the file overrides them only when it says so explicitly.
    if k.current is not None:
        values["current_value"] = k.current
    if k.score is not None:
        values["score"] = k.score
    kr = await _find_key_result(run, obj.id, k)
    new = kr is None
    if new:
        # A new KR starts at its start value unless the file says where it is now (an export of a moved KR).
        kr = KeyResult(objective_id=obj.id, **({"current_value": k.start} | values))
        run.session.add(kr)
        await run.session.flush()
    run.seen_key_results.add(kr.id)
    changes = [] if new else _assign(kr, values)
    changes += await _apply_kr_links(run, obj, kr, k)
    run.record(f"key result {_short(k.title)}", new=new, changes=changes, entity=kr)
    if k.history or k.last_checkin:
        await restore_history(run.session, run.report, kr, k)


async def _apply_kr_links(run: _Run, obj: Objective, kr: KeyResult, k: KeyResultIn) -> list[tuple[str, Any, Any]]:
    """Replace co-owners and contributing teams when they differ; the objective's own team is implied."""
    changes = []
    co_owners = sorted(set(k.co_owners))
    old_co = (await okrs.co_owners_of(session=run.session, kr_ids=[kr.id]))[kr.id]
    if old_co != co_owners:
        await okrs.set_co_owners(session=run.session, kr_id=kr.id, person_ids=co_owners)
        changes.append(("co_owners", old_co, co_owners))
    team_ids = sorted({await _team_id(run, name) for name in k.teams} - {obj.team_id})
    old_teams = (await okrs.contributing_teams(session=run.session, kr_ids=[kr.id]))[kr.id]
    if old_teams != team_ids:
        await okrs.set_contributing_teams(session=run.session, kr_id=kr.id, team_ids=team_ids)
        changes.append(("team_ids", old_teams, team_ids))
    return changes
