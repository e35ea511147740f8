"""Plain domain vocabulary shared by every layer above storage."""

from enum import StrEnum


class Confidence(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class KRKind(StrEnum):
    INCREASE = "increase"  # move a number up from start to target
    DECREASE = "decrease"  # move a number down from start to target
    BINARY = "binary"  # done (1) / not done (0)
    MILESTONE = "milestone"  # count of milestones reached out of target


class Pacing(StrEnum):
    """How actual progress compares with straight-line expected progress."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    TOO_EARLY = "too_early"  # too little of the cycle has passed to judge (bot.okr.progress.pace_judged)

    @property
    def label(self) -> str:
        return "too early to tell" if self is Pacing.TOO_EARLY else self.value.replace("_", " ")


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


class CheckInSource(StrEnum):
    BUTTON = "button"
    MODAL = "modal"
    THREAD = "thread"
    COMMAND = "command"
    IMPORT = "import"
    API = "api"


class CycleState(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class NoteVisibility(StrEnum):
    PRIVATE = "private"  # only the author (and admins/HR)
    SHARED = "shared"  # also the subject, in their own DM


class SendKind(StrEnum):
    """Kinds of scheduled sends recorded in the ledger, one per (recipient, kind, period)."""

    PROMPT = "prompt"
    NUDGE = "nudge"
    DIGEST = "digest"
    MANAGER_DIGEST = "manager_digest"
    SCORE_PROMPT = "score_prompt"
    # The "how to check in" answer to a top-level DM: one row per person per UTC hour, only so that a burst of
    # messages gets one answer; housekeeping drops these after a couple of days (they guard nothing then).
    DM_HELP = "dm_help"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
