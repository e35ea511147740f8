"""Tick steps for the weekly check-in: refresh timezones daily, then send each KR owner's prompt once.

Exactly once (GUIDE §2.8): a prompt is CLAIMED by inserting its ledger row (owner, "prompt",
period) before anything is sent; a second tick, a repeated `okrbot tick --at`, or another process
hits the unique constraint and sends nothing. A send that fails for good marks the row 'failed';
a later tick re-claims it with a conditional UPDATE (only one process wins) and tries again.

The crash window: if the process dies after Slack accepted the message but before the row says
'sent', the row stays 'claimed'. We do NOT resend such a row automatically, because we cannot tell
"never reached Slack" from "reached Slack, bookkeeping lost", and a duplicate prompt is worse than a
missing one (the person can still `/okr checkin`). So that window is at-most-once: the tick reports
claims older than STALE_CLAIM as "stale" for an operator to look at (docs/checkins.md).
"""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.okr.cadence import Slot, due_now, parse_hhmm, safe_zone
from bot.okr.messages.checkin import CheckInPrompt, PromptItem
from bot.okr.replies import KRRef, build_example
from bot.okr.types import Cadence, SendKind
from bot.services.context import Services
from bot.services.okr_views import kr_views
from bot.services.ports import DeliveryFailed
from storage import cycles, ledger, people, schedule, teams
from storage.models import Cycle, KeyResult, Person, Team

BATCH = 50  # prompts claimed and sent per batch; the notifier's semaphore bounds requests in flight
STALE_CLAIM = timedelta(minutes=10)
MAX_ASKED = 20  # two blocks per KR keeps a prompt inside Slack's 50-block limit
DIRECTORY = "directory"


@dataclass(frozen=True)
class Plan:
    ledger_id: int
    recipient: str
    owner: str
    period: str
    message: CheckInPrompt


def slot_for(team: Team, cycle: Cycle) -> Slot:
    return Slot(team.checkin_day, parse_hhmm(team.checkin_time), Cadence(team.cadence), anchor=cycle.start)


def recipient_of(owner: Person, by_id: dict[str, Person], on) -> tuple[str | None, str]:
    """(who gets the owner's prompt on local date `on`, covering-for name); None while away without a delegate."""
    if owner.away_until is None or owner.away_until < on:
        return owner.id, ""
    if owner.delegate_id:
        return owner.delegate_id, owner.display_name or owner.id
    return None, ""


def zone_for(person: Person | None, team: Team):
    return safe_zone(person.tz if person else None, team.timezone)


def owners_of(rows: list[tuple[KeyResult, int]]) -> dict[str, tuple[list[KeyResult], int]]:
    """KRs per owner, and the team whose check-in slot the owner follows (the team of their first KR)."""
    out: dict[str, tuple[list[KeyResult], int]] = {}
    for kr, team_id in rows:
        out.setdefault(kr.owner_id, ([], team_id))[0].append(kr)
    return out


async def refresh_directory(svc: Services, at: datetime) -> list[str]:
    """Once a UTC day (a ledger row makes it once across processes): timezones and names from users.list."""
    async with svc.db.transaction() as session:
        row = await ledger.get_entry(session=session, recipient=DIRECTORY, kind="tz_refresh", period=str(at.date()))
        if row is None:
            row = await ledger.claim(
                session=session, recipient=DIRECTORY, kind="tz_refresh", period=str(at.date()), at=at
            )
        elif not await ledger.reclaim(session=session, ledger_id=row.id, from_status="failed", at=at):
            row = None
    if row is None:
        return []
    try:
        users = await svc.directory.list_users()
    except DeliveryFailed as exc:
        async with svc.db.transaction() as session:
            await ledger.finish(session=session, ledger_id=row.id, status="failed", at=at, error=exc.reason)
        return [f"timezone refresh failed ({exc.reason}); the next tick retries"]
    async with svc.db.transaction() as session:
        known = await people.people_by_ids(session=session, ids=[u.id for u in users])
        changed = await people.set_timezones(session=session, tzs={u.id: u.tz for u in users if u.id in known}, at=at)
        for u in users:
            if u.id in known and u.name and known[u.id].display_name != u.name:
                known[u.id].display_name = u.name
        await ledger.finish(session=session, ledger_id=row.id, status="sent", at=at)
    return [f"refreshed timezones of {len(known)} people from Slack ({changed} changed)"]


async def send_prompts(svc: Services, at: datetime) -> list[str]:
    """Claim the prompts due now one batch at a time, send each batch concurrently, record each outcome."""
    lines: list[str] = []
    after: str | None = ""
    while after is not None:
        # Claim a batch only when it is about to be sent: a crash then leaves at most one batch 'claimed'
        # (the at-most-once window), not every prompt of the tick that had not gone out yet.
        plans, claimed_lines, after = await _claim_due(svc, at, after=after)
        lines += claimed_lines
        lines += await asyncio.gather(*(_deliver(svc, plan, at) for plan in plans))
    return lines + await _stale(svc, at)


async def _claim_due(svc: Services, at: datetime, *, after: str) -> tuple[list[Plan], list[str], str | None]:
    """Claim up to BATCH prompts of owners (by id) after `after`; also say where the next batch starts."""
    plans: list[Plan] = []
    lines: list[str] = []
    async with svc.db.transaction() as session:
        cycle = await cycles.active_cycle(session=session)
        if cycle is None:
            return [], [], None
        by_owner = owners_of(await schedule.live_krs_with_team(session=session, cycle_id=cycle.id))
        pending = sorted(owner_id for owner_id in by_owner if owner_id > after)
        team_by_id = {t.id: t for t in await teams.list_teams(session=session)}
        folks = await people.people_by_ids(session=session, ids=pending)
        folks |= await people.people_by_ids(session=session, ids={p.delegate_id for p in folks.values()} - {None})
        for owner_id in pending:
            krs, team_id = by_owner[owner_id]
            step = _OwnerStep(session, svc, at, cycle, team_by_id[team_id], folks)
            plan, line = await step.run(folks[owner_id], krs)
            plans += [plan] if plan else []
            lines += [line] if line else []
            if len(plans) == BATCH:
                return plans, lines, owner_id
    return plans, lines, None


@dataclass
class _OwnerStep:
    session: object
    svc: Services
    at: datetime
    cycle: Cycle
    team: Team
    folks: dict[str, Person]

    async def run(self, owner: Person, krs: list[KeyResult]) -> tuple[Plan | None, str]:
        """Decide this owner's prompt for now: nothing, a logged skip, or a claimed send."""
        today = self.at.astimezone(zone_for(owner, self.team)).date()
        to, covering = recipient_of(owner, self.folks, today)
        zone = zone_for(self.folks.get(to or owner.id), self.team)
        late_limit = timedelta(hours=self.team.late_limit_hours)
        window = (self.cycle.start, self.cycle.end)
        occ, too_late = due_now(slot_for(self.team, self.cycle), zone, self.at, late_limit=late_limit, window=window)
        if occ is None or to is None:
            return None, ""
        entry = await ledger.get_entry(
            session=self.session, recipient=owner.id, kind=SendKind.PROMPT, period=occ.period
        )
        if entry is not None and entry.status != "failed":
            return None, ""
        if too_late:
            late = (self.at - occ.due_utc).total_seconds() / 3600
            why = f"{late:.1f}h late, over the {self.team.late_limit_hours}h limit"
            return None, await self._skip(entry, owner.id, occ, why)
        recent_since = self.at - timedelta(days=self.team.recent_checkin_days)
        due = [kr for kr in krs if not (kr.last_checkin_at and kr.last_checkin_at >= recent_since)][:MAX_ASKED]
        if not due:
            why = f"every KR was checked in within the last {self.team.recent_checkin_days} days"
            return None, await self._skip(entry, owner.id, occ, why)
        detail = json.dumps(
            {"krs": [kr.id for kr in due], "to": to, "for": owner.id if covering else None, "team": self.team.id}
        )
        row_id = await self._claim(entry, owner.id, occ, detail)
        if row_id is None:
            return None, ""
        message = await self._message(
            row_id, due, [kr for kr in krs if kr.id not in {d.id for d in due}], occ.local_date, covering
        )
        return Plan(row_id, to, owner.id, occ.period, message), ""

    async def _skip(self, entry, owner_id: str, occ, why: str) -> str:
        if entry is not None:
            await ledger.finish(session=self.session, ledger_id=entry.id, status="skipped", at=self.at, error=why)
        else:
            row = await ledger.claim(
                session=self.session,
                recipient=owner_id,
                kind=SendKind.PROMPT,
                period=occ.period,
                at=self.at,
                status="skipped",
                due_at=occ.due_utc,
                error=why,
            )
            if row is None:
                return ""
        return f"skipped prompt for {owner_id} ({occ.period}): {why}"

    async def _claim(self, entry, owner_id: str, occ, detail: str) -> int | None:
        if entry is not None:
            won = await ledger.reclaim(session=self.session, ledger_id=entry.id, from_status="failed", at=self.at)
            return entry.id if won else None
        row = await ledger.claim(
            session=self.session,
            recipient=owner_id,
            kind=SendKind.PROMPT,
            period=occ.period,
            at=self.at,
            due_at=occ.due_utc,
            detail=detail,
        )
        return row.id if row else None

    async def _message(self, row_id: int, due, recent, today, covering: str) -> CheckInPrompt:
        views = await kr_views(self.session, krs=due + recent, cycle=self.cycle, today=today)
        asked = tuple(PromptItem(i, v) for i, v in enumerate(views[: len(due)], start=1))
        refs = [KRRef(i.number, i.kr.title, i.kr.kind, i.kr.unit, i.kr.current, i.kr.confidence) for i in asked]
        return CheckInPrompt(row_id, asked, tuple(views[len(due) :]), covering, build_example(refs))


async def _deliver(svc: Services, plan: Plan, at: datetime) -> str:
    try:
        where = await svc.notifier.post(plan.recipient, plan.message)
    except DeliveryFailed as exc:
        async with svc.db.transaction() as session:
            await ledger.finish(session=session, ledger_id=plan.ledger_id, status="failed", at=at, error=exc.reason)
        return f"prompt for {plan.owner} ({plan.period}) failed: {exc.reason}; a later tick retries it"
    # Crash window: if we die right here, Slack has the message but the row still says 'claimed'.
    # That row is never resent automatically (at-most-once for this window); see the module docstring.
    async with svc.db.transaction() as session:
        await ledger.finish(
            session=session, ledger_id=plan.ledger_id, status="sent", at=at, channel=where.channel, ts=where.ts
        )
        person = await people.get_person(session=session, person_id=plan.recipient)
        if person is not None and person.dm_channel != where.channel:
            person.dm_channel = where.channel
    to = f" to {plan.recipient} (covering)" if plan.recipient != plan.owner else ""
    return f"sent prompt for {plan.owner}{to} ({plan.period}, {len(plan.message.items)} KRs)"


async def _stale(svc: Services, at: datetime) -> list[str]:
    async with svc.db.transaction() as session:
        rows = await ledger.stale_claims(
            session=session, older_than=at - STALE_CLAIM, newer_than=at - timedelta(days=1)
        )
    return [
        f"STALE {r.kind} for {r.recipient} ({r.period}) claimed at {r.claimed_at:%H:%M}Z and never confirmed: "
        "not resent (it may have reached Slack); check the DM and mark it by hand"
        for r in rows
    ]
