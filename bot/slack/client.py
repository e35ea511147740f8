"""The one place an AsyncWebClient is built: base URL from settings, slack_sdk's retry handlers."""

from collections.abc import Callable

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

# 429s wait Retry-After seconds with asyncio.sleep, so the event loop keeps serving
# other requests meanwhile; 5xx and dropped connections back off exponentially.
RATE_LIMIT_RETRIES = 5
ERROR_RETRIES = 3


class ObservedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits Retry-After), which also tells listeners which method was limited,
    so the sender's pacer can slow down instead of letting every queued message hit the same wall."""

    def __init__(self, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.listeners: list[Callable[[str], None]] = []

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        for listener in self.listeners:
            listener(method)
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


def build_client(token: str, base_url: str, *, timeout: float = 30) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ObservedRateLimitRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
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
    """Call `listener(method)` on every 429 the client retries (no-op for clients not built here)."""
    for handler in client.retry_handlers or []:
        if isinstance(handler, ObservedRateLimitRetryHandler):
            handler.listeners.append(listener)
