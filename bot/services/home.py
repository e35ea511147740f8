"""The App Home tab: my KRs, my teams, when I'm asked next; managers' and admins' sections. Never review notes."""

import logging
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr import cadence
from bot.okr.messages.home import HomePage, ManagerOverview, PersonRef, ReviewPeople, TeamSummary
from bot.okr.messages.read_models import KRView
from bot.okr.progress import rollup
from bot.services.checkins.prompts import slot_for, slot_order
from bot.services.kernel import read_models
from bot.services.kernel.context import Services
from bot.services.kernel.errors import PermissionDenied
from bot.services.kernel.lookups import name_of
from bot.services.kernel.permissions import editable_kr_ids
from bot.services.kernel.ports import DeliveryFailed
from storage import cycles, okrs, people, reporting, teams
from storage.models import Cycle, Team

log = logging.getLogger(__name__)

# After-check-in refreshes go only to people who opened Home this recently: most people never open it, and
# rebuilding and publishing it was most of a thread reply's cost (docs/performance.md). Opening Home rebuilds
# it in full, so nobody sees a stale tab; the open is recorded at most once per OPEN_RECORDED (no write per open).
HOME_USER_WINDOW = timedelta(days=90)
OPEN_RECORDED = timedelta(days=1)
HOME_KR_LIMIT = 15  # two blocks each: leaves room for teams, manager and admin sections under 100


def _summary(name: str, views: list[KRView]) -> TeamSummary:
    counts: dict[str, int] = {}
    for v in views:
        counts[v.pacing.value] = counts.get(v.pacing.value, 0) + 1
    return TeamSummary(
        name=name, progress=rollup((v.progress, v.weight) for v in views), kr_count=len(views), by_pacing=counts
    )


async def _teams_views(session: AsyncSession, svc: Services, teams_: list[Team], cycle: Cycle):
    """Each team's own KR views ({team id: views}), all the teams in one batch of reads (read_models), each team
    once: a manager's team is both among their teams and among those they manage."""
    today = svc.now().date()
    unique = list({t.id: t for t in teams_}.values())
    wanted = [read_models.TeamView(t, today) for t in unique]
    objectives = await read_models.teams_objectives(session, cycle=cycle, wanted=wanted) if wanted else {}
    return {tid: [kr for o in objs if not o.shared_from for kr in o.krs] for tid, objs in objectives.items()}


async def _overview(
    session: AsyncSession, svc: Services, team: Team, cycle: Cycle, views: list[KRView]
) -> ManagerOverview:
    """Who owns KRs in the team but has not checked in since this period's prompt (or the cycle start)."""
    now = svc.now()
    occurrence = cadence.latest_due(
        slot_for(team, cycle), cadence.safe_zone(team.timezone), now, window=(cycle.start, cycle.end)
    )
    since = occurrence.due_utc if occurrence else datetime.combine(cycle.start, datetime.min.time(), now.tzinfo)
    latest: dict[str, datetime | None] = {}
    for v in views:
        prev = latest.get(v.owner_id)
        latest[v.owner_id] = max(filter(None, (prev, v.last_checkin_at)), default=None)
    missing = sorted(pid for pid, at in latest.items() if at is None or at < since)
    names = await people.people_by_ids(session=session, ids=missing)
    return ManagerOverview(
        team_id=team.id,
        team_name=team.name,
        summary=_summary(team.name, views),
        missing=tuple(name_of(names.get(p), p) for p in missing),
        period_start=since,
        cadence=team.cadence,
    )


async def _next_prompt(session: AsyncSession, svc: Services, user_id: str, mine: list[Team], cycle: Cycle):
    if not mine:
        return None, "UTC"
    person = await people.get_person(session=session, person_id=user_id)
    team = min(mine, key=slot_order)  # the slot the tick follows for someone in several teams
    tz = cadence.safe_zone(person.tz if person else None, team.timezone)
    nxt = cadence.next_due(slot_for(team, cycle), tz, svc.now(), window=(cycle.start, cycle.end))
    return (nxt.due_utc if nxt else None), tz.key


async def build_home(svc: Services, *, user_id: str) -> HomePage:
    """Everything the person's Home tab shows, as plain data."""
    async with svc.db.read() as session:
        cycle = await cycles.active_cycle(session=session)
        admin = svc.is_admin(user_id)
        if cycle is None:
            return HomePage(
                user_id=user_id, cycle=None, my_krs=(), more_krs=0, teams=(), next_prompt=None, is_admin=admin
            )
        krs = await okrs.key_results_owned_by(session=session, person_id=user_id, cycle_id=cycle.id)
        objs = await okrs.objectives_by_ids(session=session, ids={kr.objective_id for kr in krs})
        shown = krs[:HOME_KR_LIMIT]
        titles = {o.id: o.title for o in objs.values()}
        my_views = await read_models.kr_views(session, krs=shown, cycle=cycle, today=svc.now().date(), titles=titles)
        mine = await teams.teams_of_person(session=session, person_id=user_id)
        managed = await teams.teams_managed_by(session=session, person_id=user_id)
        views = await _teams_views(session, svc, mine[:10] + managed[:5], cycle)
        summaries = [_summary(t.name, views[t.id]) for t in mine[:10]]
        next_at, tz = await _next_prompt(session, svc, user_id, mine, cycle)
        return HomePage(
            user_id=user_id,
            cycle=read_models.cycle_info(cycle),
            my_krs=tuple(my_views),
            more_krs=len(krs) - len(shown),
            teams=tuple(summaries),
            next_prompt=next_at,
            next_prompt_tz=tz,
            managed=tuple([await _overview(session, svc, t, cycle, views[t.id]) for t in managed[:5]]),
            is_admin=admin,
            editable=await editable_kr_ids(
                session, user_id=user_id, krs=shown, admins=svc.admins, managed=managed, objectives=objs
            ),
        )


async def refresh_home(svc: Services, *, user_id: str) -> None:
    """Rebuild and publish the person's Home tab (on app_home_opened and after their own check-ins)."""
    await svc.notifier.publish_home(user_id, await build_home(svc, user_id=user_id))


async def home_opened(svc: Services, *, user_id: str) -> None:
    """On app_home_opened (after the ack): note that the person uses Home (at most a write a day), then rebuild it."""
    now = svc.now()
    async with svc.db.read() as session:  # a read first: most opens find today's open already recorded
        seen = await people.home_opened_at(session=session, person_id=user_id)
    if seen is None or seen < now - OPEN_RECORDED:
        async with svc.db.transaction() as session:
            await people.set_home_opened(session=session, person_id=user_id, at=now, unless_since=now - OPEN_RECORDED)
    await refresh_home(svc, user_id=user_id)


async def stale_homes(session: AsyncSession, *, user_id: str, kr_ids: tuple[int, ...], now: datetime) -> list[str]:
    """After-check-in effect, marked in the check-in's transaction: the Home tab of who checked in, if they use it."""
    return sorted(await people.home_users(session=session, ids=[user_id], since=now - HOME_USER_WINDOW))


async def refresh_stale_home(svc: Services, user_id: str) -> None:
    """After-check-in effect, run coalesced: refresh the Home tab. Best effort: the next visit shows the same."""
    try:
        await refresh_home(svc, user_id=user_id)
    except DeliveryFailed as exc:
        log.warning("could not refresh a Home tab: %s", exc.reason)


async def review_people(svc: Services, *, user_id: str) -> ReviewPeople:
    """The people a line manager may keep review notes about (permissions.can_see_notes_about): names only."""
    async with svc.db.read() as session:
        ids = await reporting.reports_under(session=session, manager_id=user_id)
        if not ids and user_id not in svc.hr:
            raise PermissionDenied("Review notes are for line managers and HR: nobody reports to you.")
        found = await people.people_by_ids(session=session, ids=ids)
        refs = [PersonRef(id=p, name=name_of(found.get(p), p)) for p in sorted(ids)]
        return ReviewPeople(people=tuple(refs[:90]))
