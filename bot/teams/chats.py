"""Open a 1:1 chat with someone okrbot knows only from a Teams roster, the first time it writes to them.

The roster (teams_in.roster) stores such a person's address without a conversation: opening every chat while
Teams waits for the answer to a team's conversationUpdate would not fit its 15 s for a large team. The first
send to them (a tick's prompt, usually) opens it here (`POST /v3/conversations` with their `29:` id and the
tenant; Teams allows it once okrbot is installed in a team they are in, and answers with the existing chat if
there is one) and stores it. A refusal is a failed send, which a later tick retries.
"""

import httpx
from microsoft_teams.api import Account, ApiClient, CreateConversationParams

from bot.services import addresses
from bot.services.addresses import TeamsAddress
from bot.services.kernel.ports import DeliveryFailed
from storage.db import Database


async def open_chat(api: ApiClient, db: Database, address: TeamsAddress) -> TeamsAddress:
    """The address with its 1:1 conversation, opened now; DeliveryFailed when Teams refuses."""
    params = CreateConversationParams(members=[Account(id=address.user_id)], tenant_id=address.tenant_id or None)
    try:
        chat = await api.clone(service_url=address.service_url).conversations.create(params)
    except httpx.HTTPStatusError as exc:
        raise DeliveryFailed(f"teams_{exc.response.status_code} could not open a 1:1 chat with them") from None
    except httpx.TransportError as exc:
        raise DeliveryFailed(f"teams_unreachable {type(exc).__name__}") from None
    return await addresses.set_conversation(db, address, conversation_id=chat.id)
