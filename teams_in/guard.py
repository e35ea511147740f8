"""The first handler of every Teams activity (an SDK middleware): acts only on Teams, in the expected tenant.

The JWT proves the Bot Framework sent the request, not that Teams did: an Azure Bot's Web Chat and Direct Line
channels get tokens too, and there the client chooses `from` (its `aadObjectId` is what okrbot takes a person
to be). So an activity is refused, before any handler stores or does anything, when:
- its channelId is not `msteams`;
- TEAMS_TENANT_ID is set and the activity's tenant is another;
- its sender's stored address was seen in another tenant (an Entra object id never changes tenant: such an
  activity would move where that person's prompts and shared review notes go);
- it says it is a personal (1:1) chat but carries a team's or channel's data (it would be stored as the
  person's chat, and their prompts and shared notes would go to that channel);
- its text is longer than any Teams message (Teams caps a message at about 28 KB; Slack's text at 40,000
  characters): the plain-words parser keeps a comment verbatim, so one message must not store a megabyte.
The refusal is a 403 (413 for the text) with one log line (the activity's kind and the reason, never its content).
"""

import logging

from microsoft_teams.api import InvokeResponse
from microsoft_teams.apps import ActivityContext, App

from bot.services import addresses
from bot.services.kernel.context import Services

log = logging.getLogger(__name__)
TEAMS = "msteams"
MAX_TEXT = 40_000  # characters
TOO_LONG = "a text longer than any Teams message"


def tenant_of(activity) -> str:
    """The tenant Teams says the activity is in: the conversation's, else channelData's."""
    tenant = getattr(activity.conversation, "tenant_id", None)
    channel_tenant = getattr(getattr(activity.channel_data, "tenant", None), "id", None)
    return tenant or channel_tenant or ""


async def refusal(svc: Services, activity, tenant_id: str | None) -> str | None:
    """Why okrbot must not act on this activity, or None."""
    if len(getattr(activity, "text", None) or "") > MAX_TEXT:
        return TOO_LONG
    if activity.channel_id != TEAMS:
        return "not from Microsoft Teams"
    tenant = tenant_of(activity)
    if tenant_id and tenant != tenant_id:
        return "from another tenant than TEAMS_TENANT_ID"
    data = activity.channel_data
    personal = activity.conversation.conversation_type in (None, "personal")
    if personal and (getattr(data, "team", None) or getattr(data, "channel", None)):
        return "a personal chat with a team's channel data"
    aad = getattr(activity.from_, "aad_object_id", None)
    if aad:
        known = await addresses.tenant_of(svc.db, addresses.teams_person_id(aad))
        if known and tenant != known:
            return "from another tenant than the sender's stored address"
    return None


def register(app: App, svc: Services, *, tenant_id: str | None) -> None:
    """Before every other handler (the SDK runs them in the order they were added)."""

    async def guard(ctx: ActivityContext) -> InvokeResponse | None:
        reason = await refusal(svc, ctx.activity, tenant_id)
        if reason is None:
            await ctx.next()
            return None
        log.warning("refused a Teams %s: %s", ctx.activity.type, reason)
        return InvokeResponse(status=413 if reason == TOO_LONG else 403)

    app.use(guard)
