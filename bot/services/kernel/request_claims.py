"""Requests a platform may resend (a Teams invoke retried with the same activity id) act once.

Platform-neutral: the inbound adapter names the request with an opaque `request_id` (Teams: the conversation id
and the activity id); the service claims it in the same transaction as its write, so the write and the claim
commit together. A replay finds the claim, writes nothing and gets a short "already done" answer.
"""

import hashlib

from bot.services.kernel.context import Services
from bot.services.kernel.errors import OkrError
from storage import request_claims


class AlreadyDone(OkrError):
    """A replay of a request that was carried out: nothing is done again; the message says it was done."""


def _key(request_id: str, user_id: str) -> str:
    # Hashed: a Teams conversation id runs to ~100 characters, and the key column holds 200. The person is part
    # of it, so whatever a request's id, one person's claim never answers another person's request.
    return "request:" + hashlib.sha256(f"{user_id}\n{request_id}".encode()).hexdigest()


async def first(session, svc: Services, request_id: str | None, *, user_id: str) -> bool:
    """Claim the request inside the caller's transaction; False for a replay (no id: nothing to claim, True)."""
    if request_id is None:
        return True
    return await request_claims.claim(session=session, key=_key(request_id, user_id), lane=user_id[:64], now=svc.now())


async def once(session, svc: Services, request_id: str | None, *, user_id: str, done: str) -> None:
    """Claim the request, or raise AlreadyDone(done) for a replay (the caller's transaction then rolls back)."""
    if not await first(session, svc, request_id, user_id=user_id):
        raise AlreadyDone(done)
