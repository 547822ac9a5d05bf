"""The HTTP SMS providers' transport: one pooled keep-alive client (the shared
``notify_common.http_client``, sending as ``notify-sms-sender``, each call a client span), and how
its answers and failures map onto the error tree. (Neither httpx nor aiohttp: on this hot path
their per-request machinery was most of a sender's CPU; see docs/benchmarks-send.md.)"""

from __future__ import annotations

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.http_client import ConnectFailed, HttpClient, HttpClientError, Response
from notify_sms_sender.providers import ProviderTimeoutError

JSON = b"application/json"
FORM = b"application/x-www-form-urlencoded"


def session(concurrency: int, timeout_s: float, connect_timeout_s: float = 5.0) -> HttpClient:
    """The providers' client: ``concurrency`` connections per provider, answers within ``timeout_s``."""
    return HttpClient(
        limit=concurrency,
        timeout_s=timeout_s,
        connect_timeout_s=connect_timeout_s,
        user_agent="notify-sms-sender",
        traced=True,
    )


Answer = Response


async def post(
    client: HttpClient, provider: str, url: str, body: bytes, content_type: bytes, headers: bytes = b""
) -> Response:
    """POST and classify the outcome; returns only a 2xx answer."""
    try:
        answer = await client.post(url, body, content_type, headers)
    except ConnectFailed as exc:
        # Nothing reached the provider: safe to send elsewhere.
        raise RetryableError(f"{provider} could not be reached: {exc}") from exc
    except HttpClientError as exc:
        # The request may have been taken: only this provider can tell a repeat by its reference.
        raise ProviderTimeoutError(f"{provider} timed out") from exc
    except OSError as exc:
        raise RetryableError(f"{provider} unreachable: {type(exc).__name__}") from exc
    if answer.status == 429:
        raise ThrottledError(f"{provider} throttled the request")
    if answer.status >= 500:
        raise RetryableError(f"{provider} answered {answer.status}")
    if answer.status >= 400:
        raise PermanentError(f"{provider} refused the message with {answer.status}")
    return answer
