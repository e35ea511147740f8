"""Objective and key-result queries, including the batch lookups (one query each)."""

from datetime import date

import pytest
from sqlalchemy import event

from storage import cycles, okrs, teams
from storage.models import KeyResult, Objective, Team
from storage.people import ensure_people


@pytest.fixture
async def seeded(db):
    """Growth owns two objectives; one of its KRs is shared with Platform and co-owned by Bob."""
    async with db.transaction() as s:
        await ensure_people(session=s, ids=["U0ALICE", "U0BOB", "U0CAROL"])
        cycle = await cycles.add_cycle(session=s, name="2027-Q1", start=date(2027, 1, 4), end=date(2027, 4, 2))
        growth = await teams.add_team(session=s, team=Team(name="Growth"))
        platform = await teams.add_team(session=s, team=Team(name="Platform"))
        o1 = Objective(title="Onboarding", ref="onb", team_id=growth.id, cycle_id=cycle.id, position=1)
        o2 = Objective(title="Retention", team_id=growth.id, cycle_id=cycle.id, position=0)
        o3 = Objective(title="Old", team_id=growth.id, cycle_id=cycle.id, archived=True)
        o4 = Objective(title="Uptime", team_id=platform.id, cycle_id=cycle.id)
        s.add_all([o1, o2, o3, o4])
        await s.flush()
        k1 = KeyResult(title="Activation", ref="act", owner_id="U0ALICE", objective_id=o1.id, position=1)
        k2 = KeyResult(title="Guided setup", owner_id="U0BOB", objective_id=o1.id, position=0)
        k3 = KeyResult(title="Churn", owner_id="U0CAROL", objective_id=o2.id)
        k4 = KeyResult(title="SLO", owner_id="U0CAROL", objective_id=o4.id)
        s.add_all([k1, k2, k3, k4])
        await s.flush()
        await okrs.set_co_owners(session=s, kr_id=k1.id, person_ids=["U0BOB", "U0NEW"])
        await okrs.set_contributing_teams(session=s, kr_id=k1.id, team_ids=[platform.id])
    return {
        "db": db,
        "cycle": cycle,
        "growth": growth,
        "platform": platform,
        "o": [o1, o2, o3, o4],
        "k": [k1, k2, k3, k4],
    }


async def test_objectives_for_team_are_ordered_and_skip_archived(seeded):
    c, g = seeded["cycle"], seeded["growth"]
    async with seeded["db"].transaction() as s:
        titles = [o.title for o in await okrs.objectives_for_team(session=s, cycle_id=c.id, team_id=g.id)]
        assert titles == ["Retention", "Onboarding"]
        every = await okrs.objectives_for_team(session=s, cycle_id=c.id, team_id=g.id, include_archived=True)
        assert {o.title for o in every} == {"Retention", "Onboarding", "Old"}


async def test_key_results_for_objectives_is_one_query(seeded):
    o = seeded["o"]
    statements = []
    engine = seeded["db"].engine.sync_engine
    listener = lambda *args: statements.append(args[2]) if args[2].startswith("SELECT") else None  # noqa: E731
    async with seeded["db"].transaction() as s:
        event.listen(engine, "before_cursor_execute", listener)
        try:
            got = await okrs.key_results_for_objectives(session=s, objective_ids=[x.id for x in o])
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert [k.title for k in got[o[0].id]] == ["Guided setup", "Activation"]
    assert [k.title for k in got[o[1].id]] == ["Churn"]
    assert got[o[2].id] == []


async def test_owned_co_owned_and_shared(seeded):
    c, k = seeded["cycle"], seeded["k"]
    async with seeded["db"].transaction() as s:
        bob = await okrs.key_results_owned_by(session=s, person_id="U0BOB", cycle_id=c.id)
        assert [x.title for x in bob] == ["Guided setup", "Activation"]
        assert (await okrs.co_owners_of(session=s, kr_ids=[k[0].id, k[1].id])) == {
            k[0].id: ["U0BOB", "U0NEW"],
            k[1].id: [],
        }
        assert (await okrs.contributing_teams(session=s, kr_ids=[k[0].id])) == {k[0].id: [seeded["platform"].id]}
        shared = await okrs.shared_key_results_for_team(session=s, cycle_id=c.id, team_id=seeded["platform"].id)
        assert [x.title for x in shared] == ["Activation"]
        assert await okrs.shared_key_results_for_team(session=s, cycle_id=c.id, team_id=seeded["growth"].id) == []


async def test_find_by_ref_or_title(seeded):
    c, g, o = seeded["cycle"], seeded["growth"], seeded["o"]
    async with seeded["db"].transaction() as s:
        assert (await okrs.find_objective(session=s, cycle_id=c.id, ref="onb")).id == o[0].id
        assert (await okrs.find_objective(session=s, cycle_id=c.id, team_id=g.id, title="Retention")).id == o[1].id
        assert await okrs.find_objective(session=s, cycle_id=c.id, team_id=seeded["platform"].id, ref="onb") is None
        assert (await okrs.find_key_result(session=s, objective_id=o[0].id, ref="act")).title == "Activation"
        assert (await okrs.find_key_result(session=s, objective_id=o[0].id, title="Guided setup")).owner_id == "U0BOB"
        assert await okrs.find_key_result(session=s, objective_id=o[1].id, title="Activation") is None
        with pytest.raises(ValueError):
            await okrs.find_objective(session=s, cycle_id=c.id, title="Retention")


async def test_key_results_owned_by_people_matches_the_one_person_query_in_two_queries(seeded):
    c = seeded["cycle"]
    ids = ["U0ALICE", "U0BOB", "U0CAROL", "U0NEW", "U0NOBODY"]
    statements = []
    engine = seeded["db"].engine.sync_engine
    listener = lambda *args: statements.append(args[2]) if args[2].startswith("SELECT") else None  # noqa: E731
    async with seeded["db"].transaction() as s:
        event.listen(engine, "before_cursor_execute", listener)
        try:
            got = await okrs.key_results_owned_by_people(session=s, person_ids=ids, cycle_id=c.id)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(statements) == 2
        for pid in ids:
            one = await okrs.key_results_owned_by(session=s, person_id=pid, cycle_id=c.id)
            assert [k.id for k in got[pid]] == [k.id for k in one], pid
    assert [k.title for k in got["U0BOB"]] == ["Guided setup", "Activation"] and got["U0NOBODY"] == []
