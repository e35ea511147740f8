"""End-of-cycle scoring: in the cycle's final week each owner is asked once to score their KRs 0.0-1.0.

The prompt goes out at the first tick on or after SCORE_TIME (owner's local time) on any day of
the final week (bot.okr.progress.is_final_week); the ledger (kind 'score_prompt', period
'cycle<id>') makes it once per owner per cycle.
"""

import math
from collections import defaultdict
from datetime import datetime, time
from functools import partial

from bot.okr import cadence
from bot.okr.messages import Notice
from bot.okr.messages.cycles import ScoreItem, ScorePrompt
from bot.okr.numbers import ParseError, parse_number
from bot.okr.progress import format_value, is_final_week, suggested_score
from bot.okr.types import SendKind
from bot.services.kernel import permissions, read_models
from bot.services.kernel.context import Services
from bot.services.kernel.delivery import deliver
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.ports import DeliveryFailed
from bot.services.kernel.tick import basics, isolated
from storage import ledger, okrs, people

SCORE_TIME = time(10, 0)


async def score_prompt_step(svc: Services, at: datetime) -> list[str]:
    """Tick step: send each KR owner their score prompt once, in the final week."""
    known = await basics(svc)
    cycle = known.cycle
    # From the zones in use alone: outside the cycle's final week nothing is loaded (the usual tick).
    if cycle is None or not _final_week_somewhere(cycle, set(known.zones), at):
        return []
    async with svc.db.transaction() as session:
        objs = [o for o in await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id) if not o.archived]
        by_obj = await okrs.key_results_for_objectives(session=session, objective_ids=[o.id for o in objs])
        krs = [kr for o in objs for kr in by_obj[o.id]]
        owners = await people.people_by_ids(session=session, ids={kr.owner_id for kr in krs})
    mine: dict[str, list] = defaultdict(list)
    for kr in krs:
        mine[kr.owner_id].append(kr)
    lines = []
    for owner_id, owned in sorted(mine.items()):
        local = at.astimezone(cadence.safe_zone(owners[owner_id].tz if owner_id in owners else None))
        if is_final_week(cycle.start, cycle.end, local.date()) and local.time() >= SCORE_TIME:
            lines += await isolated(
                f"score prompt for {owner_id}", _prompt(svc, owner_id, cycle, owned, at, local.date())
            )
    return lines


def _final_week_somewhere(cycle, zone_names: set[str], at: datetime) -> bool:
    """Whether it is the final week at or after SCORE_TIME in any of these zones (or UTC, the fallback)."""
    for zone in {cadence.safe_zone(name) for name in zone_names | {"UTC"}}:
        local = at.astimezone(zone)
        if is_final_week(cycle.start, cycle.end, local.date()) and local.time() >= SCORE_TIME:
            return True
    return False


async def _prompt(svc: Services, owner_id: str, cycle, owned, at: datetime, today) -> list[str]:
    async with svc.db.transaction() as session:
        row = await ledger.claim_or_retry(
            session=session, at=at, recipient=owner_id, kind=SendKind.SCORE_PROMPT, period=f"cycle{cycle.id}", due_at=at
        )
        if row is None:
            return []
        titles = {o.id: o.title for o in await okrs.objectives_in_cycle(session=session, cycle_id=cycle.id)}
        views = await read_models.kr_views(session, krs=owned, cycle=cycle, today=today, titles=titles)
    items = tuple(
        ScoreItem(v.id, v.title, v.objective_title, v.progress, suggested_score(v.progress), v.score) for v in views
    )
    send = partial(svc.notifier.post, owner_id, ScorePrompt(cycle_name=cycle.name, items=items), ledger_id=row.id)
    outcome = await deliver(svc, ledger_id=row.id, at=at, send=send)
    if isinstance(outcome, DeliveryFailed):
        return [f"score prompt for {owner_id} failed: {outcome.reason}"]
    return [f"score prompt sent to {owner_id} ({len(items)} KRs)"]


async def record_score(svc: Services, *, user_id: str, kr_id: int, score: str | float) -> Notice:
    """Set a KR's final score (its owners, its team's managers, admins); `score` as picked, e.g. "0.7"."""
    try:
        score = parse_number(score) if isinstance(score, str) else score
    except ParseError:
        score = math.nan
    if not 0.0 <= score <= 1.0:  # also refuses NaN and the infinities
        raise InvalidInput("A score is between 0.0 and 1.0.")
    async with svc.db.transaction() as session:
        kr = await okrs.get_key_result(session=session, kr_id=kr_id)
        if kr is None:
            raise NotFound("That key result no longer exists.")
        await permissions.require_check_in(session, user_id=user_id, kr=kr, admins=svc.admins)
        kr.score = round(score, 1)
        title = kr.title
    return Notice(f"Scored {title}: {format_value(round(score, 1))}. Thanks!", ":trophy:")
