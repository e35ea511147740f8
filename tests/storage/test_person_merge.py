"""merge_person: an "email:" person of the OKR file folded into their Teams person, on a real database."""

from datetime import date

from sqlmodel import select

from storage import people, teams
from storage.models import CheckIn, Cycle, KeyResult, KRCoOwner, Objective, Person, Team, TeamMember
from storage.person_merge import any_email_people, merge_people, merge_person, people_by_emails, person_by_email

OLD, NEW = "email:carol@example.com", "teams:c3c3c3c3-0000-4000-8000-000000000003"


async def _seed(s) -> int:
    await people.ensure_people(session=s, ids=[OLD, NEW, "U0BOSS", "U0ANN"])
    (await s.get(Person, OLD)).email = "carol@example.com"
    old = await s.get(Person, OLD)
    old.display_name, old.tz, old.manager_id = "Carol", "Europe/Berlin", "U0BOSS"
    (await s.get(Person, "U0ANN")).delegate_id = OLD
    growth = await teams.add_team(session=s, team=Team(name="Growth"))
    sales = await teams.add_team(session=s, team=Team(name="Sales"))
    await teams.set_members(session=s, team_id=growth.id, managers=[OLD], members=["U0ANN"])
    await teams.set_members(session=s, team_id=sales.id, managers=[], members=[OLD, NEW])  # both: one row stays
    cycle = Cycle(name="2027-Q1", start=date(2027, 1, 4), end=date(2027, 4, 2))
    s.add(cycle)
    await s.flush()
    objective = Objective(title="O", team_id=growth.id, cycle_id=cycle.id, owner_id=OLD)
    s.add(objective)
    await s.flush()
    kr = KeyResult(title="K", objective_id=objective.id, owner_id=OLD, kind="increase", start_value=0, target_value=1)
    s.add(kr)
    await s.flush()
    s.add_all([KRCoOwner(kr_id=kr.id, person_id=OLD), KRCoOwner(kr_id=kr.id, person_id=NEW)])
    s.add(CheckIn(kr_id=kr.id, author_id=OLD, value=1, confidence="on_track"))
    await s.flush()
    return kr.id


async def test_every_reference_moves_and_the_email_follows(db):
    async with db.transaction() as s:
        kr_id = await _seed(s)
        assert await any_email_people(session=s)
    async with db.transaction() as s:
        kept = await merge_person(session=s, old=OLD, new=NEW)
        assert (kept.email, kept.display_name, kept.tz, kept.manager_id) == (
            "carol@example.com",
            "Carol",
            "Europe/Berlin",
            "U0BOSS",
        )
    async with db.transaction() as s:
        assert await s.get(Person, OLD) is None and not await any_email_people(session=s)
        assert (await s.get(KeyResult, kr_id)).owner_id == NEW
        assert (await s.exec(select(Objective.owner_id))).all() == [NEW]
        assert (await s.exec(select(CheckIn.author_id))).all() == [NEW]
        assert (await s.exec(select(KRCoOwner.person_id))).all() == [NEW]  # the duplicate link was dropped
        rows = (await s.exec(select(TeamMember.team_id, TeamMember.person_id, TeamMember.role))).all()
        assert sorted(r[1] for r in rows) == sorted([NEW, "U0ANN", NEW])
        assert (await s.get(Person, "U0ANN")).delegate_id == NEW
        assert (await person_by_email(session=s, email="Carol@Example.com")).id == NEW
        assert list(await people_by_emails(session=s, emails=["CAROL@example.com"])) == ["carol@example.com"]
        assert await merge_person(session=s, old=OLD, new=NEW) is None  # nothing left to merge


async def test_many_people_merge_at_once_and_a_self_manager_is_cleared(db):
    pairs = {f"email:p{i}@example.com": f"teams:{i:08d}-0000-4000-8000-000000000000" for i in range(3)}
    async with db.transaction() as s:
        await people.ensure_people(session=s, ids=[*pairs, *pairs.values()])
        for old in pairs:
            (await s.get(Person, old)).email = old.removeprefix("email:")
        first_old, first_new = next(iter(pairs.items()))
        (await s.get(Person, first_new)).manager_id = first_old  # their manager is the person folded into them
        team = await teams.add_team(session=s, team=Team(name="Growth"))
        await teams.set_members(session=s, team_id=team.id, managers=[], members=list(pairs))
    async with db.transaction() as s:
        kept = await merge_people(session=s, moves=pairs)
    assert set(kept) == set(pairs.values())
    async with db.transaction() as s:
        assert sorted((await s.exec(select(TeamMember.person_id))).all()) == sorted(pairs.values())
        assert not await any_email_people(session=s)
        assert (await s.get(Person, first_new)).manager_id is None
        assert sorted(await people_by_emails(session=s, emails=["p0@example.com", "p2@example.com"])) == [
            "p0@example.com",
            "p2@example.com",
        ]
