"""The Teams roster: who is in a team (or a 1:1 chat), with their email, from the connector's pagedMembers.

`GET /v3/conversations/{id}/pagedMembers` (through the SDK's client, page by page with its continuationToken)
lists each member's `29:` id, Entra object id, name, email and sign-in name (UPN): an `email:` person of the
OKR file is matched by either. okrbot reads it:
- when a person installs the app in their 1:1 chat (that chat's roster is them: it says their email), while
  the OKR file names someone by email whom okrbot has not mapped yet, and
- when okrbot is installed in a team, and on every conversationUpdate there (members added or removed).
bot.services.roster then maps each member: an "email:" person of the OKR file with their address becomes them.
A member okrbot has a use for (a person row exists: they own KRs, are in a team...) but cannot write to yet
gets an address with no chat, which bot.teams.chats opens at the first send (`POST /v3/conversations`), so their
prompts reach them without an install; opening them all here could outlast Teams' 15 s for a large team.
A connector error is logged (status only) and the activity is still answered: the next read tries again.
"""

import logging

import httpx
from microsoft_teams.api import ApiClient

from bot.services import addresses, roster
from bot.services.kernel.context import Services

log = logging.getLogger(__name__)
PAGE_SIZE = 500  # the connector's maximum page
MAX_PAGES = 200


async def members_of(api: ApiClient, conversation_id: str) -> list:
    """Every member of the conversation (a team's id lists the whole team), following continuationToken."""
    found, token = [], None
    for _ in range(MAX_PAGES):
        page = await api.conversations.get_paged_members(conversation_id, page_size=PAGE_SIZE, continuation_token=token)
        found += [m for m in page.members if m.aad_object_id]
        token = page.continuation_token
        if not token:
            break
    return found


async def read(
    svc: Services, api: ApiClient, conversation_id: str, *, tenant_id: str, service_url: str
) -> roster.RosterResult | None:
    """Read and map one conversation's roster; open 1:1 chats for the people okrbot must reach. None on error."""
    try:
        members = await members_of(api, conversation_id)
    except (httpx.HTTPStatusError, httpx.TransportError) as exc:
        status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else type(exc).__name__
        log.warning("teams roster: the connector said %s; the next install or membership change retries", status)
        return None
    listed = [
        roster.Member(
            person_id=addresses.teams_person_id(m.aad_object_id),
            email=m.email,
            name=m.name or "",
            upn=m.user_principal_name,
        )
        for m in members
    ]
    result = await roster.map_members(svc, listed)
    by_person = {addresses.teams_person_id(m.aad_object_id): m for m in members}
    newcomers = [by_person[p] for p in await roster.without_chat(svc, result.known)]
    contacts = [
        addresses.TeamsContact(m.aad_object_id, m.id, tenant_id or m.tenant_id or "", "", service_url, m.name or "")
        for m in newcomers
    ]
    await addresses.remember_all(svc, contacts)  # no chat yet: bot.teams.chats opens it at the first send
    log.info("teams roster: %d members, %d mapped by email", result.seen, len(result.mapped))
    return result


async def read_known_teams(svc: Services, api: ApiClient) -> list[str]:
    """`okrbot teams roster`: read every Teams team's roster now (the OKR file's teams with a channel), one report
    line each: who was mapped by email, or why a team could not be read. Names and counts only."""
    ready, no_channel = await addresses.rosters_to_read(svc, platform="teams")
    lines = [f"{name}: no Teams channel in the OKR file (channel: 19:…), so no roster to read" for name in no_channel]
    for team in ready:
        if not team.service_url:
            lines.append(f"{team.team_name}: nobody in the team has installed okrbot yet, so no connector address")
            continue
        at = api.from_service_url(team.service_url)  # the connector of the team's tenant and region
        result = await read(svc, at, team.conversation_id, tenant_id="", service_url=team.service_url)
        if result is None:
            lines.append(f"{team.team_name}: the connector refused the roster read (see the log); nothing changed")
            continue
        names = await roster.names_of(svc, result.mapped)
        mapped = f"mapped by email: {', '.join(names)}" if names else "nobody new mapped by email"
        lines.append(f"{team.team_name}: {result.seen} members read, {len(result.known)} known to okrbot; {mapped}")
    return lines
