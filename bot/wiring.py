"""The services half of the composition root: the plug-in lists, build_services, and the one-shot tick.

Nothing here imports Bolt, the aiohttp web server, APScheduler or the handlers, so `okrbot tick` loads only
what a tick runs (docs/performance.md, "Idle tick, start-up and memory"); bot.app adds the Slack app on top.
"""

import logging
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import bot.slack.builders  # noqa: F401  (registers every message renderer)
from bot.config import WHERE, Settings, SettingsError, answering_no_requests
from bot.services import home, notes
from bot.services.checkins import nudges, prompts, replies, toplevel
from bot.services.cycles import scoring
from bot.services.digests import posted as posted_digests
from bot.services.digests import schedule as digest_schedule
from bot.services.kernel import housekeeping, reconcile
from bot.services.kernel.context import Effect, Route, Services, Step
from bot.services.kernel.tick import TickReport, run_tick
from bot.slack.client import build_client
from bot.slack.sender import SlackDirectory, SlackNotifier
from storage.db import Database

log = logging.getLogger(__name__)
# The dispatchers' plug-in lists (cosmicpython's bootstrap.py does the same): kernel.inbox, kernel.tick
# and checkins.effects run what is listed here and import no feature themselves.
DM_ROUTES: tuple[Route, ...] = (replies.on_thread_reply, notes.note_route, toplevel.on_top_level)  # in order
TICK_STEPS: tuple[Step, ...] = (
    reconcile.reconcile_step,  # first: sends it finds missing are sent again by the steps below
    prompts.refresh_directory,
    prompts.send_prompts,
    nudges.send_nudges,
    digest_schedule.digest_step,
    scoring.score_prompt_step,
    housekeeping.prune_step,
)
AFTER_CHECKIN: tuple[Effect, ...] = (  # coalesced: marked by each check-in, run once per target a few seconds later
    Effect("digest", posted_digests.stale_digests, posted_digests.refresh_team_digest),
    Effect("home", home.stale_homes, home.refresh_stale_home),
)


def build_services(
    settings: Settings, *, client: AsyncWebClient | None = None, db: Database | None = None, teams_token=None
) -> Services:
    db = db or Database.from_settings(settings)
    notifier, directory = None, None  # Teams alone: bot.platforms.with_teams says "Slack is not configured"
    if not settings.teams_only:
        client = client or slack_client(settings)
        notifier = SlackNotifier(client, messages_per_second=settings.slack_max_messages_per_second)
        directory = SlackDirectory(client)
    if settings.teams_enabled:  # a router by recipient (bot.platforms); Slack-only runs exactly as before
        from bot.platforms import with_teams  # only when Teams is configured: its SDK is heavy (docs/performance.md)

        notifier, directory = with_teams(settings, db, notifier, directory, token=teams_token)
    return Services(
        db=db,
        notifier=notifier,
        directory=directory,
        admins=settings.admins,
        hr=settings.hr,
        routes=DM_ROUTES,
        tick_steps=TICK_STEPS,
        after_checkin=AFTER_CHECKIN,
    )


def slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    return build_client(token, settings.slack_api_url, timeout=settings.slack_timeout_seconds)


async def run_one_tick(settings: Settings, at: datetime) -> TickReport:
    """Exactly one scheduler pass at `at`; returns once every send has finished."""
    await check_tokens(settings)
    svc = build_services(answering_no_requests(settings))
    try:
        return await run_tick(svc, at)
    finally:
        await close(svc)


async def close(svc) -> None:
    """Release the database engine and the Slack client's shared HTTP session."""
    slack = getattr(svc.notifier, "slack", svc.notifier)  # bot.platforms.PlatformNotifier routes to .slack
    if isinstance(slack, SlackNotifier):
        await slack.aclose()
    await svc.db.dispose()


# Slack's answers that mean a token will never work: retrying (every tick, every 10 s reconnect) cannot help.
FATAL_TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
CHECK_TIMEOUT = 10  # seconds per check: a start must not hang on an unreachable Slack


async def check_tokens(settings: Settings, *, app_token: bool = False) -> None:
    """Ask Slack whether the tokens work before anything starts: `auth.test` for the bot token and, for Socket
    Mode, `apps.connections.open` for the app token. A rejected token is a SettingsError (one line, exit 2);
    an unreachable Slack is only a warning, since the bot retries its sends and reconnects on its own.
    Nothing to check when only Teams is configured."""
    if settings.teams_only:
        return
    checks = [("SLACK_BOT_TOKEN", settings.slack_bot_token, "auth_test")]
    if app_token:
        checks.append(("SLACK_APP_TOKEN", settings.slack_app_token, "apps_connections_open"))
    for name, secret, method in checks:
        token = secret.get_secret_value()
        client = AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=CHECK_TIMEOUT)
        try:
            if method == "auth_test":
                await client.auth_test()
            else:  # slack_sdk sends app_token as the bearer token of this one call
                await client.apps_connections_open(app_token=token)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error")
            if error in FATAL_TOKEN_ERRORS:
                message = f"{name} was rejected by Slack ({error}). Get a valid one from: {WHERE[name]}"
                raise SettingsError(message) from None
            log.warning("Slack answered %s to the %s check (%s); starting anyway", error, name, method)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("could not reach Slack to check %s (%s); starting anyway", name, type(exc).__name__)
