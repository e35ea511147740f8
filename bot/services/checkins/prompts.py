"""Tick steps for the check-in: refresh timezones daily, then send each KR owner's prompt once per period.

Exactly once (docs/reliability.md): a prompt is CLAIMED by inserting its ledger row (owner, "prompt",
period) before anything is sent; a second tick, a repeated `okrbot tick --at`, or another process
hits the unique constraint and sends nothing. A send that fails for good marks the row 'failed';
a later tick re-claims it with a conditional UPDATE (only one process wins) and tries again.

The crash window: if the process dies after Slack accepted the message but before the row says
'sent', the row stays 'claimed' (and a timed-out send is recorded 'unknown'). Blindly resending could
duplicate, so every prompt carries its ledger id as Slack message metadata and kernel.reconcile looks for
it in the recipient's recent history: found, the row is recorded sent with its ts (thread replies work);
not found, the row is marked failed and this step sends it again. Exactly once.
"""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.okr.cadence import Occurrence, due_now, parse_hhmm, safe_zone
from bot.okr.messages import Delivery
from bot.okr.messages.checkins import CheckInPrompt, PromptItem
from bot.okr.replies import KRRef, build_example
from bot.okr.types import SendKind
from bot.services.checkins.prompt_due import prompt_scope, slot_for
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import as_failure, ledger_error, status_of
from bot.services.kernel.ports import DeliveryFailed
from bot.services.kernel.read_models import kr_views
from bot.services.kernel.tick import forget_basics, remember_settled, settled
from storage import cycles, ledger, ledger_bulk, people, prompt_window, schedule, teams, tick_reads
from storage.models import Cycle, KeyResult, Person, Team

BATCH = 50  # prompts in flight at once; the notifier's semaphore and pacer bound the requests themselves
CHUNK = BATCH // 2  # prompts claimed per transaction; two chunks in flight (see send_prompts)
RECORD_EVERY = 50  # sent prompts recorded per ledger transaction (one commit per prompt serialised on SQLite)
VIEW_CHUNK = 500  # prompts whose KR views are read together, in one read transaction (a multiple of CHUNK)
MAX_ASKED = 20  # two blocks per KR keeps a prompt inside Slack's 50-block limit
DIRECTORY = "directory"


@dataclass(frozen=True)
class Plan:
    ledger_id: int
    recipient: str
    owner: str
    period: str
    message: CheckInPrompt


def recipient_of(owner: Person, by_id: dict[str, Person], on) -> tuple[str | None, str]:
    """(who gets the owner's prompt on local date `on`, covering-for name); None while away without a delegate."""
    if owner.away_until is None or owner.away_until < on:
        return owner.id, ""
    if owner.delegate_id:
        return owner.delegate_id, owner.display_name or owner.id
    return None, ""


def zone_for(person: Person | None, team: Team):
    return safe_zone(person.tz if person else None, team.timezone)


def slot_order(team: Team) -> tuple:
    """Earliest in the week first: a person with KRs in several teams is asked once, at the earliest of their slots."""
    return team.checkin_day, parse_hhmm(team.checkin_time), team.id or 0


def owners_of(
    rows: list[tuple[KeyResult, int]], co_owners: dict[int, list[str]], team_by_id: dict[int, Team]
) -> dict[str, tuple[list[KeyResult], int]]:
    """KRs per person asked (owner or co-owner), and the team whose check-in slot that person follows: of the
    teams their KRs belong to, the one with the earliest check-in day and time (docs/checkins.md)."""
    krs_of: dict[str, list[KeyResult]] = {}
    teams_of: dict[str, set[int]] = {}
    for kr, team_id in rows:
        for person_id in dict.fromkeys([kr.owner_id, *co_owners.get(kr.id, [])]):
            krs_of.setdefault(person_id, []).append(kr)
            teams_of.setdefault(person_id, set()).add(team_id)
    return {pid: (krs, min(teams_of[pid], key=lambda t: slot_order(team_by_id[t]))) for pid, krs in krs_of.items()}


async def asked_people(
    session, cycle_id: int, team_by_id: dict[int, Team], who: frozenset[str] | None = None
) -> dict[str, tuple[list[KeyResult], int]]:
    """`owners_of` over the cycle's live KRs (only those of `who`, when named): two queries whatever the size."""
    if who is None:
        rows = await schedule.live_krs_with_team(session=session, cycle_id=cycle_id)
        co_owners = await schedule.co_owners_in_cycle(session=session, cycle_id=cycle_id)
        return owners_of(rows, co_owners, team_by_id)
    rows, co_owners = await prompt_window.krs_of(session=session, cycle_id=cycle_id, people=who)
    return {pid: v for pid, v in owners_of(rows, co_owners, team_by_id).items() if pid in who}


async def refresh_directory(svc: Services, at: datetime) -> list[str]:
    """Once a UTC day (a ledger row makes it once across processes): timezones and names from users.list."""
    today = (DIRECTORY, "tz_refresh", str(at.date()))
    if settled(svc, today):  # the usual tick: today's refresh was seen done, and a sent row stays sent
        return []
    async with svc.db.read() as session:
        row = await ledger.get_entry(session=session, recipient=DIRECTORY, kind="tz_refresh", period=str(at.date()))
    if row is not None and row.status == "sent":
        remember_settled(svc, today)
    if row is not None and row.status != "failed":
        return []
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
        forget_basics()  # the zones in use may have changed
        for u in users:
            if u.id in known and u.name and known[u.id].display_name != u.name:
                known[u.id].display_name = u.name
        await ledger.finish(session=session, ledger_id=row.id, status="sent", at=at)
    remember_settled(svc, today)
    return [f"refreshed timezones of {len(known)} people from Slack ({changed} changed)"]


async def send_prompts(svc: Services, at: datetime) -> list[str]:
    """Find every prompt due now in bulk, then claim, send and record them half a batch at a time, two halves
    in flight: the next half is claimed and starts queueing at the pacer while the previous one is still going
    out, so the pacer never idles between batches (one batch after another left a gap of the last call's
    round trip plus the next claim every 50 prompts: 4-7 % of a rate-limited fan-out)."""
    scope = await prompt_scope(svc, at)
    if scope is None:  # the usual tick: nothing can be due, and nothing was loaded to find that out
        return []
    closing = scope.closing
    cycle, asks, lines, folks = await _due_asks(svc, at, scope.who)
    sending: asyncio.Task | None = None
    views: dict = {}
    try:
        for start in range(0, len(asks), CHUNK):
            if start % VIEW_CHUNK == 0:  # KR views read in bulk, outside the write transaction that claims
                views = await _views(svc, cycle, asks[start : start + VIEW_CHUNK], folks)
            # Claim only what is about to be sent: a crash then leaves at most BATCH (two halves) 'claimed'
            # (the at-most-once window), not every prompt of the tick that had not gone out yet.
            chunk = asks[start : start + CHUNK]
            async with svc.db.transaction() as session:
                won = await _claim(session, chunk, at)
            plans = _plans(views, [a for a in chunk if (a[0].owner.id, a[0].occ.period) in won], won)
            previous, sending = sending, asyncio.create_task(_deliver_all(svc, plans, at))
            lines += await previous if previous is not None else []
        lines += await sending if sending is not None else []
    except BaseException as exc:
        if sending is not None and not sending.done():
            if isinstance(exc, Exception):  # e.g. the next claim failed: let the half already sending be recorded
                await asyncio.wait([sending])
            else:  # cancelled: its rows stay 'claimed' and reconcile settles them, as after a crash
                sending.cancel()
        raise
    if closing:  # every prompt of these periods is now sent, skipped or held: later ticks need not look
        async with svc.db.transaction() as session:
            await ledger_bulk.claim_many(session=session, rows=tick_reads.closed_rows(SendKind.PROMPT, closing), at=at)
    return lines


@dataclass(frozen=True)
class _Due:
    """An owner whose latest prompt occurrence has come, before the ledger is consulted."""

    owner: Person
    to: str
    covering: str
    occ: Occurrence
    too_late: bool
    krs: list[KeyResult]
    team: Team


async def _due_asks(
    svc: Services, at: datetime, who: frozenset[str] | None
) -> tuple[Cycle | None, list, list[str], dict[str, Person]]:
    """A fixed number of queries whatever the number of owners: bulk reads (of `who` only, when named) and one
    ledger read; skips recorded. Also returns the people it loaded (every KR owner among them), so the views need
    not read them again."""
    async with svc.db.transaction() as session:
        cycle = await cycles.active_cycle(session=session)
        if cycle is None:
            return None, [], [], {}
        team_by_id = {t.id: t for t in await teams.list_teams(session=session)}
        by_owner = await asked_people(session, cycle.id, team_by_id, who)
        folks = await people.people_by_ids(session=session, ids=by_owner.keys())
        folks |= await people.people_by_ids(session=session, ids={p.delegate_id for p in folks.values()} - {None})
        due = [
            d
            for owner_id, (krs, team_id) in by_owner.items()
            if (d := _due_now(folks[owner_id], krs, team_by_id[team_id], cycle, folks, at))
        ]
        held = await ledger_bulk.entries_for_periods(
            session=session, kind=SendKind.PROMPT, periods={d.occ.period for d in due}
        )
        asks, lines = [], []
        for d in due:
            entry = held.get((d.owner.id, d.occ.period))
            if entry is not None and entry[1] != "failed":
                continue
            recent_since = at - timedelta(days=d.team.recent_checkin_days)
            asked = [kr for kr in d.krs if not (kr.last_checkin_at and kr.last_checkin_at >= recent_since)]
            why = _skip_reason(d, asked[:MAX_ASKED], at)
            if why:
                lines += await _skip(session, d, entry, why, at)
            else:
                asks.append((d, entry, asked[:MAX_ASKED]))
    return cycle, asks, lines, folks


def _due_now(owner: Person, krs: list[KeyResult], team: Team, cycle: Cycle, folks, at: datetime) -> _Due | None:
    """The owner's occurrence due now and who receives it, or None (not due, or away without a delegate)."""
    today = at.astimezone(zone_for(owner, team)).date()
    to, covering = recipient_of(owner, folks, today)
    zone = zone_for(folks.get(to or owner.id), team)
    late_limit = timedelta(hours=team.late_limit_hours)
    occ, too_late = due_now(slot_for(team, cycle), zone, at, late_limit=late_limit, window=(cycle.start, cycle.end))
    if occ is None or to is None:
        return None
    return _Due(owner, to, covering, occ, too_late, krs, team)


def _skip_reason(d: _Due, asked: list[KeyResult], at: datetime) -> str:
    if d.too_late:
        late = (at - d.occ.due_utc).total_seconds() / 3600
        return f"{late:.1f}h late, over the {d.team.late_limit_hours}h limit"
    if not asked:
        return f"every KR was checked in within the last {d.team.recent_checkin_days} days"
    return ""


async def _skip(session, d: _Due, entry, why: str, at: datetime) -> list[str]:
    if entry is not None:
        await ledger.finish(session=session, ledger_id=entry[0], status="skipped", at=at, error=why)
    else:
        row = {"recipient": d.owner.id, "kind": SendKind.PROMPT, "period": d.occ.period, "status": "skipped"}
        won = await ledger_bulk.claim_many(
            session=session, rows=[{**row, "due_at": d.occ.due_utc, "error": why}], at=at
        )
        if not won:
            return []
    return [f"skipped prompt for {d.owner.id} ({d.occ.period}): {why}"]


async def _claim(session, asks: list, at: datetime) -> dict[tuple[str, str], int]:
    """Claim the new rows in bulk and re-claim failed ones one by one; returns the ledger ids we won."""
    won: dict[tuple[str, str], int] = {}
    rows = []
    for d, entry, asked in asks:
        if entry is not None:
            if await ledger.reclaim(session=session, ledger_id=entry[0], from_status="failed", at=at):
                won[(d.owner.id, d.occ.period)] = entry[0]
            continue
        detail = {"krs": [kr.id for kr in asked], "to": d.to, "for": d.owner.id if d.covering else None}
        rows.append(
            {
                "recipient": d.owner.id,
                "kind": SendKind.PROMPT,
                "period": d.occ.period,
                "due_at": d.occ.due_utc,
                "detail": json.dumps({**detail, "team": d.team.id}),
            }
        )
    won |= await ledger_bulk.claim_many(session=session, rows=rows, at=at)
    return won


async def _views(svc: Services, cycle: Cycle, asks: list, folks: dict[str, Person]) -> dict:
    """{(local date, KR id): view} for the asks' KRs, one batch per local date (expected progress depends on
    it), in one read transaction: owner names come from `folks`, so this is the latest check-ins' texts."""
    by_date: dict = {}
    for d, _entry, _asked in asks:
        by_date.setdefault(d.occ.local_date, {}).update((kr.id, kr) for kr in d.krs)
    views: dict = {}
    async with svc.db.read() as session:
        for day, krs in by_date.items():
            for v in await kr_views(session, krs=list(krs.values()), cycle=cycle, today=day, owners=folks):
                views[(day, v.id)] = v
    return views


def _plans(views: dict, asks: list, won: dict[tuple[str, str], int]) -> list[Plan]:
    """Build every claimed prompt from the views already read."""
    plans = []
    for d, _entry, asked in asks:
        day, row_id = d.occ.local_date, won[(d.owner.id, d.occ.period)]
        asked_ids = {kr.id for kr in asked}
        recent = [views[(day, kr.id)] for kr in d.krs if kr.id not in asked_ids]
        message = _message(row_id, [views[(day, kr.id)] for kr in asked], recent, d.covering, d.team.cadence)
        plans.append(Plan(row_id, d.to, d.owner.id, d.occ.period, message))
    return plans


def _message(row_id: int, asked_views, recent, covering: str, every: str) -> CheckInPrompt:
    asked = tuple(PromptItem(i, v) for i, v in enumerate(asked_views, start=1))
    refs = [KRRef(i.number, i.kr.title, i.kr.kind, i.kr.unit, i.kr.current, i.kr.confidence) for i in asked]
    return CheckInPrompt(row_id, asked, tuple(recent), covering, build_example(refs), cadence=every)


async def _deliver_all(svc: Services, plans: list[Plan], at: datetime) -> list[str]:
    """Send with at most BATCH in flight (a sliding window, so one slow send never stalls a whole batch);
    outcomes are recorded RECORD_EVERY at a time in one transaction each."""
    gate = asyncio.Semaphore(BATCH)
    done: list[tuple[Plan, Delivery | DeliveryFailed]] = []
    lines: list[str] = []
    recording = asyncio.Lock()

    async def record() -> None:
        async with recording:
            batch, done[:] = list(done), []
            lines.extend(await _record(svc, batch, at) if batch else [])

    async def one(plan: Plan) -> None:
        async with gate:
            try:
                outcome: Delivery | DeliveryFailed = await svc.notifier.post(
                    plan.recipient, plan.message, ledger_id=plan.ledger_id
                )
            except Exception as exc:  # noqa: BLE001 - every outcome is recorded; none escapes the fan-out
                outcome = as_failure(exc)
        done.append((plan, outcome))
        if len(done) >= RECORD_EVERY:
            await record()

    await asyncio.gather(*(one(plan) for plan in plans))
    await record()
    return lines


async def _record(svc: Services, batch: list[tuple[Plan, Delivery | DeliveryFailed]], at: datetime) -> list[str]:
    # Crash window: until this commits, Slack has these messages but their rows still say 'claimed';
    # kernel.reconcile finds them by the ledger id they carry (see the module docstring).
    outcomes, lines = [], []
    for plan, out in batch:
        if isinstance(out, DeliveryFailed):
            status = status_of(out)
            outcomes.append({"ledger_id": plan.ledger_id, "status": status, "error": ledger_error(out.reason)})
            then = "reconciles it with Slack" if status == "unknown" else "sends it" if out.later else "retries it"
            then = "it is not retried" if status == "skipped" else f"a later tick {then}"
            lines.append(f"prompt for {plan.owner} ({plan.period}) failed: {out.reason}; {then}")
        else:
            outcomes.append({"ledger_id": plan.ledger_id, "status": "sent", "channel": out.channel, "ts": out.ts})
            to = f" to {plan.recipient} (covering)" if plan.recipient != plan.owner else ""
            lines.append(f"sent prompt for {plan.owner}{to} ({plan.period}, {len(plan.message.items)} KRs)")
    async with svc.db.transaction() as session:
        await ledger_bulk.finish_many(session=session, outcomes=outcomes, at=at)
        dms = {plan.recipient: out.channel for plan, out in batch if isinstance(out, Delivery)}
        await people.set_dm_channels(session=session, channels=dms)
    return lines
