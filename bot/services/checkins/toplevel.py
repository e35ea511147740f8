"""A check-in typed at the top of the DM instead of in the prompt's thread.

Registered as a DM route in bot.app (DM_ROUTES), after the thread routes; it takes only messages the chat
adapter marked top-level (DmMessage.top_level).

The person's *open prompt* is the prompt in this DM that is current and not yet fully answered:
- current: the newest prompt per owner in this DM (a delegate's DM can hold their own and one per owner they
  cover), sent within its team's cadence (7 days weekly, 14 biweekly) while a cycle is active;
- not fully answered: some KR it lists has no live check-in made after it was sent, by anyone (a co-owner's
  check-in answers the KR for every owner, as for nudges).
One prompt lists all of a person's KRs (numbered 1..N), so there is at most one per person per period; with
exactly one open prompt the message is read against it like a thread reply (same parser, same unsure
question, same "1: 42 / 2: done" numbering), the answer goes in that prompt's thread (the thread stays the
record), and a short pointer goes at the top level where the person typed. Editing the message amends
what it recorded. No open prompt, several, or text that does not read as a check-in: a short "how to check
in", at most once an hour per person (a send-ledger row per hour), so chatty people are not answered each time.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.okr.messages.checkins import CheckInHowTo, TopLevelAnswered
from bot.okr.replies import ParseError
from bot.okr.types import Cadence, SendKind
from bot.services.checkins.replies import _prompt_krs, take_reply
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import deliver
from bot.services.kernel.inbox import DmMessage
from storage import checkins, cycles, ledger, teams
from storage.models import SendLedger

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class CurrentPrompt:
    entry: SendLedger
    kr_ids: tuple[int, ...]
    missing: tuple[int, ...]  # KRs with no check-in since the prompt was sent; empty: fully answered


async def current_prompts(session, *, channel: str, now: datetime) -> list[CurrentPrompt]:
    """The current prompts in one DM, newest first (see the module docstring)."""
    if await cycles.active_cycle(session=session) is None:
        return []
    rows = await ledger.sent_in_channel(session=session, channel=channel, kind=SendKind.PROMPT, since=now - 2 * WEEK)
    out, owners = [], set()
    for row in rows:
        if row.recipient in owners:
            continue  # a newer prompt for this owner supersedes it
        owners.add(row.recipient)
        detail = json.loads(row.detail or "{}")
        team = await teams.get_team(session=session, team_id=detail["team"]) if detail.get("team") else None
        window = 2 * WEEK if team is not None and team.cadence == Cadence.BIWEEKLY else WEEK
        if row.sent_at is None or row.sent_at < now - window:
            continue
        kr_ids = tuple(detail.get("krs", []))
        answered = await checkins.checked_in_since(session=session, kr_ids=kr_ids, since=row.sent_at)
        out.append(CurrentPrompt(row, kr_ids, tuple(k for k in kr_ids if k not in answered)))
    return out


async def on_top_level(svc: Services, msg: DmMessage) -> bool:
    """Inbox route: a message typed at the top of the DM, read as a check-in for the open prompt."""
    if not msg.top_level:
        return False
    if not msg.text.strip():
        return True  # nothing to read (an edit that emptied it); nothing worth answering
    async with svc.db.transaction() as session:
        existing = await checkins.checkins_from_message(session=session, channel=msg.channel, ts=msg.ts)
        if existing and not msg.edited:
            return True  # already recorded: the inbox is redoing a message whose work a crash cut short
        current = await current_prompts(session, channel=msg.channel, now=svc.now())
        waiting = [p for p in current if p.missing]
        target = _answered_by(current, existing) if existing else (waiting[0] if len(waiting) == 1 else None)
        krs = await _prompt_krs(session, target.entry) if target else []
    if target is None:
        if not existing and not msg.edited:  # an edit is never answered with help: the person saw it once
            await _how_to(svc, msg, CheckInHowTo(len(waiting)))
        return True
    try:
        outcome = await take_reply(svc, msg, target.entry, krs, existing)
    except ParseError as exc:
        if not msg.edited:
            await _how_to(svc, msg, CheckInHowTo(1, tuple(exc.problems), exc.example))
        return True
    await svc.notifier.post(msg.channel, TopLevelAnswered(outcome))
    return True


def _answered_by(current: list[CurrentPrompt], existing) -> CurrentPrompt | None:
    """The current prompt an edited message's check-ins answered: the newest listing all of their KRs."""
    kr_ids = {row.kr_id for row in existing}
    return next((p for p in current if kr_ids <= set(p.kr_ids)), None)


async def _how_to(svc: Services, msg: DmMessage, message: CheckInHowTo) -> None:
    """Say how to check in, unless this person was already told within this UTC hour."""
    now = svc.now()
    async with svc.db.transaction() as session:
        row = await ledger.claim(
            session=session, recipient=msg.user_id, kind=SendKind.DM_HELP, period=f"{now:%Y-%m-%dT%H}", at=now
        )
    if row is None:
        return
    row_id = row.id
    await deliver(svc, ledger_id=row_id, at=now, send=lambda: svc.notifier.post(msg.channel, message, ledger_id=row_id))
