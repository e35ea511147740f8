"""The one place an AsyncWebClient is built: base URL from settings, slack_sdk's retry handlers."""

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


def build_client(token: str, base_url: str, *, timeout: int = 30) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=ERROR_RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=ERROR_RETRIES),
        ],
    )
