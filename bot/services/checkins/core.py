"""Recording, editing and undoing check-ins inside a caller's transaction, with the permission check.

Every path (button, modal, thread reply, /okr checkin) ends here, so the KR's current value and
confidence always follow its latest live check-in the same way.
"""

import json
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.okr.messages.checkins import RecordedLine
from bot.okr.progress import format_value, progress
from bot.okr.types import Confidence, KRKind
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.permissions import require_check_in
from storage import checkins, ledger, okrs, people
from storage.models import CheckIn, KeyResult, SendLedger


async def load_kr(session: AsyncSession, kr_id: int) -> KeyResult:
    kr = await okrs.get_key_result(session=session, kr_id=kr_id)
    if kr is None or kr.archived:
        raise NotFound("That key result no longer exists.")
    return kr


async def authorize(session: AsyncSession, svc: Services, *, user_id: str, kr: KeyResult) -> None:
    """The usual check-in rule, plus the owner's delegate while the owner is away (they got the prompt)."""
    owner = await people.get_person(session=session, person_id=kr.owner_id)
    if owner and _stands_in(svc, user_id, owner.delegate_id, owner.away_until):
        return
    await require_check_in(session, user_id=user_id, kr=kr, admins=svc.admins)


async def authorize_row(session: AsyncSession, svc: Services, *, user_id: str, kr) -> None:
    """`authorize` for a KR row from okrs.key_result_rows, which carries its owner's delegate and away date."""
    if _stands_in(svc, user_id, kr.owner_delegate_id, kr.owner_away_until):
        return
    await require_check_in(session, user_id=user_id, kr=kr, admins=svc.admins)


def _stands_in(svc: Services, user_id: str, delegate_id: str | None, away_until) -> bool:
    """Whether `user_id` is the owner's delegate while the owner is away."""
    return delegate_id == user_id and bool(away_until) and away_until >= svc.now().date()


async def load_kr_rows(session: AsyncSession, kr_ids: list[int]) -> list:
    """The KRs as Core rows (okrs.key_result_rows), in this order, in one SELECT; NotFound as load_kr."""
    rows = await okrs.key_result_rows(session=session, ids=kr_ids)
    for kr_id in kr_ids:
        if kr_id not in rows or rows[kr_id].archived:
            raise NotFound("That key result no longer exists.")
    return [rows[kr_id] for kr_id in kr_ids]


async def record(
    session: AsyncSession,
    *,
    kr: KeyResult,
    author: str,
    at: datetime,
    value: float | None,
    confidence: Confidence | str | None,
    source: str,
    comment: str = "",
    blockers: str = "",
    message: tuple[str, str] | None = None,
) -> CheckIn:
    """Store one check-in; value/confidence None keep the KR's current ones. The KR follows it."""
    row = CheckIn(
        **checkin_values(
            kr_id=kr.id,
            holding=(kr.current_value, kr.confidence),
            author=author,
            at=at,
            value=value,
            confidence=confidence,
            source=source,
            comment=comment,
            blockers=blockers,
            message=message,
        )
    )
    await checkins.add_checkin(session=session, checkin=row)
    kr.current_value, kr.confidence, kr.last_checkin_at = row.value, row.confidence, at
    await session.flush()
    return row


def checkin_values(
    *,
    kr_id: int,
    holding: tuple[float, str | None],
    author: str,
    at: datetime,
    value: float | None,
    confidence: Confidence | str | None,
    source: str,
    comment: str = "",
    blockers: str = "",
    message: tuple[str, str] | None = None,
) -> dict:
    """Every column of a new check-in on a KR holding (value, confidence): None keeps what it holds. Shared by
    `record` (ORM) and the thread-reply path's Core INSERT, so both store the same row."""
    current, current_confidence = holding
    return {
        "kr_id": kr_id,
        "author_id": author,
        "value": current if value is None else value,
        "confidence": str(confidence or current_confidence or Confidence.ON_TRACK),
        "comment": comment,
        "blockers": blockers,
        "source": source,
        "created_at": at,
        "edited_at": None,
        "undone_at": None,
        "prev_value": current,
        "prev_confidence": current_confidence,
        "source_channel": message[0] if message else None,
        "source_ts": message[1] if message else None,
    }


async def latest_live(session: AsyncSession, checkin_id: int) -> tuple[CheckIn, KeyResult]:
    """The check-in, if it is still its KR's latest live one (only that one may be edited or undone)."""
    row = await checkins.get_checkin(session=session, checkin_id=checkin_id)
    if row is None or row.undone_at is not None:
        raise NotFound("That check-in was already undone.")
    newest = await checkins.live_checkins(session=session, kr_id=row.kr_id, limit=1)
    if not newest or newest[0].id != row.id:
        raise InvalidInput("Only the latest check-in of a KR can be edited or undone.")
    return row, await load_kr(session, row.kr_id)


async def amend(
    session: AsyncSession, row: CheckIn, kr: KeyResult, *, at: datetime, value: float | None, confidence, **text
) -> None:
    """Change a live check-in in place (edit button or an edited thread reply); the KR follows if it is latest."""
    row.value = row.value if value is None else value
    row.confidence = str(confidence or row.confidence)
    for name, new in text.items():
        setattr(row, name, new)
    row.edited_at = at
    newest = await checkins.live_checkins(session=session, kr_id=kr.id, limit=1)
    if newest and newest[0].id == row.id:
        kr.current_value, kr.confidence = row.value, row.confidence
    await session.flush()


async def undo(session: AsyncSession, row: CheckIn, kr: KeyResult, *, at: datetime) -> None:
    """Mark undone; the KR goes back to the previous live check-in, or to what it held before this one."""
    row.undone_at = at
    await session.flush()
    previous = await checkins.live_checkins(session=session, kr_id=kr.id, limit=1)
    if previous:
        kr.current_value, kr.confidence, kr.last_checkin_at = (
            previous[0].value,
            previous[0].confidence,
            previous[0].created_at,
        )
    else:
        kr.current_value = row.prev_value if row.prev_value is not None else kr.start_value
        kr.confidence, kr.last_checkin_at = row.prev_confidence, None
    await session.flush()


def value_label(kr: KeyResult, value: float) -> str:
    """`42% / 45% (80%)`, or done / not done for binary KRs."""
    kind = KRKind(kr.kind)
    if kind is KRKind.BINARY:
        return "done" if value >= 1 else "not done"
    share = round(progress(kind, kr.start_value, kr.target_value, value) * 100)
    return f"{format_value(value, kr.unit)} / {format_value(kr.target_value, kr.unit)} ({share}%)"


def line(kr: KeyResult, row: CheckIn) -> RecordedLine:
    text = f"{value_label(kr, row.value)}, {Confidence(row.confidence).label}"
    return RecordedLine(row.id, kr.title, text, row.comment, row.blockers, kr.id)


def prompt_kr_ids(entry: SendLedger) -> list[int]:
    """The prompt's KRs in the order they were numbered (1..N)."""
    return list(json.loads(entry.detail or "{}").get("krs", []))


async def prompt_entry(session: AsyncSession, ledger_id: int | None) -> SendLedger | None:
    if not ledger_id:
        return None
    return await ledger.get_by_id(session=session, ledger_id=ledger_id)
