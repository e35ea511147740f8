"""Objectives and KRs in the database for the file's cycle that the file no longer lists.

Import never deletes, so a KR renamed in the file (without a `ref`) comes back as a second KR while the old
one keeps prompting its owner. The importer lists each such one as a warning, says how to rename (a `ref`)
or retire it, and with `archive_missing` archives them (recorded and audited like any other change).
Only teams the file speaks for are looked at: a file with one team's objectives says nothing about others'.
"""

from storage import okrs
from storage.models import Cycle, KeyResult, Objective

RENAME_HINT = (
    "To rename one, give it a `ref:` that stays when its title changes: if it has one (shown above), keep that "
    "ref on the renamed entry; if not, import once with its old title and a new `ref: <key>`, then change the "
    "title and keep the ref."
)
RETIRE_HINT = "To retire them, import again with --archive-missing (or list them in the file with `archived: true`)."


def _short(title: str) -> str:
    return repr(title if len(title) <= 50 else title[:47] + "...")


def _ref(thing: Objective | KeyResult) -> str:
    return f", ref: {thing.ref}" if thing.ref else ""


async def not_in_file(run, cycle: Cycle, team_ids: set[int], *, archive: bool) -> None:
    """Warn about (or archive) every live objective and KR of these teams' cycle that the file left out."""
    live = [
        o
        for o in await okrs.objectives_in_cycle(session=run.session, cycle_id=cycle.id)
        if o.team_id in team_ids and not o.archived
    ]
    krs = await okrs.key_results_for_objectives(session=run.session, objective_ids=[o.id for o in live])
    missing: list[tuple[str, str, Objective | KeyResult]] = []  # (label, why it matters, row)
    for o in live:
        team = run.names.teams.get(o.team_id, "?")
        if o.id not in run.seen_objectives:
            count = len(krs[o.id])
            why = f"its {count} key results keep prompting" if count > 1 else "its key result keeps prompting"
            why = why if count else "it stays on the team's OKRs"
            why = why if cycle.state == "active" else f"it stays in {cycle.name}"
            missing.append((f"objective {_short(o.title)} ({team}{_ref(o)})", why, o))
            continue
        for kr in krs[o.id]:
            if kr.id not in run.seen_key_results:
                label = f"key result {_short(kr.title)} (objective {_short(o.title)}, {team}{_ref(kr)})"
                why = f"it keeps prompting {kr.owner_id}" if cycle.state == "active" else f"it stays in {cycle.name}"
                missing.append((label, why, kr))
    if archive:
        for label, _, row in missing:
            row.archived = True
            run.record(label, new=False, changes=[("archived", False, True)], entity=row)
        return
    for label, why, _ in missing:
        run.report.warnings.append(f"{label} is in the database but not in the file: {why}")
    if missing:
        run.report.warnings += [RENAME_HINT, RETIRE_HINT]
