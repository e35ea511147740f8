"""Plain data for /okr mine, team, @person and at-risk.

None of these can hold a review note: /okr output only ever shows OKR status.
"""

from dataclasses import dataclass

from bot.okr.messages.read_models import KRView, ObjectiveView

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
