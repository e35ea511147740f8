"""The digest tick step: when a team's digest is due, claim it, post it, then send its managers' digests."""

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.okr import cadence
from bot.okr.cadence import Occurrence
from bot.okr.messages.digests import DigestMessage
from bot.okr.types import SendKind
from bot.services.digests.managers import manager_period, send_manager_digests
from bot.services.digests.posting import PostedDigest, post_team_digest, record_team_digests
from bot.services.digests.team import DigestWant, build_digests, digest_slot, team_recipient
from bot.services.kernel.context import Services
from bot.services.kernel.tick import basics, isolated
from storage import ledger, ledger_bulk, tick_reads
from storage.models import Cycle, Team

log = logging.getLogger(__name__)


TEAMS_AT_ONCE = 8  # teams posting at once: the sender's pacer and gate bound the calls, this bounds the work


@dataclass(frozen=True)
class _Plan:
    team: Team
    occ: Occurrence
    too_late: bool
    status: str | None  # the team digest's ledger row: None (no row), or its status
    managers: tuple[str, ...] = ()  # the team's managers (read for every team in the window at once)


async def digest_step(svc: Services, at: datetime) -> list[str]:
    """Tick step: post each team's digest (and its managers' digests) when due.

    In bulk: the due teams come from one ledger read, their digests from one batch of reads for all of them
    (team.build_digests), their rows are claimed in one transaction, and they post concurrently."""
    known = await basics(svc)
    cycle, all_teams = known.cycle, [t for t in known.teams if t.channel]
    if cycle is None or not all_teams:
        return []
    schedules = _schedules(all_teams, cycle, at)
    if not schedules:  # before the cycle's first digest: nothing to read
        return []
    async with svc.db.read() as session:
        plans = await _due_teams(session, schedules)
        # basics holds the settings as rows; what posts and records a digest takes the due teams' Team objects.
        by_id = await tick_reads.teams_by_id(session=session, ids=[p.team.id for p in plans])
    plans = [replace(p, team=by_id[p.team.id]) for p in plans if p.team.id in by_id]
    if not plans:
        return []
    sending = [p for p in plans if not p.too_late]
    built = await _build_all(svc, cycle, sending, at)
    claimed, lines = await _claim_all(svc, plans, at)
    gate = asyncio.Semaphore(TEAMS_AT_ONCE)

    async def post(p: _Plan):
        async with gate:
            ledger_id = claimed[p.team.id]
            outcome = await post_team_digest(svc, p.team, cycle, ledger_id, p.occ.due_utc, at, built.get(p.team.id))
            return PostedDigest(p.team, p.occ.period, ledger_id, outcome)

    posted = await asyncio.gather(*(post(p) for p in sending if p.team.id in claimed))
    lines += await record_team_digests(svc, list(posted), at)  # one transaction for all (as prompts do)

    async def managers(p: _Plan) -> list[str]:
        async with gate:  # isolated: one team's failure never strands the others' digests
            work = send_manager_digests(
                svc, team=p.team, cycle=cycle, occ=p.occ, at=at, digest=built.get(p.team.id), managers=p.managers
            )
            return await isolated(f"manager digests of {p.team.name}", work)

    for done in await asyncio.gather(*(managers(p) for p in sending)):
        lines += done
    return lines


async def _build_all(svc: Services, cycle: Cycle, plans: list[_Plan], at: datetime) -> dict[int, DigestMessage]:
    """Every due team's digest, in one read. Should that fail, each team builds its own (isolated) instead."""
    wants = [DigestWant(p.team, p.occ.due_utc, None, at) for p in plans]
    try:
        async with svc.db.read() as session:
            messages = await build_digests(session, cycle=cycle, wants=wants)
    except Exception as exc:  # noqa: BLE001 - one bad team must not cost every team its digest
        log.exception("digests: the batch build failed (%s); building team by team", type(exc).__name__)
        return {}
    return {w.team.id: m for w, m in zip(wants, messages, strict=True)}


async def _claim_all(svc: Services, plans: list[_Plan], at: datetime) -> tuple[dict[int, int], list[str]]:
    """Claim the team digests' rows in one transaction: {team id: ledger id won}, and the skip lines. A row is
    created by one INSERT for all new ones; a failed one is won back row by row (rare)."""
    lines: list[str] = []
    new = [p for p in plans if p.status is None]
    async with svc.db.transaction() as session:
        won = await ledger_bulk.claim_many(session=session, rows=[_row(p) for p in new], at=at)
        claimed = {p.team.id: won[key] for p in new if (key := (team_recipient(p.team.id), p.occ.period)) in won}
        for p in [p for p in plans if p.status == "failed"]:
            row = await ledger.claim_or_retry(session=session, at=at, **_row(p))
            if row is not None:
                claimed[p.team.id] = row.id
        for p in [p for p in plans if p.too_late and p.team.id in claimed]:
            await ledger.finish(
                session=session, ledger_id=claimed.pop(p.team.id), status="skipped", at=at, error=TOO_LATE
            )
            lines.append(
                f"digest for {p.team.name} ({p.occ.period}) skipped: more than {p.team.late_limit_hours}h late"
            )
    return claimed, lines


TOO_LATE = "too late after downtime"


def _row(p: _Plan) -> dict:
    return {
        "recipient": team_recipient(p.team.id),
        "kind": SendKind.DIGEST,
        "period": p.occ.period,
        "due_at": p.occ.due_utc,
    }


def _schedules(all_teams: list, cycle: Cycle, at: datetime) -> list[tuple[Occurrence, bool, list]]:
    """(latest digest occurrence, too late, its teams) for each distinct schedule that has had one in the cycle:
    teams that share a schedule share its occurrence, computed once."""
    by_shape: dict[tuple, list] = {}
    for team in all_teams:
        by_shape.setdefault(_shape(team), []).append(team)
    found = []
    for teams in by_shape.values():
        occ, too_late = _occurrence(teams[0], cycle, at)
        if occ is not None:
            found.append((occ, too_late, teams))
    return found


async def _due_teams(session, schedules: list[tuple[Occurrence, bool, list]]) -> list[_Plan]:
    """The teams with something to claim now, from their settings and the ledger alone: a digest with no row
    (or a failed one), or, inside its lateness window, a manager digest with none. Every other team would
    only re-claim rows that are held or done, so it is not touched (the tick runs every minute)."""
    window = {occ.period for occ, too_late, _ in schedules if not too_late}
    past = {occ.period for occ, _, _ in schedules} - window
    # Past the lateness window only a missing or failed team row matters (it is recorded skipped), and the
    # ledger names just those teams: from Friday evening to the next digest no team's row is read.
    undone = await tick_reads.teams_without_done_row(session=session, kind=SendKind.DIGEST, periods=past)
    plans = [
        _Plan(team, occ, too_late, undone[(team.id, occ.period)])
        for occ, too_late, teams in (schedules if undone else ())
        if occ.period in past
        for team in teams
        if (team.id, occ.period) in undone
    ]
    # Inside a window every team's row counts: a manager digest may still be due after the team's.
    inside = [(team, occ, too_late) for occ, too_late, teams in schedules if occ.period in window for team in teams]
    if inside:
        held = await tick_reads.statuses(session=session, kind=SendKind.DIGEST, periods=window)
        managers = await tick_reads.managers_by_team(
            session=session, team_ids=[team.id for team, _, too_late in inside if not too_late]
        )
        wanted = {manager_period(team, occ) for team, occ, _ in inside if team.id in managers}
        sent = await tick_reads.statuses(session=session, kind=SendKind.MANAGER_DIGEST, periods=wanted)
        for team, occ, too_late in inside:
            status, mine = held.get((team_recipient(team.id), occ.period)), managers.get(team.id, ())
            if not _done(status) or any(not _done(sent.get((m, manager_period(team, occ)))) for m in mine):
                plans.append(_Plan(team, occ, too_late, status, tuple(sorted(mine))))
    return sorted(plans, key=lambda p: p.team.name)  # the teams' order, as they were read


def _done(status: str | None) -> bool:
    """A row a claim would not take: held by a send in flight, sent, skipped (only failed rows are retried)."""
    return status is not None and status != "failed"


def _shape(team: Team) -> tuple:
    """What a team's digest occurrence depends on."""
    return team.digest_day, team.digest_time, team.cadence, team.timezone, team.late_limit_hours


def _occurrence(team: Team, cycle: Cycle, at: datetime) -> tuple:
    return cadence.due_now(
        digest_slot(team, cycle),
        cadence.safe_zone(team.timezone),
        at,
        late_limit=timedelta(hours=team.late_limit_hours),
        window=(cycle.start, cycle.end),
    )
