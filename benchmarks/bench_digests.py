"""Team digests: all teams' Friday digests built and posted through the real tick step, and the SQL each takes.

Statements are counted with a `before_cursor_execute` listener on the engine, at two team sizes: a
constant count per digest whatever the number of KRs means no N+1 query.
"""

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

from benchmarks.bench_fanout import meter_fake, services
from benchmarks.org import ZONES, Org, build_org
from benchmarks.report import Result
from bot.runtime import close
from bot.services.digests.schedule import digest_step
from tests.fakes.slack_api import FakeSlack

FRIDAY = date(2027, 1, 8)  # the cycle's first Friday; teams digest at 16:00 in their timezone


def friday_instants(zones: list[str]) -> list[datetime]:
    return sorted({datetime(2027, 1, 8, 16, 0, tzinfo=ZoneInfo(z)).astimezone(UTC) for z in zones})


async def digest_all(fake: FakeSlack, org: Org, zones: list[str]) -> tuple[float, int, int, float]:
    """(seconds, SQL statements, digests posted, CPU seconds of this process) for one digest tick step at each
    zone's due instant. The CPU is `time.process_time()`: every thread, so the SQLite driver's counts."""
    svc = services(fake, org, messages_per_second=0)
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(svc.db.engine.sync_engine, "before_cursor_execute", count)
    posted_before = len(team_posts(fake))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for at in friday_instants(zones):
            await digest_step(svc, at)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await close(svc)
    return seconds, statements[0], len(team_posts(fake)) - posted_before, cpu


def team_posts(fake: FakeSlack) -> list:
    """Digests posted in team channels (the step also DMs each manager their own digest)."""
    return [c for c in fake.calls_to("chat.postMessage") if str(c.args.get("channel", "")).startswith("C")]


async def statements_per_digest(tmp: Path, krs_per_team: int, *, managers: bool, teams: int = 4) -> float:
    org = build_org(
        tmp / f"s{krs_per_team}{managers}.db",
        teams=teams,
        krs_per_team=krs_per_team,
        checkins_per_kr=3,
        zones=["UTC"],
        managers=managers,
    )
    async with FakeSlack() as fake:
        _, statements, posted, _cpu = await digest_all(fake, org, ["UTC"])
    return statements / max(posted, 1)


async def run(tiny: bool) -> Result:
    teams, per_team = (5, 10) if tiny else (500, 20)
    with tempfile.TemporaryDirectory() as tmp:
        # Team digests only: manager digests (one DM per manager plus one review-thread message per person)
        # are measured apart below, they are not "the team digest".
        org = build_org(Path(tmp) / "org.db", teams=teams, krs_per_team=per_team, checkins_per_kr=10, managers=False)
        result = Result("digests", "Team digests: build and post every team's digest", {"teams": teams, "krs": org.krs})
        async with FakeSlack() as fake:
            fake_cpu = meter_fake(fake)
            seconds, statements, posted, cpu = await digest_all(fake, org, ZONES)
        small = await statements_per_digest(Path(tmp), 10, managers=False)
        large = await statements_per_digest(Path(tmp), 40, managers=False)
        small_m = await statements_per_digest(Path(tmp), 10, managers=True)
        large_m = await statements_per_digest(Path(tmp), 40, managers=True)
    result.add("digests posted", posted, f"= {teams}")
    result.add("total time (s)", round(seconds, 2), "<= 2 s", vs_target=round(seconds / 2, 2))
    result.add("  of which the fake Slack's handling (s)", round(fake_cpu[0], 2))
    own = seconds - fake_cpu[0]
    result.add("okrbot's own time (s): total less the fake's", round(own, 2), "<= 2 s", own_vs_target=round(own / 2, 2))
    result.add("CPU of the process (s); of it the fake's", f"{cpu:.2f}; {fake_cpu[1]:.2f}")
    result.add("okrbot's own CPU (s)", round(cpu - fake_cpu[1], 2), "<= 2 s")
    result.add("manager digests and other posts", len(fake.calls_to("chat.postMessage")) - posted)
    result.add("SQL statements per team (this org)", round(statements / max(posted, 1), 1))
    result.add("SQL statements per team, 10 KRs/team", round(small, 1), "constant")
    result.add("SQL statements per team, 40 KRs/team", round(large, 1), "= the 10-KR count")
    result.add("with manager digests: SQL per team, 10 KRs/team", round(small_m, 1), "constant")
    result.add("with manager digests: SQL per team, 40 KRs/team", round(large_m, 1), "= the 10-KR count")
    return result
