"""Every action_id, block_id and callback_id, shared by the builders and the listeners."""

import json
from enum import StrEnum


class Action(StrEnum):
    # check-in prompt
    UPDATE_KR = "okr.checkin.update"
    NO_CHANGE = "okr.checkin.no_change"
    SNOOZE = "okr.checkin.snooze"
    EDIT_CHECKIN = "okr.checkin.edit"
    UNDO_CHECKIN = "okr.checkin.undo"
    USE_AS_COMMENT = "okr.checkin.use_as_comment"
    CONFIRM_REPLY = "okr.checkin.confirm_reply"  # an unsure thread reply: record what was understood
    EDIT_REPLY = "okr.checkin.edit_reply"  # an unsure thread reply: open the form prefilled with it


class Callback(StrEnum):
    CHECKIN_MODAL = "okr.checkin.modal"


class Block(StrEnum):
    # check-in modal fields
    VALUE = "value"
    CONFIDENCE = "confidence"
    COMMENT = "comment"
    BLOCKERS = "blockers"
    KR = "kr"


class ViewAction(StrEnum):
    """/okr view commands, the Home tab and OKR editing."""

    SHOW_MORE = "okr.views.more"
    PICK_TEAM = "okr.views.pick_team"
    EDIT_KR = "okr.edit.kr"
    EDIT_OBJECTIVE = "okr.edit.objective"
    REVIEW_NOTES = "okr.home.review_notes"
    OPEN_CYCLE = "okr.home.cycle_open"
    CLOSE_CYCLE = "okr.home.cycle_close"


class ViewCallback(StrEnum):
    NEW_OBJECTIVE = "okr.edit.new_objective"
    NEW_KR = "okr.edit.new_kr"
    EDIT_OBJECTIVE = "okr.edit.objective_modal"
    EDIT_KR = "okr.edit.kr_modal"
    SETTINGS = "okr.settings.modal"
    REVIEW_PEOPLE = "okr.home.review_people"


class DigestId(StrEnum):
    """Digests, review notes and scoring (issue 4)."""

    ADD_NOTE = "okr.digest.add_note"  # button on a person's section in a manager digest
    NOTE_MODAL = "okr.digest.note_modal"  # callback_id of the Add review note modal
    NOTE_BODY = "okr.notes.body"  # block id; equals bot.services.notes.BODY_FIELD
    NOTE_BODY_INPUT = "okr.notes.body_input"
    NOTE_VISIBILITY = "okr.notes.visibility"
    NOTE_VISIBILITY_INPUT = "okr.notes.visibility_input"
    SCORE_PICK = "okr.digest.score"  # static select per KR in the score prompt


class CycleForm(StrEnum):
    """The Home tab's Open a cycle modal."""

    OPEN_MODAL = "okr.cycle.open_modal"
    NAME = "okr.cycle.name"
    START = "okr.cycle.start"
    END = "okr.cycle.end"
    CARRY = "okr.cycle.carry"


def kr_button_value(kr_id: int, ledger_id: int | None = None) -> str:
    """The one value of an Update / No change button, on every surface: the KR and, from a prompt, its ledger row."""
    return json.dumps({"kr": kr_id, "l": ledger_id} if ledger_id is not None else {"kr": kr_id})


def parse_kr_button_value(raw: str) -> tuple[int, int | None]:
    """(kr id, ledger id or None) from `kr_button_value`. A bare number is still read as a KR id, because
    dashboards and Home tabs rendered before this format was shared are still on people's screens."""
    if raw.strip().isdigit():
        return int(raw), None
    value = json.loads(raw)
    ledger = value.get("l")
    return int(value["kr"]), int(ledger) if ledger is not None else None
