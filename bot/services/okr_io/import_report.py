"""What an import did, said in the OKR file's own words.

A change line names the field as the file spells it (`target`, `checkin.day`, `teams`), never the database
column behind it (`target_value`, `checkin_day`, `team_ids`), and shows values as the file would
(`monday`, team names), so a person can find the line to edit. The audit table keeps the column names.
"""

from dataclasses import dataclass, field
from typing import Any

from bot.okr.types import WEEKDAYS


@dataclass
class ImportReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)  # one line per created or updated thing
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # things the person should act on (e.g. not in the file)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


# database column -> the OKR file's field (docs/yaml-format.md); columns named like their field are left out
FILE_FIELDS = {
    "display_name": "name",
    "manager_id": "manager",
    "owner_id": "owner",
    "start_value": "start",
    "target_value": "target",
    "current_value": "current",
    "due_date": "due",
    "team_id": "team",
    "team_ids": "teams",
    "parent_id": "parent",
    "checkin_day": "checkin.day",
    "checkin_time": "checkin.time",
    "cadence": "checkin.cadence",
    "digest_day": "digest.day",
    "digest_time": "digest.time",
    "position": "order",  # the place in the file's list
}


@dataclass
class Names:
    """Ids the database holds, as the file names them: teams by name, objectives by ref or title."""

    teams: dict[int, str] = field(default_factory=dict)
    objectives: dict[int, str] = field(default_factory=dict)

    def value(self, column: str, value: Any) -> Any:
        if value is None:
            return None
        if column in ("checkin_day", "digest_day"):
            return WEEKDAYS[value]
        if column == "team_id":
            return self.teams.get(value, value)
        if column == "team_ids":
            return [self.teams.get(t, t) for t in value]
        if column == "parent_id":
            return self.objectives.get(value, value)
        if column == "position":
            return value + 1
        return value


def show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):  # as the file writes it
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def change_line(label: str, changes: list[tuple[str, Any, Any]], names: Names) -> str:
    """`~ key result 'X': target 25 -> 30, teams [Growth] -> [Growth, Platform]`."""
    shown = (
        f"{FILE_FIELDS.get(column, column)} {show(names.value(column, old))} -> {show(names.value(column, new))}"
        for column, old, new in changes
    )
    return f"~ {label}: " + ", ".join(shown)
