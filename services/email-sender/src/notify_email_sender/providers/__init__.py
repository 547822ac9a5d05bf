"""The email provider port and its adapters (SES v2, SMTP), with a fake for tests.

Adapters translate their library's failures into the platform's error tree here, at the edge:
PermanentError (refused: retrying cannot help), RetryableError (not taken: try again later),
ThrottledError (slow down), and ProviderTimeoutError (no answer in time: it may have been taken).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from notify_common.errors import ProviderTimeoutError
from notify_email_sender.message import OutgoingEmail

__all__ = ["EmailProvider", "FakeEmailProvider", "ProviderTimeoutError"]


class EmailProvider(Protocol):
    name: str

    async def send(self, email: OutgoingEmail) -> str:
        """Hand the email over; returns the provider's reference (e.g. SES MessageId)."""
        ...

    async def close(self) -> None: ...


@dataclass
class FakeEmailProvider:
    name: str = "fake"
    fail_with: Exception | None = None
    fail_next: list[Exception] = field(default_factory=list)
    sent: list[OutgoingEmail] = field(default_factory=list)
    calls: int = 0

    async def send(self, email: OutgoingEmail) -> str:
        self.calls += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(email)
        return f"fake-{email.notification_id}"

    async def close(self) -> None:
        return None
