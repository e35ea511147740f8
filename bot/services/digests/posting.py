"""Posting the tick's team digests: concurrently, then recorded in the ledger in one transaction; and the
notice to a team's managers when the bot is not in the team's channel."""

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from bot.okr.messages import Delivery, Notice
from bot.okr.messages.digests import DigestMessage
from bot.services.digests.team import build_digest
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import as_failure, deliver, ledger_error, status_of
from bot.services.kernel.ports import DeliveryFailed
from bot.services.kernel.tick import isolated
from storage import ledger, ledger_bulk, teams
from storage.models import Cycle, Team

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostedDigest:
    team: Team
    period: str
    ledger_id: int
    outcome: Delivery | DeliveryFailed


async def post_team_digest(
    svc: Services,
    team: Team,
    cycle: Cycle,
    ledger_id: int,
    due_at: datetime,
    at: datetime,
    message: DigestMessage | None = None,
) -> Delivery | DeliveryFailed:
    """Post a claimed digest (`message` when the tick built it in bulk, else built here); never raises: the
    outcome is recorded by record_team_digests."""
    try:
        if message is None:
            async with svc.db.read() as session:
                message = await build_digest(session, team=team, cycle=cycle, due_at=due_at, sent_at=None, now=at)
        return await svc.notifier.post(team.channel, message, ledger_id=ledger_id)
    except Exception as exc:  # noqa: BLE001 - every outcome is recorded, none escapes the tick
        return as_failure(exc)


async def record_team_digests(svc: Services, posted: list[PostedDigest], at: datetime) -> list[str]:
    """Record the tick's team digests in the ledger in one transaction (sent where, or failed why), as prompts
    are; then tell managers whose bot is not in the channel. Crash window: until this commits, Slack has these
    messages but their rows still say 'claimed'; kernel.reconcile finds them by the ledger id they carry."""
    outcomes = [_outcome(p) for p in posted]
    try:
        async with svc.db.transaction() as session:
            await ledger_bulk.finish_many(session=session, outcomes=outcomes, at=at)
    except Exception as exc:  # noqa: BLE001 - Slack has the sent ones; reconcile finds them by their metadata
        log.exception("could not record the digests sent (%s)", type(exc).__name__)
        return [f"{len(posted)} digests sent, not recorded ({type(exc).__name__}); reconcile finds them"]
    lines = []
    for p in posted:
        if isinstance(p.outcome, DeliveryFailed):
            if p.outcome.reason.endswith(NOT_IN_CHANNEL):
                lines += await isolated(
                    f"invite notice for {p.team.name}", _tell_managers_to_invite(svc, p.team, p.period, at)
                )
            lines.append(f"digest for {p.team.name} ({p.period}) failed: {p.outcome.reason}")
        else:
            lines.append(f"digest for {p.team.name} ({p.period}) posted to {p.team.channel}")
    return lines


def _outcome(p: PostedDigest) -> dict:
    if isinstance(p.outcome, DeliveryFailed):
        return {"ledger_id": p.ledger_id, "status": status_of(p.outcome), "error": ledger_error(p.outcome.reason)}
    return {"ledger_id": p.ledger_id, "status": "sent", "channel": p.outcome.channel, "ts": p.outcome.ts}


# The platform's answers for "the bot cannot post in that channel" (it was never invited, or it was removed).
# Teams' connector: 403 BotNotInConversationRoster (the app is not in that team), 404 ConversationNotFound.
NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found", "BotNotInConversationRoster", "ConversationNotFound")
# How to let okrbot into the channel, by the team's platform (the OKR file's `platform:`).
HOW_TO_INVITE = {
    "slack": "I'm not a member of its channel. Open the channel and type /invite @okrbot (or add the app from the "
    "channel's settings)",
    "teams": "okrbot is not in that team in Teams. Add the app to the team: in Teams select Apps, find okrbot, "
    "choose Add to a team and pick the team (or, in the team, ... > Manage team > Apps)",
}
INVITE_NOTICE = "invite_notice"  # ledger kind: one notice per manager, team and period


async def _tell_managers_to_invite(svc: Services, team: Team, period: str, at: datetime) -> list[str]:
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
    how = HOW_TO_INVITE.get(team.platform, HOW_TO_INVITE["slack"])
    notice = Notice(
        f"I couldn't post the {team.name} digest: {how}; the next digest will post there.", emoji=":warning:"
    )
    for manager, ledger_id in claimed:
        await deliver(svc, ledger_id=ledger_id, at=at, send=partial(svc.notifier.post, manager, notice))
    return []
