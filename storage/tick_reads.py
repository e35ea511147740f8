"""Light reads that tell the tick what is due before it loads any KR, person or team (docs/performance.md).

The tick runs every minute and almost always has nothing to do: these answer "is anything due?" with a
fixed number of small queries whatever the size of the organisation (ids and statuses, not ORM rows).
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import String, and_, cast, exists, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, SendLedger, Team, TeamMember

CLOSED = "closed"  # kind of the marker rows: "every occurrence of this kind and period has been settled"


async def zones_in_use(*, session: AsyncSession) -> set[str]:
    """Every timezone name a person has: the zones anyone's schedule can follow (plus the teams' own)."""
    stmt = select(Person.tz).where(col(Person.tz).is_not(None)).distinct()
    return {tz for tz in (await session.exec(stmt)).all() if tz}


async def team_settings(*, session: AsyncSession) -> list:
    """Every team's columns as rows (attribute access like Team's, by name), not ORM objects: the tick reads
    them every minute to work out what is due, and building 500 Team instances cost 3-4 ms of it."""
    return list((await session.exec(select(*Team.__table__.columns).order_by(col(Team.name)))).all())


async def teams_by_id(*, session: AsyncSession, ids: Iterable[int]) -> dict[int, Team]:
    """The Team objects of the teams with something due (the steps that send need them, not just settings)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {t.id: t for t in (await session.exec(select(Team).where(col(Team.id).in_(wanted)))).all()}


def closed_recipient(kind: str) -> str:
    return f"tick:{kind}"


async def unsettled_periods(*, session: AsyncSession, kind: str, periods: Iterable[str]) -> set[str]:
    """Of `periods`, those not yet closed for `kind`, or holding a failed row of that kind (a retry is due)."""
    wanted = sorted(set(periods))
    if not wanted:
        return set()
    marker = and_(SendLedger.kind == CLOSED, SendLedger.recipient == closed_recipient(kind))
    failed = and_(SendLedger.kind == kind, SendLedger.status == "failed")
    stmt = select(SendLedger.kind, SendLedger.period).where(col(SendLedger.period).in_(wanted), or_(marker, failed))
    closed, retry = set(), set()
    for row_kind, period in (await session.exec(stmt)).all():
        (closed if row_kind == CLOSED else retry).add(period)
    return (set(wanted) - closed) | retry


def closed_rows(kind: str, periods: Iterable[str]) -> list[dict]:
    """Marker rows for storage.ledger_bulk.claim_many (ON CONFLICT DO NOTHING: several processes may close)."""
    recipient = closed_recipient(kind)
    return [{"recipient": recipient, "kind": CLOSED, "period": p, "status": "sent"} for p in sorted(set(periods))]


async def statuses(*, session: AsyncSession, kind: str, periods: Iterable[str]) -> dict[tuple[str, str], str]:
    """{(recipient, period): status} for the rows of `kind` in the periods (ids and statuses only)."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    stmt = select(SendLedger.recipient, SendLedger.period, SendLedger.status).where(
        SendLedger.kind == kind, col(SendLedger.period).in_(wanted)
    )
    return {(r, p): s for r, p, s in (await session.exec(stmt)).all()}


async def teams_without_done_row(*, session: AsyncSession, kind: str, periods: Iterable[str]) -> dict:
    """{(team id, period): None or 'failed'} for the teams with a digest channel and no row of `kind` in the
    period other than a failed one ("team:<id>" rows). The ledger names just those (none, usually), by one
    lookup per team in its unique index, instead of returning every team's row of the period; a team whose
    own period is another one may be named too (the caller knows which period each team is in)."""
    found: dict[tuple[int, str], str | None] = {}
    for period in sorted(set(periods)):
        recipient = literal("team:", String).concat(cast(Team.id, String))  # digests.team.team_recipient
        row = and_(SendLedger.recipient == recipient, SendLedger.kind == kind, SendLedger.period == period)
        stmt = (
            select(Team.id, SendLedger.status)
            .outerjoin(SendLedger, row)
            .where(col(Team.channel).is_not(None), or_(col(SendLedger.id).is_(None), SendLedger.status == "failed"))
        )
        found |= {(team_id, period): status for team_id, status in (await session.exec(stmt)).all()}
    return found


async def managers_by_team(*, session: AsyncSession, team_ids: Iterable[int]) -> dict[int, list[str]]:
    """The managers of each team, in one query."""
    wanted = sorted(set(team_ids))
    if not wanted:
        return {}
    stmt = select(TeamMember.team_id, TeamMember.person_id).where(
        col(TeamMember.team_id).in_(wanted), TeamMember.role == "manager"
    )
    out: dict[int, list[str]] = {t: [] for t in wanted}
    for team_id, person_id in (await session.exec(stmt)).all():
        out[team_id].append(person_id)
    return out


async def unnudged_periods(*, session: AsyncSession, periods: Iterable[str], at: datetime) -> tuple[set[str], set[str]]:
    """Of the prompt periods: (those where a sent prompt may lack its nudge: fewer nudge rows, other than failed
    ones, than sent prompts; those holding a snooze that has ended). Counted from the (kind, period, status)
    index alone."""
    wanted = sorted(set(periods))
    if not wanted:
        return set(), set()
    stmt = (
        select(SendLedger.kind, SendLedger.period, SendLedger.status, func.count())
        .where(col(SendLedger.kind).in_(["prompt", "nudge"]), col(SendLedger.period).in_(wanted))
        .group_by(SendLedger.kind, SendLedger.period, SendLedger.status)
    )
    sent: dict[str, int] = {}
    settled: dict[str, int] = {}
    snoozed = set()
    for kind, period, status, n in (await session.exec(stmt)).all():
        if kind == "prompt" and status == "sent":
            sent[period] = sent.get(period, 0) + n
        elif kind == "nudge" and status != "failed":
            settled[period] = settled.get(period, 0) + n
            if status == "snoozed":
                snoozed.add(period)
    found = {p for p, n in sent.items() if n > settled.get(p, 0)}
    if not snoozed:
        return found, set()
    ended = select(SendLedger.period).where(
        SendLedger.kind == "nudge",
        col(SendLedger.period).in_(sorted(snoozed)),
        SendLedger.status == "snoozed",
        col(SendLedger.due_at) <= at,
    )
    return found, set((await session.exec(ended)).all())


async def nudge_candidates(
    *,
    session: AsyncSession,
    since: datetime,
    sent_by: datetime,
    at: datetime,
    periods: Iterable[str],
    snoozed: Iterable[str] = (),
) -> list[tuple[SendLedger, bool]]:
    """(prompt, snoozed) for the sent prompts (claimed since `since`) whose nudge may be due: in `periods`, none
    recorded (or only a failed one) and sent by `sent_by` (now minus the shortest nudge delay); in `snoozed`,
    snoozed until `at` or before (then `snoozed` is True). Oldest first.

    Two queries, not one with an OR: "sent by `sent_by`" is then a range of the (kind, period, status, sent_at)
    index, empty while the periods' prompts are younger than the delay (the day after a slot, every tick),
    instead of a lookup of every prompt row of the periods. `since` is applied to the rows found, so that the
    (status, claimed_at) index does not look like the better one to the planner."""
    nudge = aliased(SendLedger)
    same = and_(nudge.recipient == SendLedger.recipient, nudge.kind == "nudge", nudge.period == SendLedger.period)
    sent = and_(SendLedger.kind == "prompt", SendLedger.status == "sent")
    found: list[tuple[SendLedger, bool]] = []
    if wanted := sorted(set(periods)):
        unsettled = ~exists().where(same, nudge.status != "failed")
        stmt = select(SendLedger).where(
            sent, col(SendLedger.period).in_(wanted), col(SendLedger.sent_at) <= sent_by, unsettled
        )
        found += [(p, False) for p in (await session.exec(stmt)).all()]
    if wanted := sorted(set(snoozed)):
        snoozed_due = exists().where(same, nudge.status == "snoozed", col(nudge.due_at) <= at)
        stmt = select(SendLedger).where(sent, col(SendLedger.period).in_(wanted), snoozed_due)
        found += [(p, True) for p in (await session.exec(stmt)).all()]
    return sorted(((p, s) for p, s in found if p.claimed_at >= since), key=lambda pair: pair[0].id or 0)


async def newest_sent(*, session: AsyncSession, kind: str, recipients: Iterable[str], since: datetime) -> dict:
    """{recipient: latest sent_at} of the rows of `kind` sent to them and claimed since `since`."""
    wanted = sorted(set(recipients))
    if not wanted:
        return {}
    stmt = (
        select(SendLedger.recipient, func.max(SendLedger.sent_at))
        .where(
            SendLedger.kind == kind,
            SendLedger.status == "sent",
            col(SendLedger.claimed_at) >= since,
            col(SendLedger.recipient).in_(wanted),
        )
        .group_by(SendLedger.recipient)
    )
    return dict((await session.exec(stmt)).all())
