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
from datetime import datetime, time, timedelta
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr import cadence
from bot.okr.messages import Delivery, Notice
from bot.okr.messages.digests import DigestHeader, DigestMessage, DigestSummary, MissingPerson
from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.okr.progress import is_final_week, week_of_cycle
from bot.okr.types import Cadence, Pacing, SendKind
from bot.services.kernel import read_models
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import deliver
from bot.services.kernel.errors import NotFound
from bot.services.kernel.lookups import name_of
from bot.services.kernel.ports import DeliveryFailed
from storage import checkins, cycles, ledger, okrs, people, teams
from storage.models import Cycle, KeyResult, SendLedger, Team

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


async def build_digest(
    session: AsyncSession, *, team: Team, cycle: Cycle, due_at: datetime, sent_at: datetime | None, now: datetime
) -> DigestMessage:
    """The digest for the period ending at `due_at`, with live values as of `now`."""
    tz = cadence.safe_zone(team.timezone)
    today = due_at.astimezone(tz).date()
    since = period_start(team, cycle, due_at)
    objectives = await read_models.team_objectives(session, cycle=cycle, team=team, today=today, blockers_since=since)
    krs = all_krs(objectives)
    ids = [kr.id for kr in krs]
    previous = await ledger.latest_sent(
        session=session, recipient=team_recipient(team.id), kind=SendKind.DIGEST, before=sent_at or now
    )
    base = await checkins.values_at(session=session, kr_ids=ids, at=previous.sent_at) if previous else {}
    deltas = tuple((kr.id, kr.current - base.get(kr.id, kr.start)) for kr in krs)
    done = await checkins.checked_in_since(session=session, kr_ids=ids, since=since)
    week, weeks = week_of_cycle(cycle.start, cycle.end, today)
    final = is_final_week(cycle.start, cycle.end, today)
    return DigestMessage(
        header=DigestHeader(team.name, cycle.name, week, weeks, final),
        objectives=tuple(objectives),
        deltas=deltas,
        summary=_summary(objectives, krs, final),
        missing=await _missing(session, krs, done),
        mention_missing=team.mention_missing,
        timezone=tz.key,
        first=previous is None,
    )


def _summary(objectives, krs: list[KRView], final: bool) -> DigestSummary:
    average = sum(o.progress for o in objectives) / len(objectives) if objectives else 0.0
    counts = tuple((p, sum(1 for kr in krs if kr.pacing is p)) for p in Pacing)
    scores = [kr.score for kr in krs if kr.score is not None]
    score_average = sum(scores) / len(scores) if final and scores else None
    return DigestSummary(average=average, by_status=counts, kr_count=len(krs), score_average=score_average)


async def _missing(session: AsyncSession, krs: list[KRView], done: set[int]) -> tuple[MissingPerson, ...]:
    owners = sorted({kr.owner_id for kr in krs if kr.id not in done})
    known = await people.people_by_ids(session=session, ids=owners)
    names = {pid: name_of(known.get(pid), pid) for pid in owners}
    return tuple(MissingPerson(pid, names[pid]) for pid in sorted(owners, key=lambda p: names[p].casefold()))


async def send_team_digest(svc: Services, team: Team, cycle: Cycle, row: SendLedger, at: datetime) -> str:
    async with svc.db.transaction() as session:
        message = await build_digest(session, team=team, cycle=cycle, due_at=row.due_at, sent_at=None, now=at)
    outcome = await deliver(
        svc, ledger_id=row.id, at=at, send=partial(svc.notifier.post, team.channel, message, ledger_id=row.id)
    )
    if isinstance(outcome, DeliveryFailed):
        if outcome.reason.endswith(NOT_IN_CHANNEL):
            await _tell_managers_to_invite(svc, team, row.period, at)
        return f"digest for {team.name} ({row.period}) failed: {outcome.reason}"
    return f"digest for {team.name} ({row.period}) posted to {team.channel}"


# The platform's answers for "the bot cannot post in that channel" (it was never invited, or it was removed).
NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found")
INVITE_NOTICE = "invite_notice"  # ledger kind: one notice per manager, team and period


async def _tell_managers_to_invite(svc: Services, team: Team, period: str, at: datetime) -> None:
    """A digest nobody sees is a silent failure: tell the team's managers, once per period, how to fix it."""
    async with svc.db.transaction() as session:
        managers = await teams.managers_of(session=session, team_id=team.id)
        claimed = []
        for manager in managers:
            row = await ledger.claim(
                session=session, recipient=manager, kind=INVITE_NOTICE, period=f"{team.id}:{period}", at=at
            )
            if row is not None:
                claimed.append((manager, row.id))
    notice = Notice(
        f"I couldn't post the {team.name} digest: I'm not a member of its channel. Open the channel and type "
        "/invite @okrbot (or add the app from the channel's settings); the next digest will post there.",
        emoji=":warning:",
    )
    for manager, ledger_id in claimed:
        await deliver(svc, ledger_id=ledger_id, at=at, send=partial(svc.notifier.post, manager, notice))


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
