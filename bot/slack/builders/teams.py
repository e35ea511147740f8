"""The team settings modal. Block ids are FormField names, validated by bot.services.teams."""

import json

from slack_sdk.models.blocks import Block, ConversationSelectElement, InputBlock, TimePickerElement
from slack_sdk.models.views import View

from bot.okr.messages.forms import FormField as F
from bot.okr.messages.forms import SettingsForm
from bot.okr.types import WEEKDAYS
from bot.slack.builders.okrs.modals import select, text_input
from bot.slack.ids import ViewCallback

COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Stockholm", "Europe/Warsaw", "Europe/Helsinki", "Europe/Athens",
    "Europe/Istanbul", "Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata",
    "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Sydney", "Pacific/Auckland",
    "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Mexico_City", "America/New_York",
    "America/Toronto", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage",
    "Pacific/Honolulu",
)  # fmt: skip
DAY_CHOICES = tuple((str(i), d.capitalize()) for i, d in enumerate(WEEKDAYS))


def _time(field: F, label: str, initial: str | None) -> InputBlock:
    return InputBlock(block_id=field, label=label, element=TimePickerElement(action_id=field, initial_time=initial))


def build_settings_modal(form: SettingsForm) -> View:
    i = form.initial
    zones = tuple((z, z) for z in dict.fromkeys((*COMMON_ZONES, i.get(F.TIMEZONE) or "UTC")))
    channel = ConversationSelectElement(
        action_id=F.CHANNEL,
        placeholder="Pick a channel",
        initial_conversation=i.get(F.CHANNEL) or None,
        filter={"include": ["public", "private"], "exclude_bot_users": True},
    )
    blocks: list[Block] = [
        InputBlock(block_id=F.CHANNEL, label="Digest channel", element=channel, optional=True),
        select(F.TIMEZONE, "Team timezone", zones, i.get(F.TIMEZONE)),
        select(F.CHECKIN_DAY, "Check-in day", DAY_CHOICES, i.get(F.CHECKIN_DAY)),
        _time(F.CHECKIN_TIME, "Check-in time (each owner's own timezone)", i.get(F.CHECKIN_TIME)),
        select(F.CADENCE, "Cadence", (("weekly", "Every week"), ("biweekly", "Every other week")), i.get(F.CADENCE)),
        select(F.DIGEST_DAY, "Digest day", DAY_CHOICES, i.get(F.DIGEST_DAY)),
        _time(F.DIGEST_TIME, "Digest time (team timezone)", i.get(F.DIGEST_TIME)),
        text_input(F.NUDGE_HOURS, "Nudge after (hours, 0 = never)", i.get(F.NUDGE_HOURS)),
        select(F.MENTION, "Mention people missing from the digest?", (("yes", "Yes"), ("no", "No")), i.get(F.MENTION)),
        text_input(F.LATE_LIMIT, "Skip prompts later than (hours)", i.get(F.LATE_LIMIT)),
    ]
    return View(
        type="modal",
        callback_id=ViewCallback.SETTINGS,
        title="Team settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"team_id": form.team_id}),
    )
