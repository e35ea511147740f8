"""Composition root: one Notifier and Directory in front of both platforms, chosen by the recipient's key.

Teams people are "teams:<aad>" and Teams chats "teams-chat:<id>" (bot.services.addresses); everything else
is Slack. Built only when Teams is configured, so a Slack-only okrbot runs exactly as before.
"""

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.okr.messages import Delivery
from bot.services import addresses
from bot.services.addresses import is_teams
from bot.services.kernel.context import Services
from bot.services.kernel.ports import DeliveryFailed, Directory, Notifier, UserInfo
from storage.db import Database

NO_SLACK = "Slack is not configured (SLACK_BOT_TOKEN): this okrbot runs for Microsoft Teams only"


class NoSlack:
    """The Slack side of a Teams-only okrbot: a send to a Slack id fails clearly (recorded in the ledger, and
    retried should Slack be configured later); the directory lists nobody."""

    async def post(self, to: str, message: Any, *, thread_ts=None, ledger_id=None) -> Delivery:
        raise DeliveryFailed(NO_SLACK)

    async def find_sent(self, to: str, ledger_ids: set[int]) -> dict[int, Delivery]:
        raise DeliveryFailed(NO_SLACK)

    async def update(self, where: Delivery, message: Any) -> None:
        raise DeliveryFailed(NO_SLACK)

    async def publish_home(self, user: str, message: Any) -> None:
        return None

    async def list_users(self) -> list[UserInfo]:
        return []


class PlatformNotifier:
    def __init__(self, slack: Notifier, teams: Notifier, *, teams_app: Any = None) -> None:
        self.slack = slack
        self.teams = teams
        self.teams_app = teams_app  # the SDK app whose /api/messages mount_teams adds to the web app

    def _for(self, key: str) -> Notifier:
        return self.teams if is_teams(key) else self.slack

    async def post(
        self, to: str, message: Any, *, thread_ts: str | None = None, ledger_id: int | None = None
    ) -> Delivery:
        return await self._for(to).post(to, message, thread_ts=thread_ts, ledger_id=ledger_id)

    async def find_sent(self, to: str, ledger_ids: set[int]) -> dict[int, Delivery]:
        return await self._for(to).find_sent(to, ledger_ids)

    async def update(self, where: Delivery, message: Any) -> None:
        await self._for(where.channel).update(where, message)

    async def publish_home(self, user: str, message: Any) -> None:
        await self._for(user).publish_home(user, message)


class PlatformDirectory:
    def __init__(self, *directories: Directory) -> None:
        self.directories = directories

    async def list_users(self) -> list[UserInfo]:
        return [user for d in self.directories for user in await d.list_users()]


def with_teams(
    settings: Settings, db: Database, slack: Notifier | None, slack_directory: Directory | None, *, token=None
):
    """The notifier and directory for both platforms (Slack None: Teams alone); `token` is an outbound token
    callable (tests).

    The Teams SDK is imported here, not at the top: importing it loads ./.env into os.environ and takes
    a second, and a Slack-only okrbot must behave (and start) exactly as it did without Teams.
    """
    from bot.teams.chats import open_chat
    from bot.teams.sender import TeamsDirectory, TeamsNotifier
    from bot.teams.server import build_teams_app

    teams_app = build_teams_app(settings, token=token)

    async def find(key: str):
        address = await addresses.find(db, key)
        if address is not None and not address.conversation_id and not address.blocked:  # known from a roster
            address = await open_chat(teams_app.api, db, address)
        return address

    async def blocked(address) -> None:
        await addresses.mark_blocked(db, address, at=datetime.now(UTC))

    sender = TeamsNotifier(
        teams_app.api, find, blocked=blocked, messages_per_second=settings.teams_max_messages_per_second
    )
    notifier = PlatformNotifier(slack or NoSlack(), sender, teams_app=teams_app)
    return notifier, PlatformDirectory(slack_directory or NoSlack(), TeamsDirectory())


async def mount_teams(web_app: web.Application, svc: Services, inbox=None) -> bool:
    """Answer Teams at POST /api/messages on `web_app` (when Teams is configured); True when mounted.

    `inbox` (handlers.inbox.InboxWorker): Teams messages are kept there before the 200 and replayed by its
    workers (teams_in.inbox)."""
    notifier = svc.notifier
    if not isinstance(notifier, PlatformNotifier) or notifier.teams_app is None:
        return False
    from bot.teams.http_guard import sdk_key_client, teams_guard
    from bot.teams.server import PATH, AiohttpAdapter
    from teams_in import guard
    from teams_in import inbox as teams_inbox
    from teams_in.activities import register  # only when Teams is configured (see with_teams)

    app = notifier.teams_app
    adapter = app.server.adapter
    if not isinstance(adapter, AiohttpAdapter):
        raise RuntimeError("the Teams app was not built with okrbot's aiohttp adapter")
    adapter.app = web_app
    # In front of the SDK: limits, and no key fetch for a token that is not the Bot Framework's (bot.teams.http_guard).
    authenticated = not app.options.dangerously_allow_unauthenticated_requests
    issuer = app.cloud.token_issuer if authenticated else None
    web_app.middlewares.append(teams_guard(PATH, issuer=issuer, key_client=sdk_key_client(app)))
    guard.register(app, svc, tenant_id=app.options.tenant_id)  # first handler: Teams only, the right tenant
    register(app, svc, keep=inbox.keep_item if inbox is not None else None)
    if inbox is not None:
        inbox.replayers[teams_inbox.PLATFORM] = teams_inbox.replayer(app)
    await app.initialize()
    return True
