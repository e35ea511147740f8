"""Inside a check-in prompt window: who may still be due, and only their KRs (docs/performance.md).

For six hours after a slot every tick is "inside the window", and almost always everyone whose slot has come
already has their prompt row. `maybe_due` answers with one query (person ids, no ORM rows): the people who
own or co-own a live KR of the cycle, live in a zone where a slot of the window has come (or whose zone the
query cannot tell: no zone, an unknown one, away so a delegate's zone applies), and lack a row (other than
a failed one) in one of the window's periods. The prompt step then loads only their KRs (`krs_of`).
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KeyResult, KRCoOwner, Objective, Person, SendLedger


def _live(cycle_id: int):
    return Objective.cycle_id == cycle_id, col(Objective.archived).is_(False), col(KeyResult.archived).is_(False)


async def maybe_due(
    *, session: AsyncSession, cycle_id: int, periods: Iterable[str], zones: Iterable[str], away_since: date
) -> set[str]:
    """A superset of the people due a prompt in `periods` now: see the module docstring. `zones` are the zone
    names (as stored on Person.tz) in which a slot of these periods has come, plus any unknown names."""
    wanted = sorted(set(periods))
    if not wanted:
        return set()
    # Every person is scanned once, cheapest test first: the zone, then the ledger (from indexes alone), and only
    # for the few without a row whether they own a live KR (by the owner index) or co-own one (a list built
    # once, and only if someone gets that far). In the usual window tick everyone has their row, and no KR is
    # read at all; with the KR lists first (person ids IN owners OR IN co-owners) SQLite walked every KR of the
    # cycle and looked up its owner and its owner's rows (3-4x the time at the benchmark's 10,000 KRs).
    owns = exists().where(
        KeyResult.owner_id == Person.id, col(Objective.id) == col(KeyResult.objective_id), *_live(cycle_id)
    )
    co_owners = (
        select(KRCoOwner.person_id)
        .join(KeyResult, col(KeyResult.id) == col(KRCoOwner.kr_id))
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(*_live(cycle_id))
    )
    # Someone may be due in a period where they hold no row, or only a failed one (rows are unique per
    # (recipient, kind, period)). "No row in p" is a probe of that unique index alone, with no table read per
    # person (and no count: it stops at the row); the few failed rows are one small list read from the
    # (kind, period, status) index.
    no_row = [  # SELECT id, not EXISTS (SELECT *): the index holds the rowid, not the other columns
        ~select(SendLedger.id)
        .where(SendLedger.recipient == Person.id, SendLedger.kind == "prompt", SendLedger.period == period)
        .exists()
        for period in wanted
    ]
    failed = select(SendLedger.recipient).where(
        SendLedger.kind == "prompt", col(SendLedger.period).in_(wanted), SendLedger.status == "failed"
    )
    stmt = select(Person.id).where(
        or_(col(Person.tz).in_(sorted(set(zones))), col(Person.tz).is_(None), col(Person.away_until) >= away_since),
        or_(*no_row, col(Person.id).in_(failed)),
        or_(owns, col(Person.id).in_(co_owners)),
    )
    return set((await session.exec(stmt)).all())


async def krs_of(
    *, session: AsyncSession, cycle_id: int, people: Iterable[str]
) -> tuple[list[tuple[KeyResult, int]], dict[int, list[str]]]:
    """What storage.schedule's live_krs_with_team and co_owners_in_cycle return, for the live KRs `people`
    own or co-own only: every KR of theirs (their slot is the earliest among all their KRs' teams)."""
    wanted = sorted(set(people))
    if not wanted:
        return [], {}
    theirs = or_(
        col(KeyResult.owner_id).in_(wanted),
        # Never correlated: co_stmt below also reads kr_co_owner, and this must stay its own scan.
        col(KeyResult.id).in_(select(KRCoOwner.kr_id).where(col(KRCoOwner.person_id).in_(wanted)).correlate(None)),
    )
    stmt = (
        select(KeyResult, Objective.team_id)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(*_live(cycle_id), theirs)
        .order_by(col(Objective.position), col(Objective.id), col(KeyResult.position), col(KeyResult.id))
    )
    rows = [(kr, team_id) for kr, team_id in (await session.exec(stmt)).all()]
    co_stmt = (
        select(KRCoOwner.kr_id, KRCoOwner.person_id)
        .join(KeyResult, col(KeyResult.id) == col(KRCoOwner.kr_id))
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(*_live(cycle_id), theirs)
        .order_by(col(KRCoOwner.kr_id), col(KRCoOwner.person_id))
    )
    co: dict[int, list[str]] = {}
    for kr_id, person_id in (await session.exec(co_stmt)).all():
        co.setdefault(kr_id, []).append(person_id)
    return rows, co
