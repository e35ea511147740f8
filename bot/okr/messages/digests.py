"""Plain data for team digests and manager digests.

Privacy by types: no dataclass in this module has a field that could hold a review note.
Review-note messages live in bot.okr.messages.notes and are only sent to DMs, ephemerally
or in modals.
"""

from dataclasses import dataclass
from datetime import datetime

from bot.okr.messages.read_models import KRView, ObjectiveView
from bot.okr.types import Pacing


@dataclass(frozen=True)
class DigestHeader:
    team_name: str
    cycle_name: str
    week: int
    weeks: int
    final_week: bool = False


@dataclass(frozen=True)
class DigestSummary:
    average: float  # mean objective progress, 0..1
    by_status: tuple[tuple[Pacing, int], ...]  # KR count per pacing status, in Pacing order
    kr_count: int
    score_average: float | None = None  # final week: mean of the scores given so far


@dataclass(frozen=True)
class MissingPerson:
    id: str
    name: str


@dataclass(frozen=True)
class DigestMessage:
    """One team's digest for one period, as it stands at `as_of`."""

    header: DigestHeader
    objectives: tuple[ObjectiveView, ...]
    deltas: tuple[tuple[int, float], ...]  # (KR id, change since the previous digest)
    summary: DigestSummary
    missing: tuple[MissingPerson, ...]
    mention_missing: bool = False
    updated_at: str | None = None  # "HH:MM" in the team's zone once a late check-in edited it
    timezone: str = ""  # the team's zone, named next to every time shown
    preview: bool = False  # /okr digest: shown only to the asker
    first: bool = False  # no earlier digest this cycle: changes are measured from the start values

    def delta(self, kr_id: int) -> float | None:
        return dict(self.deltas).get(kr_id)


@dataclass(frozen=True)
class ManagerDigest:
    """The parent DM to a manager: the team digest, introduced as theirs."""

    digest: DigestMessage
    people: int  # how many per-person threads follow


@dataclass(frozen=True)
class PersonSection:
    """One person in a manager's digest: a top-level DM message whose thread is the review thread."""

    subject_id: str
    subject_name: str
    team_name: str
    krs: tuple[KRView, ...]
    last_checkin_at: datetime | None
    last_checkin_local: str  # e.g. "Mon 06 Jan 10:04", in the manager's zone; "" if never
    missing: bool  # some KR has no check-in this period
    zone: str = ""  # the manager's zone (e.g. "Europe/Berlin"), named next to the time
