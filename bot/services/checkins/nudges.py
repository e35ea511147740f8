"""One nudge per prompt, in its thread, nudge_hours after it was sent, listing only what is still missing.

"Answered" means every KR of the prompt has a live check-in made after the prompt was sent; then no
nudge ever goes (the nudge row is recorded 'skipped'). Some answered: the nudge lists the others.
Remind me tomorrow stores a 'snoozed' nudge row whose due_at is ~24h after the click; the tick then
sends it at that time instead (once: a second click is refused).
"""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.okr.messages import Delivery, Notice
from bot.okr.messages.checkins import CheckInNudge, PromptItem
from bot.okr.types import SendKind
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import deliver
from bot.services.kernel.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.kernel.lookups import name_of
from bot.services.kernel.ports import DeliveryFailed
from bot.services.kernel.read_models import kr_views
from bot.services.kernel.tick import basics
from storage import checkins, cycles, ledger, ledger_bulk, okrs, people, tick_reads
from storage.models import SendLedger, Team

SNOOZE = timedelta(hours=24)
LOOKBACK = timedelta(days=8)  # older prompts are never nudged


@dataclass(frozen=True)
class NudgePlan:
    ledger_id: int
    where: Delivery
    message: CheckInNudge
    owner: str


async def send_nudges(svc: Services, at: datetime) -> list[str]:
    """Send the nudges that are due now (each claimed in the ledger first, like prompts)."""
    plans, lines = await _claim(svc, at)
    results = await asyncio.gather(*(_deliver(svc, plan, at) for plan in plans))
    return lines + list(results)


async def _claim(svc: Services, at: datetime) -> tuple[list[NudgePlan], list[str]]:
    plans, lines = [], []
    prompts, team_by_id = await _candidates(svc, at)
    if not prompts:  # the usual tick: one small read from an index, no write transaction
        return plans, lines
    async with svc.db.transaction() as session:
        cycle = await cycles.active_cycle(session=session)
        # Only the prompts whose nudge may be due, not every prompt of the last 8 days (10,000s in a big org).
        nudges = await ledger_bulk.rows_for_periods(
            session=session, kind=SendKind.NUDGE, periods={p.period for p in prompts}
        )
        newest = await tick_reads.newest_sent(
            session=session, kind=SendKind.PROMPT, recipients={p.recipient for p in prompts}, since=at - LOOKBACK
        )
        for prompt in prompts:
            detail = json.loads(prompt.detail or "{}")
            team = team_by_id.get(detail.get("team") or 0)
            if cycle is None or team is None or team.nudge_hours <= 0 or prompt.sent_at is None:
                continue
            row = nudges.get((prompt.recipient, prompt.period))
            if row is not None and row.status not in ("snoozed", "failed"):
                continue
            due = (
                row.due_at
                if row is not None and row.status == "snoozed"
                else prompt.sent_at + timedelta(hours=team.nudge_hours)
            )
            if at < due or await _away(session, prompt.recipient, at):
                continue
            why = _stale(prompt, newest, due, team.late_limit_hours, at)
            if why:
                lines += await _skip_stale(session, prompt, row, why, at)
                continue
            answered = await checkins.checked_in_since(session=session, kr_ids=detail["krs"], since=prompt.sent_at)
            missing = [kr_id for kr_id in detail["krs"] if kr_id not in answered]
            if not missing:
                await _skip(session, prompt, row, "answered", at)
                continue
            row_id = await _take(session, prompt, row, at)
            if row_id is None:
                continue
            krs = [await okrs.get_key_result(session=session, kr_id=k) for k in missing]
            views = await kr_views(session, krs=krs, cycle=cycle, today=at.date())
            numbers = {kr_id: i for i, kr_id in enumerate(detail["krs"], start=1)}
            items = tuple(PromptItem(numbers[v.id], v) for v in views)
            covering = await _name(session, detail.get("for"))
            plans.append(
                NudgePlan(
                    row_id,
                    Delivery(prompt.channel, prompt.ts),
                    CheckInNudge(prompt.id, items, covering),
                    prompt.recipient,
                )
            )
    return plans, lines


async def _candidates(svc: Services, at: datetime) -> list[SendLedger]:
    """From the team settings and one ledger read: the sent prompts whose nudge may be due now (its delay has
    passed, or its snooze ended) and no nudge is recorded for; nothing else is loaded."""
    team_by_id = {t.id: t for t in (await basics(svc)).teams}
    delays = [t.nudge_hours for t in team_by_id.values() if t.nudge_hours > 0]
    if not delays:
        return [], team_by_id
    # A prompt's period is its local date: it was sent within a day of it, or up to its lateness limit after.
    oldest = (at - LOOKBACK).date() - timedelta(days=2 + max(t.late_limit_hours for t in team_by_id.values()) // 24)
    periods = [(oldest + timedelta(days=n)).isoformat() for n in range((at.date() - oldest).days + 2)]
    async with svc.db.read() as session:
        unnudged, snoozed = await tick_reads.unnudged_periods(session=session, periods=periods, at=at)
        sent_by = at - timedelta(hours=min(delays))
        prompts = (
            await tick_reads.nudge_candidates(
                session=session,
                since=at - LOOKBACK,
                sent_by=sent_by,
                at=at,
                periods=unnudged | snoozed,
                snoozed=snoozed,
            )
            if unnudged or snoozed
            else []
        )
    return [p for p, snoozed in prompts if _may_be_due(p, snoozed, team_by_id, at)], team_by_id


def _may_be_due(prompt: SendLedger, snoozed: bool, team_by_id: dict[int, Team], at: datetime) -> bool:
    """The prompt's own team nudges, and its delay has passed (a snooze that ended is due by its own time)."""
    team = team_by_id.get(json.loads(prompt.detail or "{}").get("team") or 0)
    if team is None or team.nudge_hours <= 0 or prompt.sent_at is None:
        return False
    return snoozed or prompt.sent_at + timedelta(hours=team.nudge_hours) <= at


def _stale(prompt: SendLedger, newest: dict[str, datetime], due: datetime, late_hours: int, at: datetime) -> str:
    """Why a due nudge is no longer worth sending (after downtime): a newer prompt went out, or it is late."""
    if newest.get(prompt.recipient, prompt.sent_at) > prompt.sent_at:
        return "a newer prompt was sent"
    if at - due > timedelta(hours=late_hours):
        return f"{(at - due).total_seconds() / 3600:.1f}h late, over the {late_hours}h limit"
    return ""


async def _skip_stale(session, prompt: SendLedger, row: SendLedger | None, why: str, at: datetime) -> list[str]:
    if not await _skip(session, prompt, row, why, at):
        return []
    return [f"skipped nudge for {prompt.recipient} ({prompt.period}): {why}"]


async def _skip(session, prompt: SendLedger, row: SendLedger | None, why: str, at: datetime) -> bool:
    """Record this prompt's nudge as skipped (why: answered, stale); False if another tick took it first."""
    if row is not None:
        if not await ledger.reclaim(session=session, ledger_id=row.id, from_status=row.status, at=at):
            return False
        await ledger.finish(session=session, ledger_id=row.id, status="skipped", at=at, error=why)
        return True
    kept = await ledger.claim(
        session=session,
        recipient=prompt.recipient,
        kind=SendKind.NUDGE,
        period=prompt.period,
        at=at,
        status="skipped",
        error=why,
    )
    return kept is not None


async def _away(session, owner_id: str, at: datetime) -> bool:
    owner = await people.get_person(session=session, person_id=owner_id)
    return bool(owner and owner.away_until and owner.away_until >= at.date() and not owner.delegate_id)


async def _name(session, person_id: str | None) -> str:
    if not person_id:
        return ""
    person = await people.get_person(session=session, person_id=person_id)
    return name_of(person, person_id)


async def _take(session, prompt: SendLedger, row: SendLedger | None, at: datetime) -> int | None:
    if row is not None:
        return (
            row.id if await ledger.reclaim(session=session, ledger_id=row.id, from_status=row.status, at=at) else None
        )
    new = await ledger.claim(
        session=session, recipient=prompt.recipient, kind=SendKind.NUDGE, period=prompt.period, at=at
    )
    return new.id if new else None


async def _deliver(svc: Services, plan: NudgePlan, at: datetime) -> str:
    send = partial(
        svc.notifier.post, plan.where.channel, plan.message, thread_ts=plan.where.ts, ledger_id=plan.ledger_id
    )
    outcome = await deliver(svc, ledger_id=plan.ledger_id, at=at, send=send)
    if isinstance(outcome, DeliveryFailed):
        return f"nudge for {plan.owner} failed: {outcome.reason}; a later tick retries it"
    return f"nudged {plan.owner} about {len(plan.message.missing)} KRs"


async def snooze(svc: Services, *, user_id: str, prompt_id: int) -> Notice:
    """Remind me tomorrow: the prompt's one nudge goes ~24h from now instead; only once."""
    at = svc.now()
    async with svc.db.transaction() as session:
        prompt = await ledger.get_by_id(session=session, ledger_id=prompt_id)
        if prompt is None or prompt.kind != SendKind.PROMPT:
            raise NotFound("That check-in prompt no longer exists.")
        detail = json.loads(prompt.detail or "{}")
        if user_id not in (prompt.recipient, detail.get("to")):
            raise PermissionDenied("Only the person this prompt was sent to can snooze it.")
        row = await ledger.get_entry(
            session=session, recipient=prompt.recipient, kind=SendKind.NUDGE, period=prompt.period
        )
        if row is not None:
            raise InvalidInput(_already(row.status))
        claimed = await ledger.claim(
            session=session,
            recipient=prompt.recipient,
            kind=SendKind.NUDGE,
            period=prompt.period,
            at=at,
            status="snoozed",
            due_at=at + SNOOZE,
        )
        if claimed is None:
            raise InvalidInput("I'm reminding you right now, so there is nothing to snooze.")
    return Notice("OK, I'll remind you about this check-in tomorrow.", ":zzz:")


def _already(status: str) -> str:
    return {
        "snoozed": "You already snoozed this check-in once.",
        "skipped": "You've already answered this check-in, so no reminder will come.",
    }.get(status, "I've already reminded you about this check-in.")
