"""The one place an AsyncWebClient is built: base URL from settings, slack_sdk's retry handlers."""

import asyncio
import random
from collections.abc import Callable, Mapping

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import sdk_client_logger
from bot.slack.pacer import pace_retry

# 429s wait Retry-After seconds with asyncio.sleep (paced chat.postMessage: for a pacer slot after it), so the
# event loop keeps serving other requests meanwhile; 5xx and dropped connections back off exponentially.
RATE_LIMIT_RETRIES = 5
ERROR_RETRIES = 3
# A longer Retry-After is not waited for: the call fails at once with its 429 (SlackApiError, the header in
# exc.response.headers, see `retry_after`), so one huge Retry-After cannot freeze the scheduler; the caller
# leaves the message for a later tick.
MAX_RETRY_AFTER = 60


def retry_after_seconds(headers: Mapping[str, str] | None) -> float:
    """Retry-After in seconds (slack_sdk's own handler assumes 1 when it is missing or unreadable)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def retry_after(error: SlackApiError) -> float | None:
    """The Retry-After of a 429 that was not retried (over MAX_RETRY_AFTER, or out of retries); else None."""
    response = error.response
    if getattr(response, "status_code", None) != 429:
        return None
    return retry_after_seconds(getattr(response, "headers", None))


class PacedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler with Retry-After capped at MAX_RETRY_AFTER, whose wait is a pacer slot for paced
    calls (bot.slack.pacer.pace_retry) so a retry never jumps the queue; listeners hear which method was limited."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.listeners: list[Callable[[str], None]] = []

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(response.headers) <= MAX_RETRY_AFTER

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        wait = retry_after_seconds(response.headers if response is not None else None)
        for listener in self.listeners:
            listener(method)
        state.next_attempt_requested = True
        if not await pace_retry(method, wait):
            await asyncio.sleep(wait + random.random())  # unpaced: slack_sdk's jitter, so retries spread out
        state.increment_current_attempt()


def build_client(token: str, base_url: str, *, timeout: float = 30) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        logger=sdk_client_logger(),  # an explicit level: no debug string formatted per call (bot.logs)
        retry_handlers=[
            PacedRateLimitRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=ERROR_RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=ERROR_RETRIES),
        ],
    )


def share_session(client: AsyncWebClient) -> None:
    """Give the client one keep-alive aiohttp session (call inside the running loop). Without it slack_sdk opens
    a new session and TCP connection for every call, which is most of a big fan-out's client-side cost."""
    if client.session is None or client.session.closed:
        client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))


async def close_session(client: AsyncWebClient) -> None:
    if client.session is not None and not client.session.closed:
        await client.session.close()


def on_rate_limited(client: AsyncWebClient, listener: Callable[[str], None]) -> None:
    """Call `listener(method)` on every 429 the client retries (no-op for clients not built here). Paced
    chat.postMessage retries need no listener: the handler awaits the sending task's pacer itself."""
    for handler in client.retry_handlers or []:
        if isinstance(handler, PacedRateLimitRetryHandler):
            handler.listeners.append(listener)
