"""The SMS provider port and its adapters.

Every adapter hands over the notification id as the provider's reference (so receipts and
status lookups key on it) and translates its transport's failures into the platform's error
tree once, here at the edge:

    PermanentError            the provider refused the message; retrying cannot help
    RetryableError            the provider certainly did not take the message (5xx, refused connection)
    ├── ThrottledError        it asked us to slow down (429)
    └── ProviderTimeoutError  we cannot tell whether it took the message (timeout mid-request)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from notify_common.errors import ProviderTimeoutError

__all__ = ["FakeSmsProvider", "ProviderTimeoutError", "SmsMessage", "SmsProvider"]


@dataclass(frozen=True)
class SmsMessage:
    notification_id: str
    to: str  # normalised: digits with country code, no "+"
    content: str
    sender: str
    international: bool


class SmsProvider(Protocol):
    name: str

    async def send(self, message: SmsMessage) -> str:
        """Hand the message to the provider; returns the provider's reference for it."""
        ...

    async def close(self) -> None: ...


@dataclass
class FakeSmsProvider:
    """An in-memory provider for tests: records what it was given, fails on demand (either with
    ``fail_with`` every time, or with each error of ``fail_next`` once, in order)."""

    name: str = "fake"
    fail_with: Exception | None = None
    fail_next: list[Exception] = field(default_factory=list)
    sent: list[SmsMessage] = field(default_factory=list)
    calls: int = 0

    async def send(self, message: SmsMessage) -> str:
        self.calls += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return message.notification_id

    async def close(self) -> None:
        return None
