"""Settings: one object, read from the environment and an optional .env, passed in.

Nothing here runs at import time; `load_settings()` is called by the CLI, which turns a
validation error into one clear line and exit status 2 (see bot.cli).
"""

import re
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SLACK_API_DEFAULT = "https://slack.com/api/"
MIN_MESSAGES_PER_SECOND = 0.1  # the slowest pacing accepted: one message every ten seconds

# Where to find each setting, for error messages a newcomer can act on.
WHERE = {
    "SLACK_BOT_TOKEN": "OAuth & Permissions > Bot User OAuth Token (xoxb-...); create the app from manifest.yml",
    "SLACK_SIGNING_SECRET": "Basic Information > App Credentials > Signing Secret; create the app from manifest.yml",
    "SLACK_APP_TOKEN": "Slack app > Basic Information > App-Level Tokens, scope connections:write (xapp-...)",
    "DATABASE_URL": "a database URL, e.g. sqlite:///okrbot.db or postgresql://okrbot@db-host/okrbot",
    "DATABASE_POOL_SIZE": "optional; PostgreSQL connections per process (default 5)",
    "DATABASE_CONNECT_TIMEOUT": "optional; seconds to wait for the database server (default 10)",
    "SLACK_API_URL": "leave unset for Slack; tests point it at the fake Slack",
    "OKRBOT_ADMINS": "comma-separated Slack user ids, e.g. U012ABC,U034DEF",
    "OKRBOT_HR": "comma-separated Slack user ids who may read and write review notes about anyone but themselves",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "SLACK_MAX_MESSAGES_PER_SECOND": "optional; messages/s per workspace (default 5; 0 = unpaced, else >= 0.1)",
    "SLACK_TIMEOUT_SECONDS": "optional; seconds one Slack Web API call may take (default 30)",
    "OKRBOT_INBOX_WORKERS": "optional; kept requests worked on at once (default 8)",
    "OKRBOT_INBOX_LIMIT": "optional; requests that may wait in the inbox before Slack is told to retry (default 10000)",
    "OKRBOT_INBOX_LEASE_SECONDS": "optional; how long a worker's claim on a request lasts unrenewed (default 60)",
    "OKRBOT_DRAIN_SECONDS": "optional; how long SIGTERM waits for running work (default 20)",
    "TEAMS_CLIENT_ID": "Azure portal > the bot's app registration > Application (client) ID",
    "TEAMS_CLIENT_SECRET": "Azure portal > the bot's app registration > Certificates & secrets",
    "TEAMS_TENANT_ID": "Azure portal > the app registration > Directory (tenant) ID (single-tenant bots)",
    "TEAMS_ALLOW_UNAUTHENTICATED": "local testing only: true skips Teams' JWT check and sends with no real token",
    "TEAMS_MAX_MESSAGES_PER_SECOND": "optional; Teams messages/s per tenant (default 50; 0 = unpaced)",
}


def _not_blank(v: SecretStr | None) -> SecretStr | None:
    if v is not None and not v.get_secret_value().strip():
        raise ValueError("is empty or only whitespace; set it, or remove the line")
    return v


def _person_id(value: str) -> bool:
    """A Slack user id (U…/W…) or a Teams person (teams:<Entra object id>, as docs/teams.md names them)."""
    if value.startswith("teams:"):
        return bool(_GUID.fullmatch(value.removeprefix("teams:")))
    return value[:1] in ("U", "W") and value.isalnum()


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    database_url: str = Field(default="sqlite+aiosqlite:///okrbot.db", validation_alias="DATABASE_URL")
    # PostgreSQL only (SQLite runs one writer at a time, see storage/db.py): connections each process keeps,
    # and how long connecting, or waiting for a free pooled connection, may take before it is an error.
    database_pool_size: int = Field(default=5, ge=1, le=100, validation_alias="DATABASE_POOL_SIZE")
    database_connect_timeout: float = Field(default=10.0, gt=0, le=300, validation_alias="DATABASE_CONNECT_TIMEOUT")
    # SQLite only: run write transactions' sqlite3 calls on the event loop instead of aiosqlite's thread
    # (storage/sqlite_inline.py). On by default: twice the check-ins per CPU second, and the only way two
    # processes (serve --web-only beside work) take the write lock in turn quickly (docs/performance.md).
    sqlite_inline: bool = Field(default=True, validation_alias="OKRBOT_SQLITE_INLINE")
    # With OKRBOT_SQLITE_INLINE, the views' reads on the loop too (storage/db.py), not only the writes. Unset: on
    # in `okrbot work` and `okrbot tick`, which answer no requests (bot.runtime), off where requests are acked.
    sqlite_inline_reads: bool | None = Field(default=None, validation_alias="OKRBOT_SQLITE_INLINE_READS")
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, validation_alias="SLACK_API_URL")
    admins: Annotated[frozenset[str], NoDecode] = Field(default=frozenset(), validation_alias="OKRBOT_ADMINS")
    hr: Annotated[frozenset[str], NoDecode] = Field(default=frozenset(), validation_alias="OKRBOT_HR")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Ceiling of the sender's chat.postMessage pacer (bot/slack/pacer.py); 0 turns pacing off.
    slack_max_messages_per_second: float = Field(
        default=5.0, ge=0, le=1000, validation_alias="SLACK_MAX_MESSAGES_PER_SECOND"
    )
    # How long one Slack Web API call may take; a post that times out is reconciled, never blindly resent.
    slack_timeout_seconds: float = Field(default=30, gt=0, le=300, validation_alias="SLACK_TIMEOUT_SECONDS")

    # The durable inbox (handlers/inbox.py): how many kept requests run at once, how many may wait
    # (past that Slack gets a 503 and redelivers), how long a worker's claim lasts without renewal,
    # and how long SIGTERM waits for running work before exiting (what is left runs at the next start).
    inbox_workers: int = Field(default=8, ge=1, le=256, validation_alias="OKRBOT_INBOX_WORKERS")
    inbox_limit: int = Field(default=10_000, ge=1, validation_alias="OKRBOT_INBOX_LIMIT")
    inbox_lease_seconds: float = Field(default=60, ge=1, le=3600, validation_alias="OKRBOT_INBOX_LEASE_SECONDS")
    drain_seconds: float = Field(default=20, ge=0, le=600, validation_alias="OKRBOT_DRAIN_SECONDS")

    # Microsoft Teams (bot/teams, teams_in): set TEAMS_CLIENT_ID to turn it on. Every option is handed to the
    # SDK explicitly, so its own CLIENT_ID/CLIENT_SECRET/... environment fallbacks never apply (bot.teams.server).
    teams_client_id: str | None = Field(default=None, validation_alias="TEAMS_CLIENT_ID")
    teams_client_secret: SecretStr | None = Field(default=None, validation_alias="TEAMS_CLIENT_SECRET")
    teams_tenant_id: str | None = Field(default=None, validation_alias="TEAMS_TENANT_ID")
    teams_allow_unauthenticated: bool = Field(default=False, validation_alias="TEAMS_ALLOW_UNAUTHENTICATED")
    # The Teams sender's pacer (bot/teams/sender.py): messages/s per tenant (the connector allows 50); 0 = unpaced.
    teams_max_messages_per_second: float = Field(
        default=50.0, ge=0, le=1000, validation_alias="TEAMS_MAX_MESSAGES_PER_SECOND"
    )

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_client_id) or self.teams_allow_unauthenticated

    @property
    def slack_configured(self) -> bool:
        """Any Slack token or secret is set: Slack is meant to run (so what it needs is required). Without one,
        and with Teams on, okrbot runs for Teams alone (docs/teams.md)."""
        return any(v is not None for v in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token))

    @property
    def teams_only(self) -> bool:
        return self.teams_enabled and not self.slack_configured

    @model_validator(mode="after")
    def _teams_auth(self) -> "Settings":
        # A real secret with the JWT check off would let anyone on the network speak as Teams to a live bot.
        if self.teams_allow_unauthenticated and self.teams_client_secret is not None:
            raise ValueError(
                "TEAMS_ALLOW_UNAUTHENTICATED=true with TEAMS_CLIENT_SECRET set: refusing to start. "
                "Unauthenticated mode is for local tests only; unset one of them"
            )
        if self.teams_client_secret is not None and not self.teams_client_id:
            raise ValueError("TEAMS_CLIENT_SECRET is set but TEAMS_CLIENT_ID is not; set both")
        return self

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        _not_blank(v)
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return v

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_set(cls, v: SecretStr | None) -> SecretStr | None:
        # An empty secret once started a server that answered /healthz yet failed every Slack request.
        return _not_blank(v)

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and v.get_secret_value() == "":
            return None  # `SLACK_APP_TOKEN=` means HTTP mode, as documented
        _not_blank(v)
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return v

    @field_validator("admins", "hr", mode="before")
    @classmethod
    def _split_admins(cls, v):
        if isinstance(v, str):
            ids = [p.strip() for p in v.replace(" ", ",").split(",") if p.strip()]
            bad = [i for i in ids if not _person_id(i)]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a Slack user id or teams:<Entra object id>")
            return frozenset(ids)
        return v

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        if "://" not in v:
            raise ValueError("is not a database URL")
        # Plain URLs, as a person writes them, get the async driver okrbot ships with.
        for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://")):
            if v.startswith(plain):
                return v.replace(plain, driver, 1)
        if v.startswith("postgres://"):  # Heroku-style spelling, which SQLAlchemy does not accept
            return v.replace("postgres://", "postgresql+asyncpg://", 1)
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator("slack_max_messages_per_second")
    @classmethod
    def _sane_rate(cls, v: float) -> float:
        # 1e-9/s would wait 30 years between two messages: slower than one each ten seconds is a typo.
        if 0 < v < MIN_MESSAGES_PER_SECOND:
            raise ValueError(f"must be 0 (unpaced) or at least {MIN_MESSAGES_PER_SECOND}")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{v!r} is not a log level")
        return v


class SettingsError(Exception):
    """A missing or malformed setting, phrased for a person: which variable, and where to get it."""


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except UnicodeDecodeError as exc:  # pydantic-settings reads .env as UTF-8
        raise SettingsError(f".env is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "settings"  # a check across settings (Teams auth)
        msg = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {msg}. {WHERE.get(name, '')}".strip()) from None


NO_PLATFORM = (
    "no chat platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack (create the app from "
    "manifest.yml), or TEAMS_CLIENT_ID and TEAMS_CLIENT_SECRET for Microsoft Teams (docs/teams.md), or both"
)


def answering_no_requests(settings: Settings) -> Settings:
    """The settings of a process that acks nothing (`okrbot work`, `okrbot tick`): SQLite reads inline unless
    OKRBOT_SQLITE_INLINE_READS says otherwise; there no ack waits while a view's reads hold the loop."""
    if settings.sqlite_inline_reads is None:
        return settings.model_copy(update={"sqlite_inline_reads": True})
    return settings


def require_platforms(settings: Settings, *, socket_mode: bool = False, send_only: bool = False) -> None:
    """Slack, Teams, or both: Slack's tokens are required unless only Teams is configured; neither is an error.
    `send_only` (a tick): Slack needs its bot token alone."""
    if settings.teams_only:
        return
    if not settings.slack_configured and not settings.teams_enabled:
        raise SettingsError(NO_PLATFORM)
    if send_only:
        require_tokens(settings, "SLACK_BOT_TOKEN")
    else:
        require_slack(settings, socket_mode=socket_mode)


def require_slack(settings: Settings, *, socket_mode: bool) -> None:
    """Fail clearly when the tokens needed to talk to Slack are missing."""
    require_tokens(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET")


def require_tokens(settings: Settings, *names: str) -> None:
    values = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_APP_TOKEN": settings.slack_app_token,
    }
    missing = [n for n in names if values[n] is None]
    if missing:
        name = missing[0]
        others = f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""
        raise SettingsError(f"{name} is not set{others}. Get it from: {WHERE[name]}")
