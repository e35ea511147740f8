"""Team digests: once per team per period, in the team's timezone, through the tick + ledger.

Definitions (documented in docs/digests.md):
- the digest *period* ends at the digest's due time and starts one cadence earlier (7 or 14
  days), never before the cycle's first day; a KR is "checked in" when it has a live check-in
  inside that window;
- a KR's *change* is its current value minus its value at the previous digest (the latest live
  check-in at/before that digest's sent_at, else the KR's start value).
A late check-in edits the posted digest in place until the next one is posted.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr import cadence
from bot.okr.messages import Delivery
from bot.okr.messages.digests import DigestHeader, DigestMessage, DigestSummary, MissingPerson
from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.okr.progress import is_final_week, week_of_cycle
from bot.okr.types import Cadence, Pacing, SendKind
from bot.services.kernel import read_models
from bot.services.kernel.context import Services
from bot.services.kernel.errors import NotFound
from bot.services.kernel.ports import DeliveryFailed
from storage import checkins, cycles, ledger, ledger_bulk, okrs, teams
from storage.models import Cycle, KeyResult, Team

log = logging.getLogger(__name__)


def team_recipient(team_id: int) -> str:
    return f"team:{team_id}"


def digest_slot(team: Team, cycle: Cycle) -> cadence.Slot:
    return cadence.Slot(
        weekday=team.digest_day,
        at=cadence.parse_hhmm(team.digest_time),
        cadence=Cadence(team.cadence),
        anchor=cycle.start,
    )


def period_start(team: Team, cycle: Cycle, due_at: datetime) -> datetime:
    """Start of the check-in window the digest reports on: one cadence before it, not before the cycle."""
    days = 14 if Cadence(team.cadence) is Cadence.BIWEEKLY else 7
    tz = cadence.safe_zone(team.timezone)
    cycle_start = datetime.combine(cycle.start, time(0), tzinfo=tz)
    return max(due_at - timedelta(days=days), cycle_start)


def all_krs(objectives: list[ObjectiveView] | tuple[ObjectiveView, ...]) -> list[KRView]:
    """Every KR shown, once, in display order."""
    seen: dict[int, KRView] = {}
    for o in objectives:
        for kr in o.krs:
            seen.setdefault(kr.id, kr)
    return list(seen.values())


@dataclass(frozen=True)
class DigestWant:
    """One digest to build: the period ending at `due_at`, live values as of `now`, changes since the digest
    sent before `sent_at` (or before `now` when this one is not sent yet)."""

    team: Team
    due_at: datetime
    sent_at: datetime | None
    now: datetime


async def build_digest(
    session: AsyncSession, *, team: Team, cycle: Cycle, due_at: datetime, sent_at: datetime | None, now: datetime
) -> DigestMessage:
    """The digest for the period ending at `due_at`, with live values as of `now`."""
    return (await build_digests(session, cycle=cycle, wants=[DigestWant(team, due_at, sent_at, now)]))[0]


async def build_digests(session: AsyncSession, *, cycle: Cycle, wants: list[DigestWant]) -> list[DigestMessage]:
    """build_digest for many teams in one batch of reads: the views of all of them at once, then one query per
    distinct previous digest time and period start (teams on one schedule share them), never one per team."""
    frames = [_frame(w, cycle) for w in wants]
    views = [read_models.TeamView(w.team, today, since) for w, (_tz, today, since) in zip(wants, frames, strict=True)]
    objectives = await read_models.teams_objectives(session, cycle=cycle, wanted=views)
    krs = {w.team.id: all_krs(objectives[w.team.id]) for w in wants}
    recipients = {w.team.id: team_recipient(w.team.id) for w in wants}
    previous: dict[int, datetime | None] = {}
    for before, group in _grouped(wants, lambda w: w.sent_at or w.now).items():
        found = await ledger_bulk.newest_sent_before(
            session=session, kind=SendKind.DIGEST, recipients=[recipients[w.team.id] for w in group], before=before
        )
        previous |= {w.team.id: found.get(recipients[w.team.id]) for w in group}
    base: dict[int, dict[int, float]] = {w.team.id: {} for w in wants}
    for at, group in _grouped([w for w in wants if previous[w.team.id]], lambda w: previous[w.team.id]).items():
        values = await checkins.values_at(session=session, kr_ids=_ids(group, krs), at=at)
        base |= {w.team.id: values for w in group}
    done: dict[int, set[int]] = {}
    since_of = {w.team.id: since for w, (_tz, _today, since) in zip(wants, frames, strict=True)}
    for since, group in _grouped(wants, lambda w: since_of[w.team.id]).items():
        found = await checkins.checked_in_since(session=session, kr_ids=_ids(group, krs), since=since)
        done |= {w.team.id: found for w in group}
    return [
        _digest(w, cycle, tz, today, objectives[w.team.id], krs[w.team.id], base[w.team.id], done[w.team.id], previous)
        for w, (tz, today, _since) in zip(wants, frames, strict=True)
    ]


def _frame(w: DigestWant, cycle: Cycle) -> tuple:
    tz = cadence.safe_zone(w.team.timezone)
    return tz, w.due_at.astimezone(tz).date(), period_start(w.team, cycle, w.due_at)


def _grouped(wants: list[DigestWant], key) -> dict:
    groups: dict = {}
    for w in wants:
        groups.setdefault(key(w), []).append(w)
    return groups


def _ids(group: list[DigestWant], krs: dict[int, list[KRView]]) -> set[int]:
    return {kr.id for w in group for kr in krs[w.team.id]}


def _digest(w: DigestWant, cycle: Cycle, tz, today, objectives, krs, base, done, previous) -> DigestMessage:
    deltas = tuple((kr.id, kr.current - base.get(kr.id, kr.start)) for kr in krs)
    week, weeks = week_of_cycle(cycle.start, cycle.end, today)
    final = is_final_week(cycle.start, cycle.end, today)
    return DigestMessage(
        header=DigestHeader(w.team.name, cycle.name, week, weeks, final),
        objectives=tuple(objectives),
        deltas=deltas,
        summary=_summary(objectives, krs, final),
        missing=_missing(krs, done),
        mention_missing=w.team.mention_missing,
        timezone=tz.key,
        first=previous[w.team.id] is None,
    )


def _summary(objectives, krs: list[KRView], final: bool) -> DigestSummary:
    average = sum(o.progress for o in objectives) / len(objectives) if objectives else 0.0
    counts = tuple((p, sum(1 for kr in krs if kr.pacing is p)) for p in Pacing)
    scores = [kr.score for kr in krs if kr.score is not None]
    score_average = sum(scores) / len(scores) if final and scores else None
    return DigestSummary(average=average, by_status=counts, kr_count=len(krs), score_average=score_average)


def _missing(krs: list[KRView], done: set[int]) -> tuple[MissingPerson, ...]:
    """Owners with a KR not checked in this period, by name (the views carry the names: no query)."""
    names = {kr.owner_id: kr.owner_name for kr in krs if kr.id not in done}
    return tuple(MissingPerson(pid, names[pid]) for pid in sorted(sorted(names), key=lambda p: names[p].casefold()))


async def _teams_showing(session: AsyncSession, kr: KeyResult) -> list[Team]:
    obj = await okrs.get_objective(session=session, objective_id=kr.objective_id)
    extra = (await okrs.contributing_teams(session=session, kr_ids=[kr.id]))[kr.id]
    found = [await teams.get_team(session=session, team_id=tid) for tid in [obj.team_id, *extra]]
    return [t for t in found if t is not None and t.channel]


async def refresh_posted_digests(svc: Services, *, kr_id: int) -> None:
    """After a check-in on `kr_id` is recorded, edited or undone: edit this period's posted digests in place."""
    now = svc.now()
    async with svc.db.read() as session:
        kr = await okrs.get_key_result(session=session, kr_id=kr_id)
        cycle = await cycles.active_cycle(session=session)
        if kr is None or cycle is None:
            return
        edits: list[tuple[Delivery, DigestMessage]] = []
        for team in await _teams_showing(session, kr):
            row = await ledger.latest_sent(session=session, recipient=team_recipient(team.id), kind=SendKind.DIGEST)
            if row is None or row.due_at is None or not cycle.start <= row.due_at.date() <= cycle.end:
                continue
            message = await build_digest(
                session, team=team, cycle=cycle, due_at=row.due_at, sent_at=row.sent_at, now=now
            )
            local = now.astimezone(cadence.safe_zone(team.timezone)).strftime("%H:%M")
            edits.append((Delivery(row.channel, row.ts), _with(message, updated_at=local)))
    for where, message in edits:
        try:
            await svc.notifier.update(where, message)
        except DeliveryFailed as exc:  # the next check-in or the next digest will show it
            log.warning("could not update a posted digest: %s", exc.reason)


def _with(message: DigestMessage, **changes) -> DigestMessage:
    return DigestMessage(**{**message.__dict__, **changes})


async def preview_digest(svc: Services, *, user_id: str, team_name: str = "") -> DigestMessage:
    """/okr digest [team]: this period's digest as it stands now (OKRs are public)."""
    now = svc.now()
    async with svc.db.read() as session:
        cycle = await cycles.active_cycle(session=session)
        if cycle is None:
            raise NotFound("There is no active OKR cycle.")
        team = await _team_for(session, user_id=user_id, team_name=team_name)
        tz = cadence.safe_zone(team.timezone)
        occ = cadence.latest_due(digest_slot(team, cycle), tz, now, window=(cycle.start, cycle.end))
        # Before the first digest of the cycle, preview the one that is coming.
        due = occ.due_utc if occ else now
        row = await ledger.latest_sent(session=session, recipient=team_recipient(team.id), kind=SendKind.DIGEST)
        sent_at = row.sent_at if row is not None and occ is not None and row.period == occ.period else None
        message = await build_digest(session, team=team, cycle=cycle, due_at=due, sent_at=sent_at, now=now)
    return _with(message, preview=True)


async def _team_for(session: AsyncSession, *, user_id: str, team_name: str) -> Team:
    if team_name:
        team = await teams.get_team_by_name(session=session, name=team_name)
        if team is None:
            names = ", ".join(t.name for t in await teams.list_teams(session=session)) or "none yet"
            raise NotFound(f"No team called '{team_name}'. Teams: {names}.")
        return team
    mine = await teams.teams_of_person(session=session, person_id=user_id)
    if not mine:
        raise NotFound("You are not in a team; name one: `/okr digest TEAM`.")
    return mine[0]
