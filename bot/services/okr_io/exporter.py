"""Export a cycle's OKRs in the import format (YAML or JSON), or as CSV (one row per key result).

YAML/JSON exports read back with `okrbot import` without changes. Defaults are left out
so the file stays as short as a hand-written one. Review notes are confidential: they
are only read and written when the caller asks for them explicitly.
"""

import csv
import io
import json
from typing import Any

import yaml

from bot.okr.types import WEEKDAYS
from bot.services.kernel.errors import InvalidInput, NotFound
from storage import backup, cycles, okrs, people, teams
from storage.db import Database
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team

FORMATS = ("yaml", "json", "csv")
CSV_COLUMNS = (
    "team",
    "objective",
    "key_result",
    "owner",
    "kind",
    "start",
    "target",
    "current",
    "unit",
    "confidence",
    "blockers",  # the latest check-in's
    "score",
)
# export --history --format csv: one row per check-in, oldest first within each KR
HISTORY_COLUMNS = (
    "team",
    "objective",
    "key_result",
    "owner",
    "unit",
    "at",
    "by",
    "value",
    "confidence",
    "comment",
    "blockers",
)
_TEAM_DEFAULTS = {"nudge_hours": 24, "mention_missing": False, "late_limit_hours": 6, "recent_checkin_days": 3}


def _num(value: float | None) -> float | int | None:
    return int(value) if isinstance(value, float) and value.is_integer() else value


async def export_okrs(
    svc_or_db,
    *,
    fmt: str = "yaml",
    include_review_notes: bool = False,
    cycle: str | None = None,
    history: bool = False,
) -> str:
    """Render a cycle (the named one, else the active one, else the latest) as yaml, json or csv.

    `history`: every live check-in too (under each KR in yaml/json; one CSV row per check-in)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if include_review_notes and fmt == "csv":
        raise InvalidInput("review notes can only be exported as yaml or json")
    db: Database = getattr(svc_or_db, "db", svc_or_db)
    async with db.transaction() as session:
        the_cycle = await _pick_cycle(session, cycle)
        data, rows = await _collect(session, the_cycle, history)
        if include_review_notes:
            data["review_notes"] = await _review_notes(session)
    if fmt == "json":
        return _json(data)
    if fmt == "csv":
        return _csv(rows, HISTORY_COLUMNS if history else CSV_COLUMNS)
    header = f"# okrbot export of cycle {the_cycle.name}. Format: docs/yaml-format.md\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def _json(data: dict[str, Any]) -> str:
    # NaN/Infinity are not JSON; every entry point refuses them, so one here is a bug to report, not to write.
    try:
        return json.dumps(data, indent=2, default=str, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:
        raise InvalidInput("a stored value is not a finite number (NaN or infinity); nothing was exported") from None


async def _pick_cycle(session, name: str | None) -> Cycle:
    if name is not None:
        found = await cycles.get_cycle_by_name(session=session, name=name)
        if found is None:
            raise NotFound(f"no cycle named {name!r}")
        return found
    every = await cycles.list_cycles(session=session)
    found = await cycles.active_cycle(session=session) or (every[-1] if every else None)
    if found is None:
        raise NotFound("there is nothing to export yet: no cycle in the database")
    return found


async def _collect(session, cycle: Cycle, history: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    all_teams = await teams.list_teams(session=session)
    names = {t.id: t.name for t in all_teams}
    objectives = await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id)
    krs = await okrs.key_results_for_objectives(
        session=session, objective_ids=[o.id for o in objectives], include_archived=True
    )
    kr_ids = [kr.id for group in krs.values() for kr in group]
    checkins = await backup.checkin_history(session=session, kr_ids=kr_ids)
    # without --history, each KR carries its latest check-in (its confidence, comment and blockers)
    links = (
        await okrs.co_owners_of(session=session, kr_ids=kr_ids),
        await okrs.contributing_teams(session=session, kr_ids=kr_ids),
        checkins if history else {kr_id: rows[-1:] for kr_id, rows in checkins.items()},
        history,
    )
    parents = {o.id: o.ref or o.title for o in objectives}
    if history:
        rows = [_history_row(o, kr, c, names) for o in objectives for kr in krs[o.id] for c in links[2][kr.id]]
    else:
        rows = [_csv_row(o, kr, names, links[2][kr.id]) for o in objectives for kr in krs[o.id]]
    data = {
        "cycle": {"name": cycle.name, "start": cycle.start, "end": cycle.end, "state": cycle.state},
        "teams": await _teams(session, all_teams),
        "people": [
            _person(p) for p in await people.list_people(session=session) if p.display_name or p.tz or p.manager_id
        ],
        "objectives": [_objective(o, krs[o.id], names, parents, links) for o in objectives],
    }
    return data, rows


def _person(p) -> dict[str, Any]:
    item = {"id": p.id, "name": p.display_name, "tz": p.tz}
    return item | ({"manager": p.manager_id} if p.manager_id else {})


async def _teams(session, all_teams: list[Team]) -> list[dict[str, Any]]:
    roster: dict[int, dict[str, list[str]]] = {t.id: {"manager": [], "member": []} for t in all_teams}
    for m in await backup.all_memberships(session=session):
        roster[m.team_id][m.role].append(m.person_id)
    out = []
    for t in all_teams:
        item: dict[str, Any] = {"name": t.name}
        if t.platform != "slack":  # the default is left out, so Slack-only exports read as before
            item["platform"] = t.platform
        if t.channel:
            item["channel"] = t.channel
        item |= {"timezone": t.timezone, "managers": roster[t.id]["manager"], "members": roster[t.id]["member"]}
        item["checkin"] = {"day": WEEKDAYS[t.checkin_day], "time": t.checkin_time, "cadence": t.cadence}
        item["digest"] = {"day": WEEKDAYS[t.digest_day], "time": t.digest_time}
        item |= {k: getattr(t, k) for k, default in _TEAM_DEFAULTS.items() if getattr(t, k) != default}
        out.append(item)
    return out


def _objective(o: Objective, krs: list[KeyResult], names, parents, links) -> dict[str, Any]:
    item: dict[str, Any] = {"title": o.title}
    if o.ref:
        item["ref"] = o.ref
    item["team"] = names[o.team_id]
    optional = {"owner": o.owner_id, "description": o.description, "archived": o.archived}
    optional["parent"] = parents.get(o.parent_id) if o.parent_id else None
    item |= {k: v for k, v in optional.items() if v}
    item["key_results"] = [_key_result(kr, names[o.team_id], names, links) for kr in krs]
    return item


def _key_result(kr: KeyResult, own_team: str, names, links) -> dict[str, Any]:
    co_owners, contributing = links[0][kr.id], links[1][kr.id]
    item: dict[str, Any] = {"title": kr.title}
    if kr.ref:
        item["ref"] = kr.ref
    item["owner"] = kr.owner_id
    if kr.kind != "increase":
        item["kind"] = kr.kind
    if not (kr.kind == "binary" and kr.start_value == 0 and kr.target_value == 1):
        item |= {"start": _num(kr.start_value), "target": _num(kr.target_value)}
    # current is written only once it has moved, so re-importing an old export never rewinds check-ins
    optional = {
        "current": _num(kr.current_value) if kr.current_value != kr.start_value else None,
        "unit": kr.unit,
        "weight": _num(kr.weight) if kr.weight != 1 else None,
        "due": kr.due_date,
        "co_owners": co_owners,
        "teams": [own_team, *sorted(names[t] for t in contributing)] if contributing else None,
        "score": kr.score,
        "archived": kr.archived,
    }
    item |= {k: v for k, v in optional.items() if v is not None and v != "" and v != [] and v is not False}
    if links[2][kr.id]:
        if links[3]:
            item["history"] = [_checkin(c) for c in links[2][kr.id]]
        else:
            item["last_checkin"] = _checkin(links[2][kr.id][-1])
    return item


def _checkin(c: CheckIn) -> dict[str, Any]:
    item = {"at": c.created_at.isoformat(), "by": c.author_id, "value": _num(c.value), "confidence": c.confidence}
    return item | {k: v for k, v in (("comment", c.comment), ("blockers", c.blockers)) if v}


def _history_row(o: Objective, kr: KeyResult, c: CheckIn, names: dict[int, str]) -> dict[str, Any]:
    where = {"team": names[o.team_id], "objective": o.title, "key_result": kr.title, "owner": kr.owner_id}
    return where | {"unit": kr.unit} | _checkin(c) | {"comment": c.comment, "blockers": c.blockers}


async def _review_notes(session) -> list[dict[str, Any]]:
    notes = await backup.all_review_notes(session=session)
    cycle_names = {c.id: c.name for c in await cycles.list_cycles(session=session)}
    out = []
    for n in notes:
        item = {"author": n.author_id, "subject": n.subject_id, "visibility": n.visibility}
        item |= {"cycle": cycle_names.get(n.cycle_id), "kr_id": n.kr_id, "created_at": n.created_at.isoformat()}
        out.append(item | {"body": n.body})
    return out


def _csv_row(o: Objective, kr: KeyResult, names: dict[int, str], last: list[CheckIn]) -> dict[str, Any]:
    return {
        "team": names[o.team_id],
        "objective": o.title,
        "key_result": kr.title,
        "owner": kr.owner_id,
        "kind": kr.kind,
        "start": _num(kr.start_value),
        "target": _num(kr.target_value),
        "current": _num(kr.current_value),
        "unit": kr.unit,
        "confidence": kr.confidence or "",
        "blockers": last[-1].blockers if last else "",
        "score": "" if kr.score is None else kr.score,
    }


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) phones home).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """OWASP's CSV-injection defence: a text cell that could start a formula gets a leading single quote.

    Only text is touched: numbers (a start of -5) stay numbers, so the sheet can still sum them.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()
