"""The digest tick step: when a team's digest is due, claim it, post it, then send its managers' digests."""

from datetime import datetime, timedelta

from bot.okr import cadence
from bot.okr.types import SendKind
from bot.services.digests.managers import manager_period, send_manager_digests
from bot.services.digests.team import digest_slot, send_team_digest, team_recipient
from bot.services.kernel.context import Services
from bot.services.kernel.tick import basics, isolated
from storage import ledger, tick_reads
from storage.models import Cycle, Team


async def digest_step(svc: Services, at: datetime) -> list[str]:
    """Tick step: post each team's digest (and its managers' digests) when due."""
    lines: list[str] = []
    known = await basics(svc)
    cycle, all_teams = known.cycle, [t for t in known.teams if t.channel]
    if cycle is None or not all_teams:
        return lines
    async with svc.db.read() as session:
        due = await _due_teams(session, all_teams, cycle, at)
    for team in due:  # isolated: one team's failure never strands the others' digests
        lines += await isolated(f"digests of {team.name}", _team_due(svc, team, cycle, at))
    return lines


async def _due_teams(session, all_teams: list[Team], cycle: Cycle, at: datetime) -> list[Team]:
    """The teams with something to claim now, from their settings and the ledger alone: a digest with no row
    (or a failed one), or, inside its lateness window, a manager digest with none. Every other team would
    only re-claim rows that are held or done, so it is not touched (the tick runs every minute)."""
    memo: dict[tuple, tuple] = {}  # teams that share a schedule share its occurrence: computed once
    occs = {t.id: (t, *_memo(memo, _shape(t), lambda t=t: _occurrence(t, cycle, at))) for t in all_teams}
    occs = {tid: o for tid, o in occs.items() if o[1] is not None}
    periods = {occ.period for _, occ, _ in occs.values()}
    held = await tick_reads.statuses(session=session, kind=SendKind.DIGEST, periods=periods)
    team_done = {tid: _done(held.get((team_recipient(tid), occ.period))) for tid, (_, occ, _) in occs.items()}
    in_window = [tid for tid, (_, _, late) in occs.items() if team_done[tid] and not late]
    managers = await tick_reads.managers_by_team(session=session, team_ids=in_window)
    wanted = {manager_period(team, occ) for tid, (team, occ, _) in occs.items() if tid in managers}
    sent = await tick_reads.statuses(session=session, kind=SendKind.MANAGER_DIGEST, periods=wanted)
    return [
        team
        for tid, (team, occ, _) in occs.items()
        if not team_done[tid] or any(not _done(sent.get((m, manager_period(team, occ)))) for m in managers.get(tid, ()))
    ]


def _done(status: str | None) -> bool:
    """A row a claim would not take: held by a send in flight, sent, skipped (only failed rows are retried)."""
    return status is not None and status != "failed"


def _shape(team: Team) -> tuple:
    """What a team's digest occurrence depends on."""
    return team.digest_day, team.digest_time, team.cadence, team.timezone, team.late_limit_hours


def _memo(memo: dict, key, compute):
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _occurrence(team: Team, cycle: Cycle, at: datetime) -> tuple:
    return cadence.due_now(
        digest_slot(team, cycle),
        cadence.safe_zone(team.timezone),
        at,
        late_limit=timedelta(hours=team.late_limit_hours),
        window=(cycle.start, cycle.end),
    )


async def _team_due(svc: Services, team: Team, cycle: Cycle, at: datetime) -> list[str]:
    occ, too_late = _occurrence(team, cycle, at)
    if occ is None:
        return []
    async with svc.db.transaction() as session:
        row = await ledger.claim_or_retry(
            session=session,
            at=at,
            recipient=team_recipient(team.id),
            kind=SendKind.DIGEST,
            period=occ.period,
            due_at=occ.due_utc,
        )
        if row is not None and too_late:
            await ledger.finish(
                session=session, ledger_id=row.id, status="skipped", at=at, error="too late after downtime"
            )
            return [f"digest for {team.name} ({occ.period}) skipped: more than {team.late_limit_hours}h late"]
    if row is None:  # the team digest is held or done: a manager digest that failed is retried on its own
        return [] if too_late else await send_manager_digests(svc, team=team, cycle=cycle, occ=occ, at=at)
    lines = [await send_team_digest(svc, team, cycle, row, at)]
    return lines + await send_manager_digests(svc, team=team, cycle=cycle, occ=occ, at=at)
