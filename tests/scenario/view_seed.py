"""Seed data for the /okr view, editing and Home scenarios, written through storage functions.

Cast: U0ADMIN (okrbot admin), U0MANAGER (manages Growth), U0OTHERMGR (manages Platform),
U0OWNER (Growth member who owns KRs), U0MEMBER (Growth member with no KRs).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from storage import cycles, okrs, people, teams
from storage.models import CheckIn, KeyResult, Objective, Team

CYCLE_START, CYCLE_END = date(2027, 1, 4), date(2027, 4, 2)
NOW = datetime(2027, 2, 15, 12, 0, tzinfo=UTC)  # a Monday, about halfway through 2027-Q1


@dataclass
class Seed:
    cycle_id: int
    growth_id: int
    platform_id: int
    objective_id: int
    kr_ids: list[int]
    platform_objective_id: int


async def seed(bot, *, kr_titles=("Signups per week", "Churn rate")) -> Seed:
    """Two teams, one objective in each, KRs owned by U0OWNER; the bot's clock fixed at NOW."""
    bot.svc.clock = lambda: NOW
    for uid, name in [
        ("U0ADMIN", "Ada"),
        ("U0MANAGER", "Max"),
        ("U0OTHERMGR", "Otto"),
        ("U0OWNER", "Olive"),
        ("U0MEMBER", "Mia"),
    ]:
        bot.fake.add_user(uid, name=name)
    async with bot.db.transaction() as s:
        for uid, name in [("U0ADMIN", "Ada"), ("U0MANAGER", "Max"), ("U0OTHERMGR", "Otto")]:
            await people.upsert_person(session=s, id=uid, display_name=name, tz="Europe/Berlin")
        await people.upsert_person(session=s, id="U0OWNER", display_name="Olive", tz="Europe/Berlin")
        await people.upsert_person(session=s, id="U0MEMBER", display_name="Mia", tz="Europe/Berlin")
        cycle = await cycles.add_cycle(session=s, name="2027-Q1", start=CYCLE_START, end=CYCLE_END)
        growth = await teams.add_team(session=s, team=Team(name="Growth", timezone="Europe/Berlin"))
        platform = await teams.add_team(session=s, team=Team(name="Platform", timezone="Europe/Berlin"))
        await teams.set_members(session=s, team_id=growth.id, managers=["U0MANAGER"], members=["U0OWNER", "U0MEMBER"])
        await teams.set_members(session=s, team_id=platform.id, managers=["U0OTHERMGR"], members=[])
        obj = Objective(title="Grow revenue", team_id=growth.id, cycle_id=cycle.id, owner_id="U0MANAGER")
        pobj = Objective(title="Ship faster", team_id=platform.id, cycle_id=cycle.id, owner_id="U0OTHERMGR")
        s.add_all([obj, pobj])
        await s.flush()
        krs = [
            KeyResult(title=t, objective_id=obj.id, owner_id="U0OWNER", start_value=0, target_value=100, position=i)
            for i, t in enumerate(kr_titles)
        ]
        s.add_all(krs)
        await s.flush()
        return Seed(cycle.id, growth.id, platform.id, obj.id, [kr.id for kr in krs], pobj.id)


async def add_krs(bot, *, objective_id: int, count: int, owner: str = "U0OWNER", title: str = "KR") -> list[int]:
    async with bot.db.transaction() as s:
        krs = [
            KeyResult(title=f"{title} {i}", objective_id=objective_id, owner_id=owner, position=100 + i)
            for i in range(count)
        ]
        s.add_all(krs)
        await s.flush()
        return [kr.id for kr in krs]


async def check_in(bot, kr_id: int, value: float, confidence: str, *, at: datetime = NOW, author="U0OWNER") -> None:
    """Stand-in for the check-in service: a CheckIn row plus the KR's live fields."""
    async with bot.db.transaction() as s:
        kr = await okrs.get_key_result(session=s, kr_id=kr_id)
        s.add(CheckIn(kr_id=kr_id, author_id=author, value=value, confidence=confidence, created_at=at))
        kr.current_value, kr.confidence, kr.last_checkin_at = value, confidence, at
        await s.flush()


def text_of(blocks) -> str:
    """Every string in a blocks/view payload, joined: for "does X appear anywhere" assertions."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.append(node)

    walk(blocks)
    return "\n".join(out)
