"""Posted digests after late check-ins: which team digests a check-in makes stale, and editing one in place.

An after-check-in effect (wired in bot.wiring, coalesced by kernel.effects_due): the check-in's transaction
marks the teams whose digests show its KRs (the objective's team and the KR's contributing teams); a few
seconds later each team's posted digest of this period is rebuilt once, however many check-ins came in.
"""

import dataclasses
import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr import cadence
from bot.okr.messages import Delivery
from bot.okr.types import SendKind
from bot.services.digests.team import build_digest, team_recipient
from bot.services.kernel.context import Services
from bot.services.kernel.ports import DeliveryFailed
from storage import cycles, ledger, okrs, teams

log = logging.getLogger(__name__)


async def stale_digests(session: AsyncSession, *, user_id: str, kr_ids: tuple[int, ...], now: datetime) -> list[str]:
    """The ids of the teams whose digests show these KRs (one query, in the check-in's transaction)."""
    return [str(team_id) for team_id in sorted(await okrs.teams_showing(session=session, kr_ids=kr_ids))]


async def refresh_team_digest(svc: Services, team_id: str) -> None:
    """Edit the team's posted digest of this cycle in place with the live values; best effort."""
    now = svc.now()
    async with svc.db.read() as session:
        team = await teams.get_team(session=session, team_id=int(team_id))
        cycle = await cycles.active_cycle(session=session)
        if team is None or not team.channel or cycle is None:
            return
        row = await ledger.latest_sent(session=session, recipient=team_recipient(team.id), kind=SendKind.DIGEST)
        if row is None or row.due_at is None or not cycle.start <= row.due_at.date() <= cycle.end:
            return
        message = await build_digest(session, team=team, cycle=cycle, due_at=row.due_at, sent_at=row.sent_at, now=now)
    local = now.astimezone(cadence.safe_zone(team.timezone)).strftime("%H:%M")
    try:
        await svc.notifier.update(Delivery(row.channel, row.ts), dataclasses.replace(message, updated_at=local))
    except DeliveryFailed as exc:  # the next check-in or the next digest will show it
        log.warning("could not update a posted digest: %s", exc.reason)
