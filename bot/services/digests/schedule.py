"""The digest tick step: when a team's digest is due, claim it, post it, then send its managers' digests."""

from datetime import datetime, timedelta

from bot.okr import cadence
from bot.okr.types import SendKind
from bot.services.digests.managers import send_manager_digests
from bot.services.digests.team import digest_slot, send_team_digest, team_recipient
from bot.services.kernel.context import Services
from bot.services.kernel.tick import isolated
from storage import cycles, ledger, teams
from storage.models import Cycle, Team


async def digest_step(svc: Services, at: datetime) -> list[str]:
    """Tick step: post each team's digest (and its managers' digests) when due."""
    lines: list[str] = []
    async with svc.db.transaction() as session:
        cycle = await cycles.active_cycle(session=session)
        all_teams = [t for t in await teams.list_teams(session=session) if t.channel]
    if cycle is None:
        return lines
    for team in all_teams:  # isolated: one team's failure never strands the others' digests
        lines += await isolated(f"digests of {team.name}", _team_due(svc, team, cycle, at))
    return lines


async def _team_due(svc: Services, team: Team, cycle: Cycle, at: datetime) -> list[str]:
    tz = cadence.safe_zone(team.timezone)
    occ, too_late = cadence.due_now(
        digest_slot(team, cycle),
        tz,
        at,
        late_limit=timedelta(hours=team.late_limit_hours),
        window=(cycle.start, cycle.end),
    )
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
