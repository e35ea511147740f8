"""Check-in history in the OKR file (`okrbot export --history`, or a plain export's `last_checkin`), restored
by `okrbot import`.

Only into a key result that has no check-ins yet (a restore into an empty database, or a KR new to it):
re-importing the same export never duplicates a check-in, and never rewrites one people made since.
"""

from bot.services.okr_io.okr_file import KeyResultIn
from storage import backup
from storage.models import CheckIn, KeyResult


def _short(title: str) -> str:
    return repr(title if len(title) <= 50 else title[:47] + "...")  # as the importer names a KR


async def restore_history(session, report, kr: KeyResult, k: KeyResultIn) -> None:
    """Restore an exported check-in history, only into a KR with none (re-importing never duplicates).

    A plain export's `last_checkin` is a history of one; a KR with check-ins keeps them without a notice
    (re-importing last week's plain export is the everyday case), unlike a full history that was skipped."""
    entries = k.history or [k.last_checkin]
    if await backup.has_checkins(session=session, kr_id=kr.id):
        if k.history:
            report.notices.append(f"key result {_short(k.title)}: already has check-ins; its history was left as is")
        return
    prev_value, prev_confidence = kr.start_value, None
    for c in sorted(entries, key=lambda c: c.at):
        session.add(
            CheckIn(
                kr_id=kr.id,
                author_id=c.by,
                value=c.value,
                confidence=c.confidence,
                comment=c.comment,
                blockers=c.blockers,
                source="import",
                created_at=c.at,
                prev_value=prev_value,
                prev_confidence=prev_confidence,
            )
        )
        prev_value, prev_confidence = c.value, c.confidence
    # The KR's live fields follow its last check-in, as a check-in would have left them.
    kr.confidence, kr.last_checkin_at = prev_confidence, max(c.at for c in entries)
    if k.current is None:
        kr.current_value = prev_value
    await session.flush()
    if k.history:
        report.changes.append(f"+ history of key result {_short(k.title)}: {len(k.history)} check-ins")
    else:
        report.changes.append(f"+ last check-in of key result {_short(k.title)}")
