"""People, teams and cycles queries on a real (temporary) SQLite database."""

from datetime import UTC, date, datetime

from storage import cycles, people, teams
from storage.models import Team


async def test_upsert_person_creates_then_updates_only_given_fields(db):
    async with db.transaction() as s:
        p = await people.upsert_person(session=s, id="U0ALICE", display_name="Alice", tz="Europe/Berlin")
        assert p.display_name == "Alice"
    async with db.transaction() as s:
        p = await people.upsert_person(session=s, id="U0ALICE", tz="America/New_York")
        assert (p.display_name, p.tz) == ("Alice", "America/New_York")
        assert [x.id for x in await people.list_people(session=s)] == ["U0ALICE"]
        assert (await people.get_person(session=s, person_id="U0ALICE")).tz == "America/New_York"
        assert await people.get_person(session=s, person_id="U0NOBODY") is None


async def test_set_timezones_touches_known_people_only(db):
    at = datetime(2027, 1, 4, 9, tzinfo=UTC)
    async with db.transaction() as s:
        await people.ensure_people(session=s, ids=["U1", "U2"])
        changed = await people.set_timezones(session=s, tzs={"U1": "Europe/Berlin", "U2": None, "U9": "UTC"}, at=at)
    assert changed == 1
    async with db.transaction() as s:
        found = await people.people_by_ids(session=s, ids=["U1", "U2", "U9"])
        assert set(found) == {"U1", "U2"}
        assert found["U1"].tz == "Europe/Berlin" and found["U1"].tz_refreshed_at == at


async def test_team_roster_roles_and_lookups(db):
    async with db.transaction() as s:
        growth = await teams.add_team(session=s, team=Team(name="Growth"))
        platform = await teams.add_team(session=s, team=Team(name="Platform"))
        await teams.set_members(session=s, team_id=growth.id, managers=["U0M"], members=["U0A", "U0B", "U0M"])
        await teams.set_members(session=s, team_id=platform.id, managers=["U0A"], members=["U0C"])
    async with db.transaction() as s:
        assert (await teams.get_team_by_name(session=s, name=" growth ")).id == growth.id
        assert await teams.get_team_by_name(session=s, name="nope") is None
        assert [t.name for t in await teams.list_teams(session=s)] == ["Growth", "Platform"]
        assert await teams.managers_of(session=s, team_id=growth.id) == ["U0M"]
        assert await teams.members_of(session=s, team_id=growth.id) == ["U0A", "U0B"]
        assert [t.name for t in await teams.teams_of_person(session=s, person_id="U0A")] == ["Growth", "Platform"]
        assert [t.name for t in await teams.teams_managed_by(session=s, person_id="U0A")] == ["Platform"]
        assert await teams.is_manager(session=s, team_id=growth.id, person_id="U0M")
        assert not await teams.is_manager(session=s, team_id=growth.id, person_id="U0A")
        # replacing the roster drops people no longer listed
        await teams.set_members(session=s, team_id=growth.id, managers=["U0M"], members=["U0B"])
        assert await teams.members_of(session=s, team_id=growth.id) == ["U0B"]


async def test_active_cycle_is_the_one_active_cycle(db):
    # Two active cycles cannot exist (a partial unique index); tests/scenario/test_one_active_cycle.py.
    async with db.transaction() as s:
        assert await cycles.active_cycle(session=s) is None
        await cycles.add_cycle(
            session=s, name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31), state="closed"
        )
        await cycles.add_cycle(session=s, name="2027-Q1", start=date(2027, 1, 4), end=date(2027, 4, 2))
        await cycles.add_cycle(session=s, name="2027-Q2", start=date(2027, 4, 5), end=date(2027, 7, 2), state="planned")
    async with db.transaction() as s:
        assert (await cycles.active_cycle(session=s)).name == "2027-Q1"
        assert [c.name for c in await cycles.list_cycles(session=s)] == ["2026-Q4", "2027-Q1", "2027-Q2"]
        assert (await cycles.get_cycle_by_name(session=s, name="2027-Q2")).state == "planned"
