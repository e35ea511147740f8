"""Replies through a `response_url` go to Slack only.

A response_url arrives inside the request body. Even a signed request should never make okrbot POST
(with a reply that may quote review notes) to anything but Slack's hooks host. The one exception is an
overridden SLACK_API_URL: its origin (scheme, host and port) is allowed too, so the fake Slack of the
tests and of the demo (`scripts/demo.sh`) keeps working. Bolt builds `respond` lazily from context["response_url"];
`SlackOnlyRespond` takes its place in the context (bot.app), so every listener and the error handler
get the checked one (see `verified_middleware`).
"""

import logging
from urllib.parse import urlsplit

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.config import SLACK_API_DEFAULT

log = logging.getLogger(__name__)
SLACK_HOOKS = ("https", "hooks.slack.com", 443)
VERIFIED = "okrbot_verified"  # Bolt context key: the request passed Bolt's signature check (or came by Socket Mode)


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None or not parts.hostname:
            return None
        return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        return None


def allowed_origins(slack_api_url: str) -> frozenset[tuple[str, str, int]]:
    """Slack's hooks host, plus the origin of SLACK_API_URL when it is overridden."""
    origins = {SLACK_HOOKS}
    if slack_api_url != SLACK_API_DEFAULT and (own := _origin(slack_api_url)):
        origins.add(own)
    return frozenset(origins)


def is_allowed(url: str | None, origins: frozenset[tuple[str, str, int]]) -> bool:
    return bool(url) and _origin(url) in origins


class SlackOnlyRespond(AsyncRespond):
    """Bolt's respond(), refusing (one log line, no request) any response_url outside `origins`.

    Without a response_url it raises, as Bolt's does."""

    def __init__(self, *, response_url: str | None, origins: frozenset[tuple[str, str, int]]) -> None:
        super().__init__(response_url=response_url)
        self.origins = origins

    async def __call__(self, *args, **kwargs):
        if self.response_url is not None and not is_allowed(self.response_url, self.origins):
            log.warning("dropped a reply: the response_url is not on Slack's hooks host")  # never the URL
            return None
        return await super().__call__(*args, **kwargs)


def verified_middleware(slack_api_url: str):
    """Bolt `before_authorize` middleware: Bolt runs it right after its own RequestVerification, so reaching
    it means the signature held. It marks the context (the error handler replies only when the mark is set)
    and puts the checked respond() in place of Bolt's."""
    origins = allowed_origins(slack_api_url)

    async def mark_verified(context, next):
        context[VERIFIED] = True
        context["respond"] = SlackOnlyRespond(response_url=context.response_url, origins=origins)
        await next()

    return mark_verified
