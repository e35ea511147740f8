"""The Teams SDK's App, mounted on okrbot's own aiohttp app at POST /api/messages (no FastAPI, no uvicorn).

`await app.initialize()` (not `start()`) registers the route and the JWT check; it opens no server and makes
no network call. Every option is passed explicitly from okrbot's TEAMS_* settings, and the SDK's own
environment names are refused, because the SDK reads CLIENT_ID, CLIENT_SECRET, ... from the environment (and
loads a ./.env at import) whenever an option is empty: a stray CLIENT_SECRET could switch credentials silently.
"""

import logging
import os
import time

import jwt
from aiohttp import web
from microsoft_teams.api.auth.cloud_environment import PUBLIC
from microsoft_teams.apps import App
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpResponse, HttpRouteHandler
from microsoft_teams.common import ClientOptions

from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)
PATH = "/api/messages"
SERVICE_URL = "https://smba.trafficmanager.net/teams"  # the SDK's default; replies use each activity's serviceUrl
TIMEOUT = 10.0  # seconds per connector call; the SDK's default is no timeout at all
# What the SDK would read from the environment when an option is empty.
SDK_ENV = (
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "MANAGED_IDENTITY_CLIENT_ID",
    "SERVICE_URL",
    "CLOUD",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS",
)
UNAUTHENTICATED_CLIENT_ID = "00000000-0000-0000-0000-000000000000"


class _NoActivityText(logging.Filter):
    """The SDK logs `str(exception)` with its traceback when an activity fails; a pydantic error there quotes the
    activity (the person's words). Keep the exception's type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg, record.args = f"activity failed: {type(record.exc_info[1]).__name__} (details withheld)", None
            record.exc_info, record.exc_text = None, None
        return True


def quiet_sdk_logs() -> None:
    """The SDK logs whole activities at DEBUG, and exception text (which may quote them) at ERROR."""
    sdk = logging.getLogger("microsoft_teams")
    sdk.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    for name in ("microsoft_teams.apps.http.http_server", "microsoft_teams.apps.app_process"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoActivityText) for f in logger.filters):
            logger.addFilter(_NoActivityText())


class TeamsSetupError(SettingsError):
    """Teams cannot be started safely with this environment (the CLI prints it as one line, exit status 2)."""


class AiohttpAdapter:
    """The SDK's HttpServerAdapter protocol on our web.Application, beside /slack/events."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        async def route(request: web.Request) -> web.StreamResponse:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "body is not JSON"}, status=400)
            if not isinstance(body, dict):
                return web.json_response({"error": "body is not an activity"}, status=400)
            result: HttpResponse = await handler(HttpRequest(body=body, headers=dict(request.headers)))
            if result.get("body") is not None:
                return web.json_response(result["body"], status=result["status"])
            return web.Response(status=result["status"])

        self.app.router.add_route(method, path, route)

    def serve_static(self, path: str, directory: str) -> None:
        self.app.router.add_static(path, directory)

    async def start(self, port: int) -> None:
        raise NotImplementedError("okrbot runs the aiohttp server itself")

    async def stop(self) -> None:
        return None


def unauthenticated_token(scope, tenant_id=None) -> str:
    """A JWT-shaped stand-in (the SDK decodes it, unverified) for TEAMS_ALLOW_UNAUTHENTICATED: no real token."""
    claims = {"aud": "https://api.botframework.com", "appid": "okrbot-local", "exp": int(time.time()) + 3600}
    return jwt.encode(claims, "okrbot-unauthenticated-local-testing-only", algorithm="HS256")


def check_environment(environ=os.environ) -> None:
    found = [name for name in SDK_ENV if environ.get(name)]
    if found:
        raise TeamsSetupError(
            f"{', '.join(found)} set in the environment (or ./.env): the Teams SDK would read it. "
            "okrbot reads only TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID; unset it"
        )


def build_teams_app(settings: Settings, web_app: web.Application | None = None, *, token=None) -> App:
    """The SDK App with every option explicit; `web_app` gets POST /api/messages at `initialize()`."""
    check_environment()
    quiet_sdk_logs()
    unauthenticated = settings.teams_allow_unauthenticated
    if unauthenticated:
        log.warning(
            "TEAMS_ALLOW_UNAUTHENTICATED=true: Teams requests are NOT authenticated and replies carry no real "
            "token. Local testing only; never expose this process to a network."
        )
    secret = settings.teams_client_secret.get_secret_value() if settings.teams_client_secret else None
    return App(
        client_id=settings.teams_client_id or UNAUTHENTICATED_CLIENT_ID,
        client_secret=None if unauthenticated else secret,
        tenant_id=settings.teams_tenant_id,
        token=token or (unauthenticated_token if unauthenticated else None),
        dangerously_allow_unauthenticated_requests=unauthenticated,
        service_url=SERVICE_URL,
        cloud=PUBLIC,
        client=ClientOptions(timeout=TIMEOUT),
        http_server_adapter=AiohttpAdapter(web_app or web.Application()),
        messaging_endpoint=PATH,
        telemetry={"agent365": False},
    )
