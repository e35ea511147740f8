"""Plain data for the App Home tab.

None of these can hold a review note: the Home tab only ever shows OKR status and names.
"""

from dataclasses import dataclass, field
from datetime import datetime

from bot.okr.messages.read_models import CycleInfo, KRView


@dataclass(frozen=True)
class TeamSummary:
    name: str
    progress: float
    kr_count: int
    by_pacing: dict[str, int] = field(default_factory=dict)  # Pacing value -> count


@dataclass(frozen=True)
class ManagerOverview:
    team_id: int
    team_name: str
    summary: TeamSummary
    missing: tuple[str, ...]  # display names of people with no check-in since the period started
    period_start: datetime | None = None
    cadence: str = "weekly"  # the team's check-in cadence: "this week" or "these two weeks"


@dataclass(frozen=True)
class HomePage:
    user_id: str
    cycle: CycleInfo | None
    my_krs: tuple[KRView, ...]
    more_krs: int  # KRs not shown (the Home tab holds at most 100 blocks)
    teams: tuple[TeamSummary, ...]
    next_prompt: datetime | None
    next_prompt_tz: str = "UTC"
    managed: tuple[ManagerOverview, ...] = ()
    is_admin: bool = False
    editable: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PersonRef:
    id: str
    name: str


@dataclass(frozen=True)
class ReviewPeople:
    """People a manager may write review notes about (names only, never a note)."""

    people: tuple[PersonRef, ...]
