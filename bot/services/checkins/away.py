"""`/okr away until YYYY-MM-DD [delegate @person]`, `/okr back` and `/okr next`.

Away is inclusive: away until 2027-01-15 means no prompts or nudges through the 15th (in the
person's own timezone); prompts resume from the 16th. With a delegate, the delegate gets the
prompts instead, in the delegate's timezone, labelled as covering for the person.
"""

import re
from datetime import date, datetime, time, timedelta

from bot.okr.cadence import next_due
from bot.okr.messages import Notice
from bot.okr.messages.checkins import AwayNotice
from bot.services.checkins.prompts import asked_people, slot_for, zone_for
from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from storage import cycles, people, teams
from storage.models import Team

USAGE = "Use `/okr away until YYYY-MM-DD` or `/okr away until YYYY-MM-DD delegate @person`."


def read_away(args: str, *, delegate: str) -> tuple[date, str | None]:
    """`until YYYY-MM-DD [delegate WHO]` -> the date and WHO as written (each platform says how a person is
    written, `delegate` being its regex, and resolves them); InvalidInput says what is wrong."""
    match = re.fullmatch(rf"until\s+(?P<date>\S+)(?:\s+delegate\s+(?P<delegate>{delegate}))?\s*", args.strip(), re.I)
    if match is None:
        raise InvalidInput(f"I couldn't read that. {USAGE}")
    try:
        until = date.fromisoformat(match["date"])
    except ValueError:
        raise InvalidInput(f"'{match['date'][:40]}' is not a date. {USAGE}") from None
    return until, match["delegate"] or None


async def go_away(svc: Services, *, user_id: str, until: date, delegate: str | None) -> AwayNotice:
    """Mark the person away through a date (inclusive), optionally naming a delegate for their prompts."""
    if delegate == user_id:
        raise InvalidInput("You can't delegate to yourself; leave out the delegate instead.")
    async with svc.db.transaction() as session:
        person = await people.upsert_person(session=session, id=user_id)
        today = svc.now().astimezone(zone_for(person, _utc_team())).date()
        if until < today:
            raise InvalidInput(f"{until:%a %-d %b %Y} is in the past. {USAGE}")
        latest, why = _latest_away(await cycles.active_cycle(session=session), today)
        if until > latest:
            raise InvalidInput(
                f"{until:%a %-d %b %Y} is too far ahead: you can be away through {latest:%a %-d %b %Y} at most "
                f"({why}). Set it again when that comes."
            )
        if delegate:
            await people.ensure_people(session=session, ids=[delegate])
        person.away_until, person.delegate_id = until, delegate
    return AwayNotice(until=until, delegate_id=delegate)


async def come_back(svc: Services, *, user_id: str) -> Notice:
    """Clear away and delegate."""
    async with svc.db.transaction() as session:
        person = await people.upsert_person(session=session, id=user_id)
        was_away = person.away_until is not None
        person.away_until, person.delegate_id = None, None
    if not was_away:
        return Notice("You weren't marked away; nothing changed.")
    return Notice("Welcome back! Your check-in prompts come to you again.", ":wave:")


async def next_prompt(svc: Services, *, user_id: str) -> Notice:
    """When the person will next be asked, in their local time, and about which KRs."""
    now = svc.now()
    async with svc.db.transaction() as session:
        cycle = await cycles.active_cycle(session=session)
        if cycle is None:
            raise NotFound("There is no active OKR cycle, so no check-in is scheduled.")
        team_by_id = {t.id: t for t in await teams.list_teams(session=session)}
        mine = (await asked_people(session, cycle.id, team_by_id)).get(user_id)
        if mine is None:
            raise NotFound("You don't own any key results in the active cycle, so you won't be asked.")
        krs, team_id = mine
        team = team_by_id[team_id]
        person = await people.upsert_person(session=session, id=user_id)
    zone = zone_for(person, team)
    start = now
    if person.away_until and not person.delegate_id:
        start = max(now, _midnight_after(person.away_until, zone))
    occ = next_due(slot_for(team, cycle), zone, start, window=(cycle.start, cycle.end))
    titles = "\n".join(f"• {kr.title}" for kr in krs)
    if occ is None:
        return Notice(f"No more check-ins this cycle ({cycle.name} ends {cycle.end:%-d %b}).")
    local = occ.due_utc.astimezone(zone)
    away = ""
    if person.away_until and person.away_until >= now.astimezone(zone).date():
        away = f" (you're away through {person.away_until:%-d %b}" + (
            ", your delegate is asked meanwhile)" if person.delegate_id else ")"
        )
    when = f"{local:%A %-d %b} at {local:%H:%M} ({zone.key})"
    return Notice(f"Your next check-in: {when}{away}, about:\n{titles}", ":calendar:")


def _latest_away(cycle, today: date) -> tuple[date, str]:
    """The last day `/okr away` accepts: the active cycle's end, else a year from today.

    Without a bound, 9999-12-31 overflows every "day after" computation (the next prompt, the nudges).
    """
    if cycle is not None and cycle.end >= today:
        return cycle.end, f"the end of the {cycle.name} cycle"
    return today + timedelta(days=365), "a year from today"


def _midnight_after(day: date, zone):
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _utc_team():
    return Team(name="", timezone="UTC")
