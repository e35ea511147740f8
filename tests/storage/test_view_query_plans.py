"""A view's "shared KRs of these teams" and "KRs I own or co-own" start from the team and the person.

Without an index leading with kr_team.team_id, and with `owner_id = ? OR id IN (co-owned)` (no index serves an
OR), SQLite walked every KR of the cycle for each: ~1 ms and ~0.6 ms of every Home tab at 2,000 KRs, growing with
the organisation (docs/performance.md). Each lookup's own statement is planned here with EXPLAIN QUERY PLAN, on an
org big enough that a walk would be the wrong plan, and its answer checked.
"""

from datetime import date

import pytest
from sqlalchemy import event

from storage import cycles, okrs, teams
from storage.models import KeyResult, Objective, Team
from storage.people import ensure_people
from tests.storage.test_prompt_lookup_plan import plan

pytestmark = pytest.mark.sqlite_only("EXPLAIN QUERY PLAN is SQLite's")


async def org(db, n_teams: int = 30):
    """Teams of 10 KRs each; team 0's first KR is shared with team 1 and co-owned by U0BOB."""
    async with db.transaction() as s:
        await ensure_people(session=s, ids=["U0BOB", *(f"U{t}x{k}" for t in range(n_teams) for k in range(10))])
        cycle = await cycles.add_cycle(session=s, name="2027-Q1", start=date(2027, 1, 4), end=date(2027, 4, 2))
        made = [await teams.add_team(session=s, team=Team(name=f"T{t}")) for t in range(n_teams)]
        objectives = [Objective(title=f"O{t}", team_id=team.id, cycle_id=cycle.id) for t, team in enumerate(made)]
        s.add_all(objectives)
        await s.flush()
        krs = [
            KeyResult(title=f"K{t}.{k}", owner_id=f"U{t}x{k}", objective_id=o.id, position=k)
            for t, o in enumerate(objectives)
            for k in range(10)
        ]
        s.add_all(krs)
        await s.flush()
        await okrs.set_co_owners(session=s, kr_id=krs[0].id, person_ids=["U0BOB"])
        await okrs.set_contributing_teams(session=s, kr_id=krs[0].id, team_ids=[made[1].id])
    return cycle, made, krs


def capture(db) -> list[tuple[str, tuple]]:
    seen: list[tuple[str, tuple]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _keep(_conn, _cursor, statement, params, _context, _many):
        if statement.startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    return seen


async def test_a_teams_shared_krs_are_found_from_the_team(db):
    cycle, made, _krs = await org(db)
    seen = capture(db)
    async with db.read() as s:
        shared = await okrs.shared_key_results_for_teams(session=s, cycle_id=cycle.id, team_ids=[made[1].id])
    assert [kr.title for kr in shared[made[1].id]] == ["K0.0"]
    ((statement, params),) = seen
    assert (await plan(db, statement, params)).startswith("SEARCH kr_team USING INDEX ix_kr_team_team_id")


async def test_my_krs_are_found_from_me_owned_or_co_owned(db):
    cycle, _made, _krs = await org(db)
    seen = capture(db)
    async with db.read() as s:
        owned = await okrs.key_results_owned_by(session=s, person_id="U3x4", cycle_id=cycle.id)
        co_owned = await okrs.key_results_owned_by(session=s, person_id="U0BOB", cycle_id=cycle.id)
    assert [kr.title for kr in owned] == ["K3.4"] and [kr.title for kr in co_owned] == ["K0.0"]
    statement, params = seen[0]
    found = await plan(db, statement, params)
    assert "ix_key_result_owner_id (owner_id=?)" in found and "ix_kr_co_owner_person_id (person_id=?)" in found
    assert "SCAN" not in found


async def test_a_teams_part_of_the_alignment_tree_is_read_from_its_roots_down(db):
    cycle, made, _krs = await org(db)
    async with db.transaction() as s:  # under team 3's objective: team 4's, and under that team 5's; a cycle too
        o3, o4, o5, o6 = [
            (await okrs.objectives_for_team(session=s, cycle_id=cycle.id, team_id=made[t].id))[0] for t in (3, 4, 5, 6)
        ]
        o4.parent_id, o5.parent_id = o3.id, o4.id
        o3.parent_id = o5.id  # an alignment cycle must still end
        s.add_all([o3, o4, o5])
    seen = capture(db)
    async with db.read() as s:
        links = await okrs.objective_subtrees(
            session=s, cycle_id=cycle.id, team_ids=[made[3].id], objective_ids=[o6.id]
        )
    assert sorted(links) == sorted((o.id, o.parent_id, o.team_id) for o in (o3, o4, o5, o6))
    ((statement, params),) = seen
    found = await plan(db, statement, params)
    assert "SCAN objective" not in found and "ix_objective_parent_id" in found, found
