"""Plain data for the create/edit/settings modals. Field names double as the modals' block ids.

Services validate submitted values by these names and report errors by them, so a modal
shows each error under the field that caused it.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TITLE_MAX = 150  # objective/KR titles: fits a header block with room to spare
KIND_FROM_NUMBERS = "from_numbers"  # the create-KR modal's default: increase or decrease, read from the numbers


class FormField(StrEnum):
    TEAM = "team"
    TITLE = "title"
    DESCRIPTION = "description"
    OWNER = "owner"
    PARENT = "parent"
    OBJECTIVE = "objective"
    KIND = "kind"
    START = "start"
    TARGET = "target"
    UNIT = "unit"
    CO_OWNERS = "co_owners"
    TEAMS = "teams"
    WEIGHT = "weight"
    DUE = "due"
    ARCHIVE = "archive"
    # team settings
    CHANNEL = "channel"
    TIMEZONE = "timezone"
    CHECKIN_DAY = "checkin_day"
    CHECKIN_TIME = "checkin_time"
    CADENCE = "cadence"
    DIGEST_DAY = "digest_day"
    DIGEST_TIME = "digest_time"
    NUDGE_HOURS = "nudge_hours"
    MENTION = "mention"
    LATE_LIMIT = "late_limit"


Choice = tuple[str, str]  # (value, label)


@dataclass(frozen=True)
class ObjectiveForm:
    """What the objective modal offers; `objective_id` set means editing."""

    teams: tuple[Choice, ...]
    parents: tuple[Choice, ...]
    initial: dict[str, Any] = field(default_factory=dict)
    objective_id: int | None = None


@dataclass(frozen=True)
class KRForm:
    """What the KR modal offers; `owner_only` limits an edit to the title (the KR owner's rights)."""

    objectives: tuple[Choice, ...]
    teams: tuple[Choice, ...]
    initial: dict[str, Any] = field(default_factory=dict)
    kr_id: int | None = None
    owner_only: bool = False


@dataclass(frozen=True)
class SettingsForm:
    team_id: int
    team_name: str
    initial: dict[str, Any] = field(default_factory=dict)
