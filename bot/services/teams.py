"""Team settings from Slack (digest channel, timezone, check-in and digest schedule, nudges): managers and admins."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.okr import cadence
from bot.okr.messages.forms import FormField as F
from bot.okr.messages.forms import SettingsForm
from bot.okr.types import Cadence
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from bot.services.kernel.lookups import find_team
from bot.services.kernel.permissions import require_manage_team
from bot.services.kernel.validate import Checker
from storage import audit, teams
from storage.models import Team

DAYS = {str(i) for i in range(7)}


def _initial(team: Team) -> dict:
    return {
        F.CHANNEL: team.channel,
        F.TIMEZONE: team.timezone,
        F.CHECKIN_DAY: str(team.checkin_day),
        F.CHECKIN_TIME: team.checkin_time,
        F.CADENCE: team.cadence,
        F.DIGEST_DAY: str(team.digest_day),
        F.DIGEST_TIME: team.digest_time,
        F.NUDGE_HOURS: str(team.nudge_hours),
        F.MENTION: "yes" if team.mention_missing else "no",
        F.LATE_LIMIT: str(team.late_limit_hours),
    }


async def settings_form(svc: Services, *, user_id: str, team_name: str = "") -> SettingsForm:
    """The settings modal's current values, for a team the person manages (the named one, or their only one)."""
    async with svc.db.read() as session:  # a modal opening: it must not queue behind the writers
        if team_name:
            team = await find_team(session, team_name)
        else:
            managed = await teams.teams_managed_by(session=session, person_id=user_id)
            if len(managed) != 1:
                names = ", ".join(t.name for t in managed)
                hint = f"Name the team: `/okr settings <team>` (you manage {names})." if managed else ""
                raise InvalidInput(
                    hint or "Only a team's managers can change its settings. Try `/okr settings <team>`."
                )
            team = managed[0]
        await require_manage_team(session, user_id=user_id, team_id=team.id, admins=svc.admins)
        return SettingsForm(team_id=team.id, team_name=team.name, initial=_initial(team))


def _zone(c: Checker) -> str | None:
    name = (c.values.get(F.TIMEZONE) or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        c.fail(F.TIMEZONE, f"“{name[:40]}” isn't a timezone; use a name like Europe/Berlin.")
        return None
    return name


def _hhmm(c: Checker, name: str) -> str | None:
    try:
        return cadence.parse_hhmm(c.values.get(name) or "").strftime("%H:%M")
    except ValueError:
        c.fail(name, "Use a 24-hour time like 09:30.")
        return None


def _hours(c: Checker, name: str, top: int) -> int | None:
    value = c.number(name)
    if value is None or value != int(value) or not 0 <= value <= top:
        c.fail(name, f"A whole number of hours from 0 to {top}.")
        return None
    return int(value)


def _validate(values: dict) -> dict:
    c = Checker(values)
    changes = {
        "channel": values.get(F.CHANNEL) or None,
        "timezone": _zone(c),
        "checkin_day": c.choice(F.CHECKIN_DAY, DAYS),
        "checkin_time": _hhmm(c, F.CHECKIN_TIME),
        "cadence": c.choice(F.CADENCE, {k.value for k in Cadence}),
        "digest_day": c.choice(F.DIGEST_DAY, DAYS),
        "digest_time": _hhmm(c, F.DIGEST_TIME),
        "nudge_hours": _hours(c, F.NUDGE_HOURS, 168),
        "mention_missing": c.choice(F.MENTION, {"yes", "no"}) == "yes",
        "late_limit_hours": _hours(c, F.LATE_LIMIT, 72),
    }
    c.done()
    for day in ("checkin_day", "digest_day"):
        changes[day] = int(changes[day])
    return changes


async def save_settings(svc: Services, *, user_id: str, team_id: int, values: dict) -> None:
    """Validate and store the team's settings; each change goes into the audit trail."""
    async with svc.db.transaction() as session:
        team = await teams.get_team(session=session, team_id=team_id)
        if team is None:
            raise NotFound("That team no longer exists.")
        await require_manage_team(session, user_id=user_id, team_id=team.id, admins=svc.admins)
        for name, new in _validate(values).items():
            old = getattr(team, name)
            if old != new:
                setattr(team, name, new)
                await audit.record(
                    session=session, actor_id=user_id, entity="team", entity_id=team.id, field=name, old=old, new=new,
                    at=svc.now(),
                )  # fmt: skip
        await session.flush()
