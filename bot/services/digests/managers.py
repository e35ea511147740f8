"""Manager digests: the team digest by DM to each manager, then one message per person whose
thread is that person's review thread (replies in it become private review notes).

Claimed and retried per manager (one ledger row each) and per person section: a failed section leaves the
row 'failed' with the sections already posted (and their review threads) kept, and the next tick of the
digest's due window posts only the missing ones into the same DM."""

import json
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr import cadence
from bot.okr.cadence import Occurrence
from bot.okr.messages import Delivery
from bot.okr.messages.digests import DigestMessage, ManagerDigest, PersonSection
from bot.okr.types import SendKind
from bot.services.digests.team import build_digest, period_start
from bot.services.kernel import permissions
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import deliver
from bot.services.kernel.ports import DeliveryFailed
from bot.services.kernel.read_models import kr_views
from bot.services.kernel.tick import isolated
from storage import ledger, okrs, people, review_notes, teams
from storage.models import Cycle, ReviewThread, SendLedger, Team


def manager_period(team: Team, occ: Occurrence) -> str:
    # A manager of two teams gets one digest per team per period: the team is part of the key.
    return f"team{team.id}:{occ.period}"


async def send_manager_digests(
    svc: Services,
    *,
    team: Team,
    cycle: Cycle,
    occ: Occurrence,
    at: datetime,
    digest: DigestMessage | None = None,
    managers: tuple[str, ...] | None = None,
) -> list[str]:
    """Tick step helper: claim and send each manager's digest for this team and period. `digest`: the team's
    digest for this period as the tick built it (the same message), so it is not built again per manager;
    `managers`: theirs as the tick read them for all teams at once (sorted, like teams.managers_of)."""
    lines = []
    if managers is None:
        async with svc.db.read() as session:
            managers = await teams.managers_of(session=session, team_id=team.id)
    for manager_id in managers:  # isolated: one manager's failure never strands the others'
        lines += await isolated(f"manager digest for {manager_id}", _one(svc, manager_id, team, cycle, occ, at, digest))
    return lines


async def _one(
    svc: Services, manager_id: str, team: Team, cycle: Cycle, occ: Occurrence, at: datetime, digest
) -> list[str]:
    async with svc.db.transaction() as session:
        row = await ledger.claim_or_retry(
            session=session,
            at=at,
            recipient=manager_id,
            kind=SendKind.MANAGER_DIGEST,
            period=manager_period(team, occ),
            due_at=occ.due_utc,
        )
        if row is None:
            return []
        if digest is None:
            digest = await build_digest(session, team=team, cycle=cycle, due_at=occ.due_utc, sent_at=None, now=at)
        sections = await person_sections(session, manager_id=manager_id, team=team, cycle=cycle, digest=digest, occ=occ)
    return [await _send(svc, manager_id, row, digest, sections, occ, at)]


async def _send(svc, manager_id, row: SendLedger, digest, sections, occ, at) -> str:
    """The digest, then one message per person. Each review thread is kept as soon as it is posted (a reply in
    it is never dropped) and the row remembers who was posted, so a retry posts only what is missing."""
    progress = json.loads(row.detail or "{}")
    posted: list[str] = list(progress.get("posted", []))
    todo = [s for s in sections if s.subject_id not in posted]

    async def send() -> Delivery:
        parent = Delivery(row.channel, row.ts) if row.channel and row.ts else None
        if parent is None:
            parent = await svc.notifier.post(
                manager_id, ManagerDigest(digest=digest, people=len(sections)), ledger_id=row.id
            )
            await _keep(svc, row.id, parent, posted, None, occ)
        for section in todo:
            where = await svc.notifier.post(parent.channel, section)
            posted.append(section.subject_id)
            thread = ReviewThread(
                manager_id=manager_id,
                subject_id=section.subject_id,
                channel=where.channel,
                ts=where.ts,
                period=occ.period,
            )
            await _keep(svc, row.id, parent, posted, thread, occ)
        return parent

    outcome = await deliver(svc, ledger_id=row.id, at=at, send=send)
    if isinstance(outcome, DeliveryFailed):
        missing = len(sections) - len(set(posted) & {s.subject_id for s in sections})
        return f"manager digest for {manager_id} failed: {outcome.reason}; {missing} sections left for a later tick"
    return f"manager digest for {manager_id} sent with {len(todo)} review threads"


async def _keep(svc, ledger_id: int, parent: Delivery, posted: list[str], thread: ReviewThread | None, occ) -> None:
    async with svc.db.transaction() as session:
        if thread is not None:
            await review_notes.add_threads(session=session, threads=[thread])
        detail = json.dumps({"posted": posted})
        await ledger.set_progress(
            session=session, ledger_id=ledger_id, channel=parent.channel, ts=parent.ts, detail=detail
        )


async def person_sections(
    session: AsyncSession, *, manager_id: str, team: Team, cycle: Cycle, digest: DigestMessage, occ: Occurrence
) -> list[PersonSection]:
    """One section per member and KR owner of the team whom this manager line-manages (up the chain), so a
    section exists exactly when a reply in its thread may become a note; never about themselves or a peer."""
    krs = [kr for o in digest.objectives if not o.shared_from for kr in o.krs]
    candidates = set(await teams.members_of(session=session, team_id=team.id)) | {kr.owner_id for kr in krs}
    others = sorted(candidates - {manager_id})
    managed = await permissions.note_subjects_among(session, viewer_id=manager_id, person_ids=others)
    subjects = [pid for pid in others if pid in managed]
    known = await people.people_by_ids(session=session, ids=[*subjects, manager_id])
    zone = cadence.safe_zone(known[manager_id].tz if manager_id in known else None, team.timezone)
    missing = {m.id for m in digest.missing}
    since = period_start(team, cycle, occ.due_utc)  # this period's blockers, as in the digest above them
    # Every KR they own or co-own this cycle, in any team: the digest's own KRs would call someone whose KRs sit
    # in an aligned or another team's objective "no KRs of their own". Loaded for all of them at once, so a
    # manager digest costs the same number of queries whatever the number of people in it.
    owned = await okrs.key_results_owned_by_people(session=session, person_ids=subjects, cycle_id=cycle.id)
    union = list({kr.id: kr for pid in subjects for kr in owned[pid]}.values())
    views = await kr_views(session, krs=union, cycle=cycle, today=occ.local_date, blockers_since=since)
    by_id = {v.id: v for v in views}
    out = []
    for pid in subjects:
        theirs = tuple(by_id[kr.id] for kr in owned[pid])
        last = max((kr.last_checkin_at for kr in theirs if kr.last_checkin_at), default=None)
        out.append(
            PersonSection(
                subject_id=pid,
                subject_name=(known[pid].display_name if pid in known else "") or pid,
                team_name=team.name,
                krs=theirs,
                last_checkin_at=last,
                last_checkin_local=last.astimezone(zone).strftime("%a %d %b %H:%M") if last else "",
                missing=pid in missing,
                zone=zone.key,
            )
        )
    return sorted(out, key=lambda s: s.subject_name.casefold())
