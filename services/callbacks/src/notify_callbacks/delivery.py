"""Calls a service's callback URL once and says how it went. Library errors stop here: the caller
sees only an ``AttemptResult`` (succeeded, worth retrying, or failed for good)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from notify_callbacks import signing
from notify_callbacks.http_pool import HttpError, InvalidHeader, InvalidUrl
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


class Poster(Protocol):
    """POSTs a JSON body and answers the status (``guarded_http.GuardedSession``)."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], seconds: float) -> int: ...


class CallbackClient:
    def __init__(self, session: Poster, timeout_seconds: float) -> None:
        self._session = session
        self._timeout = timeout_seconds

    async def post(self, destination: Destination, message_id: str, payload: dict[str, Any]) -> AttemptResult:
        body = orjson.dumps(payload)  # sent as application/json
        headers = {"Authorization": f"Bearer {destination.bearer_token}"}
        # webhook-id on every callback, signed or not, so any receiver can drop a redelivery.
        headers.update(signing.headers(destination.signing_secret, message_id, int(time.time()), body))
        started = time.monotonic()
        try:
            with tracing.http_client_span_for("POST", destination.url) as span:
                status = await self._session.post(destination.url, body, headers, self._timeout)
                span.answered(status)
        except (UnsafeDestinationError, InvalidUrl) as exc:
            # The URL resolves inside the network, or is no URL: never sent, not retried.
            return AttemptResult(False, False, None, _since(started), f"refused destination: {exc}")
        except InvalidHeader as exc:
            # The bearer token cannot be sent: it never could be, so not retried.
            return AttemptResult(False, False, None, _since(started), f"invalid request: {exc}")
        except TimeoutError:
            return AttemptResult(False, True, None, _since(started), "timeout")
        except HttpError as exc:
            return AttemptResult(
                False, True, None, _since(started), f"connection error: {type(exc).__name__}"
            )
        succeeded, retryable = classify(status)
        reason = None if succeeded else f"HTTP {status}"
        return AttemptResult(succeeded, retryable, status, _since(started), reason)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
