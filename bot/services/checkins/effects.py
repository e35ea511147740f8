"""What a recorded, edited or undone check-in changes elsewhere, after its transaction commits.

The effects (edit posted digests, refresh the Home tab) are a list wired by the composition root
(bot.app) into Services.after_checkin, so the check-in feature imports neither digests nor home.
Each effect is best effort: the check-in is stored and confirmed already.
"""

from collections.abc import Iterable

from bot.services.kernel.context import Services


async def after_checkins(svc: Services, *, user_id: str, kr_ids: Iterable[int]) -> None:
    """Run every wired after-check-in effect for this person and these KRs, in order."""
    kr_ids = tuple(sorted(set(kr_ids)))
    for effect in svc.after_checkin:
        await effect(svc, user_id=user_id, kr_ids=kr_ids)
