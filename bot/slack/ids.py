"""Every action_id, block_id and callback_id, shared by the builders and the listeners."""

from enum import StrEnum


class Action(StrEnum):
    # check-in prompt
    UPDATE_KR = "okr.checkin.update"
    NO_CHANGE = "okr.checkin.no_change"
    SNOOZE = "okr.checkin.snooze"
    EDIT_CHECKIN = "okr.checkin.edit"
    UNDO_CHECKIN = "okr.checkin.undo"
    USE_AS_COMMENT = "okr.checkin.use_as_comment"
    PICK_KR = "okr.checkin.pick_kr"


class Callback(StrEnum):
    CHECKIN_MODAL = "okr.checkin.modal"


class Block(StrEnum):
    # check-in modal fields
    VALUE = "value"
    CONFIDENCE = "confidence"
    COMMENT = "comment"
    BLOCKERS = "blockers"
    KR = "kr"
