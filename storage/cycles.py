"""OKR cycles (quarters)."""

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Cycle


async def get_cycle(*, session: AsyncSession, cycle_id: int) -> Cycle | None:
    return await session.get(Cycle, cycle_id)


async def get_cycle_by_name(*, session: AsyncSession, name: str) -> Cycle | None:
    return (await session.exec(select(Cycle).where(Cycle.name == name))).first()


async def active_cycle(*, session: AsyncSession) -> Cycle | None:
    """The active cycle; if several are active, the one that started last."""
    return (await session.exec(_ACTIVE_CYCLE)).first()


# Built once: every view and tick asks for it (see storage/okrs.py).
_ACTIVE_CYCLE = select(Cycle).where(Cycle.state == "active").order_by(col(Cycle.start).desc(), col(Cycle.id).desc())


async def list_cycles(*, session: AsyncSession) -> list[Cycle]:
    return list((await session.exec(select(Cycle).order_by(col(Cycle.start), col(Cycle.id)))).all())


async def add_cycle(*, session: AsyncSession, name: str, start: date, end: date, state: str = "active") -> Cycle:
    cycle = Cycle(name=name, start=start, end=end, state=state)
    session.add(cycle)
    await session.flush()
    return cycle
