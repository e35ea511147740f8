"""Build a synthetic organisation straight into a SQLite file, fast (bulk inserts, sync driver).

Seeding is not what we measure, so it bypasses the services; what is measured then runs
through the real app and Slack client.
"""

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)

CYCLE_START = date(2027, 1, 4)
CYCLE_END = date(2027, 4, 2)
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


@dataclass
class Org:
    path: Path
    teams: int
    people: int
    krs: int
    checkins: int

    @property
    def url(self) -> str:
        return f"sqlite+aiosqlite:///{self.path}"

    def person(self, i: int) -> str:
        return f"U{i:07d}"

    def owners(self) -> list[str]:
        """Every person; each owns exactly one KR."""
        return [self.person(i) for i in range(1, self.people + 1)]


def monday_instants(zones: list[str] = ZONES) -> list[datetime]:
    """The cycle's first Monday 10:00 in each zone, in UTC: when that zone's prompts are due."""
    from zoneinfo import ZoneInfo

    local = datetime.combine(CYCLE_START, time(10, 0))
    return sorted({local.replace(tzinfo=ZoneInfo(z)).astimezone(UTC) for z in zones})


def build_org(
    path: Path,
    *,
    teams: int,
    krs_per_team: int,
    checkins_per_kr: int,
    seed: int = 7,
    zones: list[str] = ZONES,
    managers: bool = True,
    home_share: float = 1.0,
) -> Org:
    """Teams of `krs_per_team` people, each owning one KR; objectives of 5 KRs; people and teams spread
    over `zones` (one zone puts every prompt at the same instant). The first person of each team is its
    manager unless `managers` is False (then the digest step posts team digests only, no manager digests).
    `home_share` of the people (spread evenly) opened their Home tab just now, so their check-ins refresh it."""
    rnd = random.Random(seed)
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    now = datetime(2027, 2, 1, tzinfo=UTC)
    opened = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # the serving process runs on the real clock
    db.execute(
        "INSERT INTO cycle (id, name, start, end, state) VALUES (1, '2027-Q1', ?, ?, 'active')",
        (CYCLE_START.isoformat(), CYCLE_END.isoformat()),
    )
    people, members, team_rows, objectives, krs, checkins = [], [], [], [], [], []
    pid = kid = oid = cid = 0
    for t in range(1, teams + 1):
        team_rows.append((t, f"Team {t}", f"C{t:07d}", zones[t % len(zones)]))
        for k in range(krs_per_team):
            if k % 5 == 0:
                oid += 1
                objectives.append((oid, f"Objective {oid} of team {t}", t, 1, k // 5))
            pid += 1
            uid = f"U{pid:07d}"
            home = opened if int(pid * home_share) != int((pid - 1) * home_share) else None
            people.append((uid, f"Person {pid}", zones[pid % len(zones)], home))
            members.append((t, uid, "manager" if k == 0 and managers else "member"))
            kid += 1
            current = rnd.uniform(0, 100)
            krs.append((kid, f"KR {kid}: grow metric {kid} to 100", uid, oid, current, k % 5))
            for c in range(checkins_per_kr):
                cid += 1
                at = now - timedelta(days=7 * (checkins_per_kr - c))
                checkins.append(
                    (cid, kid, uid, current * (c + 1) / checkins_per_kr, at.strftime("%Y-%m-%d %H:%M:%S.%f"))
                )
    db.executemany(
        "INSERT INTO person (id, display_name, tz, away_until, delegate_id, dm_channel, tz_refreshed_at,"
        " home_opened_at) VALUES (?, ?, ?, NULL, NULL, NULL, NULL, ?)",
        people,
    )
    db.executemany(
        "INSERT INTO team (id, name, channel, timezone, checkin_day, checkin_time, cadence, digest_day, digest_time,"
        " nudge_hours, mention_missing, late_limit_hours, recent_checkin_days, platform)"
        " VALUES (?, ?, ?, ?, 0, '10:00', 'weekly', 4, '16:00', 24, 0, 6, 3, 'slack')",
        team_rows,
    )
    db.executemany("INSERT INTO team_member (team_id, person_id, role) VALUES (?, ?, ?)", members)
    db.executemany(
        "INSERT INTO objective (id, title, description, ref, team_id, owner_id, parent_id, archived, cycle_id,"
        " position) VALUES (?, ?, '', NULL, ?, NULL, NULL, 0, ?, ?)",
        objectives,
    )
    db.executemany(
        "INSERT INTO key_result (id, title, owner_id, kind, start_value, target_value, unit, weight, due_date, ref,"
        " objective_id, current_value, confidence, last_checkin_at, score, archived, position)"
        " VALUES (?, ?, ?, 'increase', 0, 100, '%', 1, NULL, NULL, ?, ?, 'on_track', NULL, NULL, 0, ?)",
        krs,
    )
    db.executemany(
        "INSERT INTO check_in (id, kr_id, author_id, value, confidence, comment, blockers, source, created_at,"
        " edited_at, undone_at, prev_value, prev_confidence, source_channel, source_ts)"
        " VALUES (?, ?, ?, ?, 'on_track', 'steady progress', '', 'import', ?, NULL, NULL, NULL, NULL, NULL, NULL)",
        checkins,
    )
    db.commit()
    db.close()
    return Org(path=path, teams=teams, people=pid, krs=kid, checkins=cid)
