"""The OKR file format (YAML or JSON): a pure pydantic schema, no I/O.

`load_okr_file` turns text or a dict into a validated `OkrFile`, or raises
`OkrFileInvalid` (an InvalidInput) listing every problem at once, each prefixed with the path of the bad
field (`teams[0].checkin.day: 'mun' is not a weekday`). Field checks come from pydantic;
references between parts of the file (teams, parents, duplicates) are checked in
bot.services.okr_io.okr_file_checks so they are reported even when other fields are broken.
The format is documented in docs/yaml-format.md.
"""

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot.okr.types import WEEKDAYS
from bot.services.okr_io.okr_file_checks import OkrFileInvalid, cross_check, format_errors, parse_text, short

__all__ = ["OkrFile", "OkrFileInvalid", "load_okr_file", "normalise"]

# A Slack user id, or a Teams person: "teams:" and their Entra (AAD) object id (bot.services.addresses).
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SLACK_ID = re.compile(rf"^([UW][A-Z0-9]{{2,31}}|teams:{_GUID})$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,31}$")
_TEAMS_CHANNEL_ID = re.compile(r"^19:[A-Za-z0-9_.\-]{1,200}@thread\.(tacv2|skype)$")  # Teams channel conversation
_EMAIL = re.compile(r"^[^@\s:<>]+@[^@\s:<>]+\.[^@\s:<>]+$")
EMAIL = "email:"  # how a person named by email is stored until okrbot maps them (bot.services.okr_io.emails)
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _weekday(value: str) -> str:
    # Private on purpose: bot.okr.cadence owns the shared parser; this keeps the schema standalone.
    text = value.strip().lower()
    for day in WEEKDAYS:
        if text in (day, day[:3]):
            return day
    raise ValueError(f"{short(value)} is not a weekday")


def _hhmm(value: str) -> str:
    m = _HHMM.match(value.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"{short(value)} is not a time (HH:MM, e.g. 10:00)")
    return f"{int(m[1]):02d}:{m[2]}"


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):  # not found, a directory, or a malformed key
        raise ValueError(f"{short(value)} is not a timezone") from None
    return value


def _slack_id(value: str) -> str:
    """A Slack user id, "teams:<Entra object id>", or an email address (a Teams person okrbot maps by email)."""
    if _SLACK_ID.match(value):
        return value
    email = value.removeprefix(EMAIL).lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{short(value)} is not a Slack user id, teams:<Entra object id> or email address")
    if len(EMAIL + email) > 64:
        raise ValueError(f"{short(value)} is too long for an email address here (at most {64 - len(EMAIL)} characters)")
    return EMAIL + email


def _channel_id(value: str) -> str:
    if value.startswith("19:") and not _TEAMS_CHANNEL_ID.match(value):
        raise ValueError(f"{short(value)} is not a Teams channel id (19:…@thread.tacv2)")
    if not (_CHANNEL_ID.match(value) or _TEAMS_CHANNEL_ID.match(value)):
        raise ValueError(f"{short(value)} is not a Slack channel id (C…)")
    return value


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Weekday = Annotated[str, AfterValidator(_weekday)]
HHMM = Annotated[str, AfterValidator(_hhmm)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
SlackId = Annotated[str, BeforeValidator(_text), AfterValidator(_slack_id)]
Name = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=80)]
Title = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=300)]
Ref = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=80)]
Hours = Annotated[int, Field(ge=0, le=24 * 14)]
# NaN and the infinities (`.inf`, `1e309`) would poison every score and export; they are field errors.
Number = Annotated[float, Field(allow_inf_nan=False)]
Kind = Literal["increase", "decrease", "binary", "milestone"]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo like `tagret` must not be silently dropped.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class CycleIn(_Strict):
    name: Name
    start: date
    end: date
    state: Literal["planned", "active", "closed"] = "active"

    @model_validator(mode="after")
    def _ordered(self) -> "CycleIn":
        if self.end < self.start:
            raise ValueError(f"end: {self.end} is before start {self.start}")
        return self


class CheckinIn(_Strict):
    day: Weekday = "monday"
    time: HHMM = "10:00"
    cadence: Literal["weekly", "biweekly"] = "weekly"


class DigestIn(_Strict):
    day: Weekday = "friday"
    time: HHMM = "16:00"


class TeamIn(_Strict):
    name: Name
    platform: Literal["slack", "teams"] = "slack"  # where the team's people get their prompts
    channel: Annotated[str, BeforeValidator(_text), AfterValidator(_channel_id)] | None = None
    timezone: TimeZone = "UTC"
    managers: list[SlackId] = []
    members: list[SlackId] = []
    checkin: CheckinIn = CheckinIn()
    digest: DigestIn = DigestIn()
    nudge_hours: Hours = 24
    mention_missing: bool = False
    late_limit_hours: Hours = 6
    recent_checkin_days: Annotated[int, Field(ge=0, le=90)] = 3

    @model_validator(mode="after")
    def _people_on_its_platform(self) -> "TeamIn":
        # A Teams person is "teams:<Entra object id>" (they get their prompts in Teams); a Slack person is U…/W….
        # People named by email are Teams people (okrbot maps them from the Teams roster, docs/teams.md).
        teams_side = ("teams:", EMAIL)
        wrong = [p for p in self.managers + self.members if p.startswith(teams_side) != (self.platform == "teams")]
        if wrong:
            want = "teams:<Entra object id> or an email" if self.platform == "teams" else "a Slack user id (U…)"
            raise ValueError(f"{short(wrong[0])} is not {want}, as platform: {self.platform} needs")
        if self.channel and bool(_TEAMS_CHANNEL_ID.match(self.channel)) != (self.platform == "teams"):
            want = "a Teams channel id (19:…@thread.tacv2)" if self.platform == "teams" else "a Slack channel id (C…)"
            raise ValueError(f"channel: {short(self.channel)} is not {want}, as platform: {self.platform} needs")
        return self


class CheckInEntry(_Strict):
    """One past check-in, as `okrbot export --history` writes it; imported only into a KR that has none."""

    at: AwareDatetime
    by: SlackId
    value: Number
    confidence: Literal["on_track", "at_risk", "off_track"]
    comment: Annotated[str, Field(max_length=40_000)] = ""
    blockers: Annotated[str, Field(max_length=40_000)] = ""


class KeyResultIn(_Strict):
    title: Title
    owner: SlackId
    ref: Ref | None = None
    kind: Kind | None = None  # omitted: increase or decrease, read from start and target
    start: Number | None = None
    target: Number | None = None
    current: Number | None = None
    unit: Annotated[str, Field(max_length=20)] = ""
    weight: Annotated[Number, Field(ge=0)] = 1.0
    due: date | None = None
    co_owners: list[SlackId] = []
    teams: list[Name] = []
    score: Annotated[Number, Field(ge=0, le=1)] | None = None
    archived: bool = False
    history: list[CheckInEntry] = []
    # The latest check-in (its confidence, comment and blockers), as a plain `okrbot export` writes it.
    last_checkin: CheckInEntry | None = None

    @model_validator(mode="after")
    def _defaults_and_direction(self) -> "KeyResultIn":
        if self.history and self.last_checkin and self.last_checkin not in self.history:
            raise ValueError("last_checkin: must be one of its history entries (or leave it out)")
        if self.kind == "binary":
            self.start = 0.0 if self.start is None else self.start
            self.target = 1.0 if self.target is None else self.target
        self.start = 0.0 if self.start is None else self.start
        if self.target is None:
            raise ValueError("target: is required unless the kind is binary")
        if self.kind is None:
            # {start: 120, target: 60} means "bring it down": say `kind:` only to be explicit.
            if self.target == self.start:
                raise ValueError(f"target: {self.target:g} must differ from start {self.start:g}")
            self.kind = "decrease" if self.target < self.start else "increase"
        if self.kind == "decrease" and self.target >= self.start:
            raise ValueError(f"target: {self.target:g} must be below start {self.start:g} for a decrease")
        if self.kind in ("increase", "milestone") and self.target <= self.start:
            raise ValueError(f"target: {self.target:g} must be above start {self.start:g} for an {self.kind}")
        return self


class ObjectiveIn(_Strict):
    title: Title
    team: Name
    ref: Ref | None = None
    description: str = ""
    owner: SlackId | None = None
    parent: Annotated[str, BeforeValidator(_text)] | None = None
    archived: bool = False
    key_results: list[KeyResultIn] = []


class PersonIn(_Strict):
    id: SlackId
    name: str = ""
    tz: TimeZone | None = None
    # Line manager: whose review notes about this person they may read. Left out = keep the stored one;
    # `manager: null` clears it (then the managers of the teams they are a member of apply).
    manager: SlackId | None = None


def _person_entry(value: Any) -> Any:
    # `people: [U0ALICE]` is shorthand for `{id: U0ALICE}`.
    return {"id": value} if isinstance(value, str) else value


class OkrFile(_Strict):
    cycle: CycleIn
    teams: list[TeamIn] = []
    people: list[Annotated[PersonIn, BeforeValidator(_person_entry)]] = []
    objectives: list[ObjectiveIn] = []
    # Accepted so an export made with --include-review-notes can be read back, but never imported.
    review_notes: list[Any] = []


_VOCABULARY = frozenset(
    name
    for m in (CycleIn, CheckinIn, DigestIn, TeamIn, CheckInEntry, KeyResultIn, ObjectiveIn, PersonIn, OkrFile)
    for name in m.model_fields
)


def load_okr_file(data: dict | str, *, known_teams: frozenset[str] = frozenset()) -> OkrFile:
    """Parse and validate an OKR file; raise OkrFileInvalid with every problem found."""
    raw = parse_text(data) if isinstance(data, str) else data
    if not isinstance(raw, dict):
        raise OkrFileInvalid(["the file must be a mapping with cycle:, teams: and objectives: at the top"])
    errors: list[str] = []
    parsed = None
    try:
        parsed = OkrFile.model_validate(raw)
    except ValidationError as exc:
        errors += format_errors(exc, vocabulary=_VOCABULARY)
    # References are checked on the raw data so they are reported alongside field errors.
    errors += cross_check(raw, known_teams=known_teams)
    if errors or parsed is None:
        raise OkrFileInvalid(errors)
    return parsed


def normalise(okr_file: OkrFile) -> dict:
    """A canonical plain dict, for comparing two files regardless of key order and defaults."""
    out = okr_file.model_dump(mode="json", exclude={"review_notes"})
    out["teams"] = sorted(out["teams"], key=lambda t: t["name"].lower())
    out["people"] = sorted(out["people"], key=lambda p: p["id"])
    for team in out["teams"]:
        team["managers"], team["members"] = sorted(set(team["managers"])), sorted(set(team["members"]))
    for obj in out["objectives"]:
        for kr in obj["key_results"]:
            kr["co_owners"] = sorted(set(kr["co_owners"]))
            # the objective's own team always contributes; listing it is optional
            kr["teams"] = sorted({t.lower() for t in kr["teams"]} - {obj["team"].lower()})
    return out
