"""Read-only views of OKRs, shared by prompts, digests, /okr output and the Home tab.

These hold no review-note field on purpose: nothing that renders OKR status can carry a note.
"""

from dataclasses import dataclass
from datetime import date, datetime

from bot.okr import progress as p
from bot.okr.types import Confidence, KRKind, Pacing


@dataclass(frozen=True)
class CycleInfo:
    id: int
    name: str
    start: date
    end: date
    state: str = "active"


@dataclass(frozen=True)
class KRView:
    id: int
    title: str
    kind: KRKind
    owner_id: str
    owner_name: str
    unit: str
    start: float
    target: float
    current: float
    progress: float  # 0..1 towards target
    expected: float  # 0..1 expected by today (straight line over the cycle)
    expected_value: float
    confidence: Confidence | None
    pacing: Pacing
    last_checkin_at: datetime | None = None
    last_comment: str = ""  # plain text; renderers escape it
    score: float | None = None
    weight: float = 1.0
    objective_title: str = ""
    blockers: str = ""  # from the KR's latest live check-in (plain text; renderers escape it)
    blockers_at: datetime | None = None  # when that check-in was made

    @property
    def gap(self) -> float:
        """Actual minus expected value, in the KR's own unit (negative = behind)."""
        if self.kind is KRKind.DECREASE:
            return self.expected_value - self.current
        return self.current - self.expected_value


def kr_view(
    *,
    id: int,
    title: str,
    kind: str,
    owner_id: str,
    owner_name: str,
    unit: str,
    start: float,
    target: float,
    current: float,
    confidence: str | None,
    cycle: CycleInfo,
    today: date,
    last_checkin_at: datetime | None = None,
    last_comment: str = "",
    score: float | None = None,
    weight: float = 1.0,
    objective_title: str = "",
    blockers: str = "",
    blockers_at: datetime | None = None,
) -> KRView:
    """Compute progress, expected progress and pacing for one KR as of `today`."""
    k = KRKind(kind)
    conf = Confidence(confidence) if confidence else None
    done = p.progress(k, start, target, current)
    expected = p.expected_progress(cycle.start, cycle.end, today)
    if k is KRKind.BINARY:
        expected = p.expected_value(k, start, target, cycle.start, cycle.end, today)
    return KRView(
        id=id,
        title=title,
        kind=k,
        owner_id=owner_id,
        owner_name=owner_name,
        unit=unit,
        start=start,
        target=target,
        current=current,
        progress=done,
        expected=expected,
        expected_value=p.expected_value(k, start, target, cycle.start, cycle.end, today),
        confidence=conf,
        pacing=p.pacing(done, expected, conf) if p.pace_judged(cycle.start, cycle.end, today) else Pacing.TOO_EARLY,
        last_checkin_at=last_checkin_at,
        last_comment=last_comment,
        score=score,
        weight=weight,
        objective_title=objective_title,
        blockers=blockers,
        blockers_at=blockers_at,
    )


@dataclass(frozen=True)
class AlignedObjective:
    """An objective aligned under another (its progress rolls up into the parent's), named for display."""

    title: str
    team_name: str
    progress: float


@dataclass(frozen=True)
class ObjectiveView:
    id: int
    title: str
    team_name: str
    krs: tuple[KRView, ...]
    progress: float  # weighted roll-up of its KRs and aligned children
    parent_id: int | None = None
    shared_from: str = ""  # set when the objective belongs to another team (shared KRs)
    parent: AlignedObjective | None = None  # the objective this one is aligned under
    children: tuple[AlignedObjective, ...] = ()  # objectives aligned under this one: their progress is in ours
