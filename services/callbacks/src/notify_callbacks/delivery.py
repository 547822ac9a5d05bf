"""Calls a service's callback URL once and says how it went. Library errors stop here: the caller
sees only an ``AttemptResult`` (succeeded, worth retrying, or failed for good)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from notify_callbacks import signing
from notify_common import tracing
from notify_common.outbound import UnsafeDestinationError


@dataclass(frozen=True)
class Destination:
    """Where and how to call a service: never logged, never put on an event."""

    url: str
    bearer_token: str
    signing_secret: str | None


@dataclass(frozen=True)
class AttemptResult:
    succeeded: bool
    retryable: bool
    status_code: int | None
    duration_ms: int
    reason: str | None


def classify(status_code: int) -> tuple[bool, bool]:
    """(succeeded, retryable) for a response: Notify retries 5xx and 429, not other 4xx."""
    if 200 <= status_code < 300:
        return True, False
    return False, status_code >= 500 or status_code == 429


class CallbackClient:
    def __init__(self, client: httpx.AsyncClient, timeout_seconds: float) -> None:
        self._client = client
        self._timeout = timeout_seconds

    async def post(self, destination: Destination, message_id: str, payload: dict[str, Any]) -> AttemptResult:
        body = orjson.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {destination.bearer_token}",
        }
        # webhook-id on every callback, signed or not, so any receiver can drop a redelivery.
        headers.update(signing.headers(destination.signing_secret, message_id, int(time.time()), body))
        started = time.monotonic()
        try:
            with tracing.http_client_span_for("POST", destination.url) as span:
                response = await self._client.post(
                    destination.url,
                    content=body,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
                span.answered(response.status_code)
        except UnsafeDestinationError as exc:
            # The URL resolves inside the network (or not at all): never sent, not retried.
            return AttemptResult(False, False, None, _since(started), f"refused destination: {exc}")
        except httpx.TimeoutException:
            return AttemptResult(False, True, None, _since(started), "timeout")
        except httpx.TransportError as exc:
            return AttemptResult(
                False, True, None, _since(started), f"connection error: {type(exc).__name__}"
            )
        succeeded, retryable = classify(response.status_code)
        reason = None if succeeded else f"HTTP {response.status_code}"
        return AttemptResult(succeeded, retryable, response.status_code, _since(started), reason)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
