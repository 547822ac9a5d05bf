"""The HTTP SMS providers' transport: one aiohttp session, and how its answers and failures map
onto the error tree. (aiohttp rather than httpx: on this hot path it costs a tenth of the CPU per
request, which is most of a sender's work; see docs/benchmarks-send.md.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_sms_sender.providers import ProviderTimeoutError


def session(concurrency: int, timeout_s: float, connect_timeout_s: float = 5.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency),
        timeout=aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_timeout_s),
        raise_for_status=False,
    )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


async def post(session: aiohttp.ClientSession, provider: str, url: str, **kwargs: Any) -> Answer:
    """POST and classify the outcome; returns only a 2xx answer."""
    try:
        async with session.post(url, **kwargs) as response:
            answer = Answer(response.status, await response.read())
    except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
        # Nothing reached the provider: safe to send elsewhere.
        raise RetryableError(f"{provider} could not be reached: {type(exc).__name__}") from exc
    except (TimeoutError, aiohttp.ServerDisconnectedError) as exc:
        # The request may have been taken: only this provider can tell a repeat by its reference.
        raise ProviderTimeoutError(f"{provider} timed out") from exc
    except aiohttp.ClientError as exc:
        raise RetryableError(f"{provider} unreachable: {type(exc).__name__}") from exc
    if answer.status == 429:
        raise ThrottledError(f"{provider} throttled the request")
    if answer.status >= 500:
        raise RetryableError(f"{provider} answered {answer.status}")
    if answer.status >= 400:
        raise PermanentError(f"{provider} refused the message with {answer.status}")
    return answer
