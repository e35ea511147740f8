"""What a recorded, edited or undone check-in changes elsewhere: marked in its own transaction, run later.

The effects (edit posted digests, refresh the Home tab) are a list wired by the composition root
(bot.wiring) into Services.after_checkin, so the check-in feature imports neither digests nor home.
They are coalesced (bot.services.kernel.effects_due): the check-in's transaction only marks their targets
stale; a runner refreshes each one a few seconds later, once however many check-ins marked it, best effort.
"""

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.kernel import effects_due
from bot.services.kernel.context import Services


async def after_checkins(session: AsyncSession, svc: Services, *, user_id: str, kr_ids: Iterable[int]) -> None:
    """In the check-in's transaction: mark what these check-ins on these KRs made stale, for the runner."""
    await effects_due.mark(session, svc, user_id=user_id, kr_ids=kr_ids)
