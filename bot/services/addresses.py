"""Where to reach a person on a second platform (Teams): remember it from their activities, look it up to send.

A Teams person is the person row "teams:<AAD object id>", so the tick, the ledger ("teams:<aad>" recipient
keys) and every service treat them like anyone else; only the notifier asks here where their chat is.
A 1:1 chat has no threads, so a plain message there answers the newest prompt sent into that chat.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.kernel.context import Services
from bot.services.kernel.errors import NotFound
from bot.services.kernel.inbox import DmMessage
from storage import people, teams, teams_addresses
from storage.db import Database

TEAMS_PERSON = "teams:"
TEAMS_CHAT = "teams-chat:"
TEAMS_CHANNEL = "teams-channel:"  # + the team's id: a team's Teams digest channel, as the ledger holds it
TEAMS_CONVERSATION = "19:"  # a Teams channel's conversation id, as the OKR file names it (team.channel)
EMAIL_PERSON = "email:"  # a person the OKR file names by email, not yet mapped (Teams-side: bot.services.roster)


@dataclass(frozen=True)
class TeamsContact:
    """Who wrote (or installed the app), and the conversation reference to write back to them."""

    aad_object_id: str
    user_id: str  # "29:..."
    tenant_id: str
    conversation_id: str
    service_url: str
    name: str = ""
    tz: str | None = None  # the activity's localTimezone


@dataclass(frozen=True)
class TeamsChannelSeen:
    """A team's channel conversations an activity came from (team scope), and the service URL it came with."""

    conversation_ids: tuple[str, ...]  # the team's id (its General channel), the channel's, the conversation's
    team_id: str
    tenant_id: str
    service_url: str


@dataclass(frozen=True)
class TeamsAddress:
    person_id: str
    channel: str  # "teams-chat:<id>": what Delivery.channel and the ledger hold
    conversation_id: str
    service_url: str
    blocked: bool = False  # Teams refused a send with 403 MessageWritesBlocked; cleared by their next activity
    user_id: str = ""  # "29:...", to open the chat when a roster gave okrbot the person but no chat yet
    tenant_id: str = ""


def teams_person_id(aad_object_id: str) -> str:
    return TEAMS_PERSON + aad_object_id


def is_teams(key: str) -> bool:
    """A person id or channel that lives on Teams."""
    return key.startswith((TEAMS_PERSON, TEAMS_CHAT, TEAMS_CHANNEL, TEAMS_CONVERSATION, EMAIL_PERSON))


def _known_zone(name: str | None) -> str | None:
    try:
        return name if name and ZoneInfo(name) else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # a zone this machine does not know keeps the stored one (or the team's)


async def remember(svc: Services, contact: TeamsContact) -> TeamsAddress:
    """Store the person (name, zone) and their chat; every activity refreshes both."""
    async with svc.db.transaction() as session:
        return await _remember(session, svc.now(), contact)


async def remember_all(svc: Services, contacts: list[TeamsContact]) -> None:
    """`remember` for many people in one transaction (a roster's newcomers)."""
    async with svc.db.transaction() as session:
        for contact in contacts:
            await _remember(session, svc.now(), contact)


async def _remember(session, at: datetime, contact: TeamsContact) -> TeamsAddress:
    person_id = teams_person_id(contact.aad_object_id)
    person = await people.upsert_person(session=session, id=person_id, tz=_known_zone(contact.tz))
    if contact.name and not person.display_name:
        person.display_name = contact.name
    row = await teams_addresses.upsert_address(
        session=session,
        person_id=person_id,
        aad_object_id=contact.aad_object_id,
        user_id=contact.user_id,
        tenant_id=contact.tenant_id,
        conversation_id=contact.conversation_id,
        service_url=contact.service_url,
        at=at,
    )
    return TeamsAddress(
        person_id, TEAMS_CHAT + str(row.id), row.conversation_id, row.service_url, tenant_id=row.tenant_id
    )


async def remember_channel(svc: Services, seen: TeamsChannelSeen) -> None:
    """Store the service URL Teams gave for the team's channels: the team digest is posted there."""
    async with svc.db.transaction() as session:
        for conversation_id in seen.conversation_ids:
            await teams_addresses.upsert_channel(
                session=session,
                conversation_id=conversation_id,
                team_id=seen.team_id,
                tenant_id=seen.tenant_id,
                service_url=seen.service_url,
                at=svc.now(),
            )


async def find(db: Database, key: str) -> TeamsAddress | None:
    """The address for a Teams person id or chat key; None when the person never installed the app."""
    async with db.read() as session:  # a read: the notifier may be asked while a unit of work is open elsewhere
        if key.startswith((TEAMS_CHANNEL, TEAMS_CONVERSATION)):
            return await _channel(session, key)
        if key.startswith(TEAMS_CHAT):
            raw = key.removeprefix(TEAMS_CHAT)
            row = await teams_addresses.address_by_id(session=session, address_id=int(raw)) if raw.isdigit() else None
        else:
            row = await teams_addresses.address_of_person(session=session, person_id=key)
        if row is None:
            return None
        channel = TEAMS_CHAT + str(row.id)
        blocked = row.blocked_at is not None
        return TeamsAddress(
            row.person_id, channel, row.conversation_id, row.service_url, blocked, row.user_id, row.tenant_id
        )


async def _channel(session, key: str) -> TeamsAddress | None:
    """A team's Teams digest channel, at the service URL Teams gave with an activity from that channel (the app's
    install in the team, an @mention there). Until okrbot has seen one: the URL Teams gave a person of the team in
    their 1:1 chat (the connector endpoint is per tenant and region, so the same in practice; docs/teams.md)."""
    if key.startswith(TEAMS_CHANNEL):
        raw = key.removeprefix(TEAMS_CHANNEL)
        team = await teams.get_team(session=session, team_id=int(raw)) if raw.isdigit() else None
    else:
        team = next((t for t in await teams.list_teams(session=session) if t.channel == key), None)
    if team is None or team.platform != "teams" or not team.channel:
        return None
    own = await teams_addresses.channel_by_conversation(session=session, conversation_id=team.channel)
    if own is not None:
        return TeamsAddress("", TEAMS_CHANNEL + str(team.id), team.channel, own.service_url, tenant_id=own.tenant_id)
    people_ids = [*await teams.managers_of(session=session, team_id=team.id)]
    people_ids += await teams.members_of(session=session, team_id=team.id)
    for person_id in people_ids:
        row = await teams_addresses.address_of_person(session=session, person_id=person_id)
        if row is not None:
            return TeamsAddress(
                "", TEAMS_CHANNEL + str(team.id), team.channel, row.service_url, tenant_id=row.tenant_id
            )
    return None


async def set_conversation(db: Database, address: TeamsAddress, *, conversation_id: str) -> TeamsAddress:
    """The 1:1 chat okrbot opened for someone it knew only from a roster (stored with no chat yet)."""
    async with db.transaction() as session:
        await teams_addresses.set_conversation(
            session=session, address_id=int(address.channel.removeprefix(TEAMS_CHAT)), conversation_id=conversation_id
        )
    return replace(address, conversation_id=conversation_id)


async def mark_blocked(db: Database, address: TeamsAddress, *, at: datetime) -> None:
    """Teams will not take okrbot's messages in this chat: send nothing more until the person writes again."""
    async with db.transaction() as session:
        await teams_addresses.mark_blocked(
            session=session, address_id=int(address.channel.removeprefix(TEAMS_CHAT)), at=at
        )


async def chat_message(svc: Services, address: TeamsAddress, *, text: str, activity_id: str) -> DmMessage:
    """A 1:1 chat message as the DM router sees it: a reply to the newest prompt in that chat."""
    async with svc.db.transaction() as session:
        prompt_ts = await teams_addresses.latest_prompt_ts(session=session, channel=address.channel)
    return DmMessage(
        user_id=address.person_id,
        channel=address.channel,
        text=text,
        ts=activity_id,
        thread_ts=prompt_ts,
        event_id=None,
    )


async def person_of_mention(svc: Services, *, user_id: str, aad_object_id: str | None, name: str = "") -> str:
    """The person a Teams @mention names: by their Entra object id when Teams sent it, else by their 29: id.

    Someone okrbot has no row for (not in the OKR file, never wrote to okrbot, not read from a roster) is
    NotFound: their KRs would be empty, and as a delegate they could not be reached."""
    async with svc.db.read() as session:
        if aad_object_id:
            person = await people.get_person(session=session, person_id=teams_person_id(aad_object_id))
            if person is not None:
                return person.id
        row = await teams_addresses.address_of_user(session=session, user_id=user_id)
    if row is not None:
        return row.person_id
    raise NotFound(
        f"okrbot doesn't know {name or 'that person'} on Teams yet (they are not in the OKR file, have not "
        "installed okrbot, and no team roster listed them). Write their email instead: okr person@example.com."
    )


async def tenant_of(db: Database, person_id: str) -> str | None:
    """The tenant a Teams person's stored address was seen in (an Entra object id lives in one tenant for good)."""
    async with db.read() as session:
        row = await teams_addresses.address_of_person(session=session, person_id=person_id)
    return row.tenant_id if row is not None and row.tenant_id else None


@dataclass(frozen=True)
class TeamRoster:
    """A team of the OKR file whose roster okrbot can read on its platform, and where to ask."""

    team_name: str
    conversation_id: str  # the team's channel (its conversation id lists the team's members)
    service_url: str  # "" while nobody in the team has written to okrbot (no connector address yet)


async def rosters_to_read(svc: Services, *, platform: str) -> tuple[list[TeamRoster], list[str]]:
    """`okrbot teams roster`: the teams on `platform` with a channel (and where to ask), and the names of the rest."""
    async with svc.db.read() as session:
        found = [t for t in await teams.list_teams(session=session) if t.platform == platform]
    ready = [t for t in found if t.channel]
    urls = {t.id: await _service_url(svc, t.id) for t in ready}
    return [TeamRoster(t.name, t.channel, urls[t.id]) for t in ready], [t.name for t in found if not t.channel]


async def _service_url(svc: Services, team_id: int) -> str:
    address = await find(svc.db, TEAMS_CHANNEL + str(team_id))
    return address.service_url if address else ""
