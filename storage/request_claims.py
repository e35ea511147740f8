"""Request claims: a request (an invoke a platform may resend) is acted on once. Keyword-only; never commits.

A claim is a finished row of the durable inbox's table under the request's key: the unique key makes a second
insert fail (portable: SQLite and PostgreSQL), and housekeeping forgets finished rows once the platform can no
longer redeliver, as for the inbox's own items. The row holds no payload: nothing of the request is kept.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxItem


async def claim(*, session: AsyncSession, key: str, lane: str, now: datetime) -> bool:
    """Insert the claim in the caller's transaction; False when the key is already claimed (a replay).

    On PostgreSQL a concurrent replay waits on the unique index until the first transaction ends, then fails here
    if it committed: the write and its claim commit or roll back together.
    """
    row = InboxItem(key=key, lane=lane, payload="", state="done", received_at=now, available_at=now, finished_at=now)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
