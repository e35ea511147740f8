"""A person sets their own time zone (`okr timezone Europe/Berlin`): prompts come at the team's time there.

For a platform that does not tell okrbot a person's zone up front (Teams sends `localTimezone` only with the
person's own activities), so the weekly prompt is not at the wrong hour until it does. Whatever the platform
later reports replaces it (Teams' `localTimezone`, Slack's users.list): it follows the person's device.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.okr.messages import Notice
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput
from storage import people

USAGE = "Write a time zone name, for example: okr timezone Europe/Berlin (or America/New_York, Asia/Kolkata, UTC)."


def zone_name(name: str) -> str:
    """The zone's canonical name (any case); InvalidInput with an example when it is not one."""
    text = name.strip()
    if not text:
        raise InvalidInput(USAGE)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        matches = sorted(z for z in available_timezones() if z.lower() == text.lower())
        if not matches:
            raise InvalidInput(f"{text[:60]!r} is not a time zone okrbot knows. {USAGE}") from None
        text = matches[0]  # europe/berlin -> Europe/Berlin
    return text


async def set_timezone(svc: Services, *, user_id: str, name: str) -> Notice:
    """Store the person's zone (validated with zoneinfo); says what changed."""
    zone = zone_name(name)
    async with svc.db.transaction() as session:
        person = await people.upsert_person(session=session, id=user_id)
        before, person.tz = person.tz, zone
    if before == zone:
        return Notice(f"Your time zone was already {zone}; nothing changed.")
    now = svc.now().astimezone(ZoneInfo(zone))
    return Notice(
        f"Your time zone is now {zone} (it is {now:%H:%M} there). Your check-in prompts come at your team's "
        "check-in time in this zone.",
        ":white_check_mark:",
    )
