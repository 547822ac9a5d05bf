"""The SMS provider port and its adapters. Every adapter takes the notification id as the
provider reference, and translates transport errors into the platform's error tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsMessage:
    notification_id: str
    to: str  # normalised, digits with country code
    content: str
    sender: str
    international: bool


class SmsProvider(Protocol):
    name: str

    async def send(self, message: SmsMessage) -> str:
        """Hand the message to the provider; returns the provider's reference for it."""
        ...


class FakeSmsProvider:
    """An in-memory provider for unit tests: records what it was given, fails on demand."""

    def __init__(self, name: str = "fake", fail_with: Exception | None = None) -> None:
        self.name = name
        self.sent: list[SmsMessage] = []
        self.fail_with = fail_with

    async def send(self, message: SmsMessage) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return message.notification_id
