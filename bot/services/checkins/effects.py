"""What a recorded, edited or undone check-in changes elsewhere, after its transaction commits."""

import logging
from collections.abc import Iterable

from bot.services import home
from bot.services.digests import team as digests
from bot.services.kernel.context import Services
from bot.services.kernel.ports import DeliveryFailed

log = logging.getLogger(__name__)


async def after_checkins(svc: Services, *, user_id: str, kr_ids: Iterable[int]) -> None:
    """Edit this period's posted digests in place and refresh the person's Home tab.

    Both are best effort: the check-in is stored and confirmed already, and the next
    check-in, digest or Home visit shows the same state, so a Slack failure here is logged, not raised.
    """
    for kr_id in sorted(set(kr_ids)):
        await digests.refresh_posted_digests(svc, kr_id=kr_id)
    try:
        await home.refresh_home(svc, user_id=user_id)
    except DeliveryFailed as exc:
        log.warning("could not refresh a Home tab: %s", exc.reason)
