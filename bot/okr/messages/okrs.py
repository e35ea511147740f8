"""Plain data for /okr mine, team, @person, at-risk and the App Home tab.

None of these can hold a review note: the Home tab and /okr output only ever show OKR status.
"""

from dataclasses import dataclass, field
from datetime import datetime

from bot.okr.messages.read_models import CycleInfo, KRView, ObjectiveView

PAGE_SIZE = 10  # KRs per /okr page: two blocks each keeps a page far below Slack's 50


@dataclass(frozen=True)
class Page:
    """Where a list page sits, and what to ask for to get the next one."""

    offset: int
    total: int
    query: str  # e.g. "mine:U123", "team:4", "person:U9", "risk:" - carried by the Show more button

    @property
    def next_offset(self) -> int | None:
        nxt = self.offset + PAGE_SIZE
        return nxt if nxt < self.total else None


@dataclass(frozen=True)
class KRList:
    """A flat list of KRs: /okr mine, /okr @person, /okr at-risk."""

    title: str
    krs: tuple[KRView, ...]
    page: Page
    empty_text: str
    editable: frozenset[int] = frozenset()  # KR ids the viewer may open the edit modal for
    cycle_name: str = ""


@dataclass(frozen=True)
class TeamPage:
    """One team's objectives and KRs (a page of them)."""

    team_id: int
    team_name: str
    objectives: tuple[ObjectiveView, ...]
    page: Page
    can_manage: bool
    editable: frozenset[int] = frozenset()
    cycle_name: str = ""


@dataclass(frozen=True)
class TeamChoice:
    id: int
    name: str


@dataclass(frozen=True)
class TeamPicker:
    """The viewer is in several teams: ask which one."""

    teams: tuple[TeamChoice, ...]


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
