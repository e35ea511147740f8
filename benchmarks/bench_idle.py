"""Idle ticks: what a tick costs (CPU, SQL statements, ledger claims) when nothing is due.

The ledger is seeded as if the week had already run (every Monday prompt sent and nudged, every Friday team
and manager digest posted, today's timezone refresh and prune done), then the real tick (`run_tick`, every
step) runs at instants where nothing is due. The first tick after start-up is reported apart (it pays for
first-use work, and may close past occurrences once); the steady state is the median of the next ticks, and
the fastest of them is reported too (on a loaded machine the least disturbed tick is the better estimate).
CPU is `time.process_time()` (every thread of the process, so the SQLite driver's thread is counted).
"""

import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

from benchmarks.bench_fanout import services
from benchmarks.org import Org, build_org
from benchmarks.report import Result
from bot.runtime import close
from bot.services.kernel.tick import run_tick
from tests.fakes.slack_api import FakeSlack

MONDAY, FRIDAY = "2027-01-04", "2027-01-08"
# Monday 16:00 UTC: New York's prompts (10:00 EST = 15:00 UTC) went out an hour ago, inside their 6 h window.
IN_WINDOW = datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
# Saturday 12:00 UTC: every prompt, nudge and digest of the week is done and past its lateness limit.
SATURDAY = datetime(2027, 1, 9, 12, 0, tzinfo=UTC)
MEASURED_TICKS = 15  # a few ms each: enough for a median (and a fastest tick) that a shared machine's noise moves less


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _local(day: str, hhmm: str, zone: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def seed_week(org: Org, *, nudged_and_digested: bool, day: datetime) -> None:
    """Ledger rows as the real steps write them: prompts (and nudges, digests) sent, housekeeping of `day` done."""
    db = sqlite3.connect(org.path)
    rows = []
    people = db.execute(
        "SELECT kr.owner_id, kr.id, o.team_id, p.tz FROM key_result kr JOIN objective o ON o.id = kr.objective_id"
        " JOIN person p ON p.id = kr.owner_id"
    ).fetchall()
    for owner, kr_id, team_id, tz in people:
        sent = _local(MONDAY, "10:00", tz)
        detail = json.dumps({"krs": [kr_id], "to": owner, "for": None, "team": team_id})
        rows.append((owner, "prompt", MONDAY, "sent", f"D{owner}", f"{sent.timestamp():.6f}", detail, sent, sent))
        if nudged_and_digested:
            nudged = sent + timedelta(hours=24)
            rows.append((owner, "nudge", MONDAY, "sent", f"D{owner}", f"{nudged.timestamp():.6f}", None, nudged, None))
    if nudged_and_digested:
        for team_id, tz, manager in db.execute(
            "SELECT t.id, t.timezone, m.person_id FROM team t LEFT JOIN team_member m"
            " ON m.team_id = t.id AND m.role = 'manager'"
        ).fetchall():
            posted = _local(FRIDAY, "16:00", tz)
            rows.append((f"team:{team_id}", "digest", FRIDAY, "sent", f"C{team_id:07d}", "1.0", None, posted, posted))
            if manager:
                period = f"team{team_id}:{FRIDAY}"
                rows.append((manager, "manager_digest", period, "sent", f"D{manager}", "2.0", None, posted, posted))
    rows.append(("directory", "tz_refresh", day.date().isoformat(), "sent", None, None, None, day, None))
    rows.append(("housekeeping", "prune", day.date().isoformat(), "sent", None, None, None, day, None))
    db.executemany(
        "INSERT INTO send_ledger (recipient, kind, period, status, attempts, channel, ts, detail, error,"
        " claimed_at, sent_at, due_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, ?, ?, ?)",
        [(*r[:7], _stamp(r[7]), _stamp(r[7]) if r[3] == "sent" else None, r[8] and _stamp(r[8])) for r in rows],
    )
    db.commit()
    db.close()


async def idle_ticks(fake: FakeSlack, org: Org, start: datetime) -> dict:
    """CPU seconds and statements of the first tick and of the next MEASURED_TICKS, one minute apart."""
    svc = services(fake, org, messages_per_second=0)
    statements = [0]
    event.listen(
        svc.db.engine.sync_engine, "before_cursor_execute", lambda *_a: statements.__setitem__(0, statements[0] + 1)
    )
    ledger_before = calls_before = 0
    ticks = []
    try:
        for minute in range(MEASURED_TICKS + 1):
            if minute == 1:  # the steady state starts after the first tick (which may close past occurrences)
                ledger_before, calls_before = _ledger_rows(org), len(fake.calls)
            statements[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            await run_tick(svc, start + timedelta(minutes=minute))
            ticks.append((time.process_time() - cpu, time.perf_counter() - wall, statements[0]))
    finally:
        await close(svc)
    steady = ticks[1:]
    return {
        "first_cpu": ticks[0][0],
        "first_statements": ticks[0][2],
        "cpu": statistics.median(t[0] for t in steady),
        "cpu_min": min(t[0] for t in steady),
        "wall": statistics.median(t[1] for t in steady),
        "statements": statistics.median(t[2] for t in steady),
        "new_ledger_rows": _ledger_rows(org) - ledger_before,
        "slack_calls": len(fake.calls) - calls_before,
    }


def _ledger_rows(org: Org) -> int:
    db = sqlite3.connect(org.path)
    try:
        return db.execute("SELECT count(*) FROM send_ledger").fetchone()[0]
    finally:
        db.close()


def _report(result: Result, label: str, m: dict) -> None:
    ms = m["cpu"] * 1000
    result.add(f"{label}: CPU per tick, steady (ms)", round(ms, 1), "<= 20 ms", **{f"{label} vs target": ms / 20})
    result.add(f"{label}: CPU of the fastest steady tick (ms)", round(m["cpu_min"] * 1000, 1))
    result.add(f"{label}: wall time per tick, steady (ms)", round(m["wall"] * 1000, 1))
    result.add(f"{label}: SQL statements per tick, steady", m["statements"], "constant")
    result.add(
        f"{label}: first tick after start-up: CPU (ms) / statements",
        f"{m['first_cpu'] * 1000:.1f} / {m['first_statements']}",
    )
    result.add(
        f"{label}: ledger rows written / Slack calls, steady", f"{m['new_ledger_rows']} / {m['slack_calls']}", "0 / 0"
    )


async def run(tiny: bool) -> Result:
    teams, per_team = (5, 10) if tiny else (500, 20)
    result = Result("idle", "Idle ticks: a tick with nothing due", {"teams": teams, "krs": teams * per_team})
    with tempfile.TemporaryDirectory() as tmp:
        for label, at, done in (("saturday", SATURDAY, True), ("in the prompt window", IN_WINDOW, False)):
            org = build_org(Path(tmp) / f"{label[:3]}.db", teams=teams, krs_per_team=per_team, checkins_per_kr=2)
            seed_week(org, nudged_and_digested=done, day=at)
            async with FakeSlack() as fake:
                _report(result, label, await idle_ticks(fake, org, at))
    return result
