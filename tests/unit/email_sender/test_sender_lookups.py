"""The email-sender's From address and the letter-sender's contact block come from the requested
event; only an event written before they were carried makes the sender read the configuration
tables, once per service or template version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common.events import EmailRequested, LetterRequested
from notify_email_sender.addresses import FromAddresses
from notify_letter_sender.contacts import ContactBlocks

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SERVICE = "6b4f8a2e-0d1c-4c55-9e0b-2f1b7c3d9a10"
TEMPLATE = "2d8e1f6a-9c3b-4e7d-a5f0-1b2c3d4e5f60"


class _Result:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows

    def scalar(self) -> Any:
        return self._rows[0] if self._rows else None


class FakeEngine:
    """Answers every query with ``rows`` and remembers the parameters it was asked with."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows
        self.asked: list[dict[str, Any]] = []

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[FakeEngine]:
        yield self

    async def execute(self, _statement: object, params: dict[str, Any]) -> _Result:
        self.asked.append(params)
        return _Result(self.rows)


def email(email_from: str | None, service_id: str = SERVICE) -> EmailRequested:
    return EmailRequested(
        notification_id="n-1",
        service_id=service_id,
        template_id=TEMPLATE,
        template_version=1,
        key_type="normal",
        email_address="ada@example.com",
        subject="Hi",
        body="Hello",
        from_name="Passport Office",
        created_at=NOW,
        email_from=email_from,
    )


def letter(contact_block: str | None) -> LetterRequested:
    return LetterRequested(
        notification_id="n-2",
        service_id=SERVICE,
        template_id=TEMPLATE,
        template_version=4,
        key_type="normal",
        address_lines=("Ada", "1 Road", "SW1A 1AA"),
        postage="second",
        subject="Hi",
        body="Hello",
        created_at=NOW,
        contact_block=contact_block,
    )


async def test_the_from_address_carried_by_the_event_is_used_without_reading_the_services_table() -> None:
    engine = FakeEngine([SimpleNamespace(id=SERVICE, email_from="looked.up")])
    addresses = FromAddresses(cast(AsyncEngine, engine), "notifications.example.gov.uk")
    request = email("passport.office")
    await addresses.load([request])
    assert addresses.address_of(request) == "passport.office@notifications.example.gov.uk"
    assert engine.asked == []


async def test_an_older_email_event_without_it_falls_back_to_the_services_table_once() -> None:
    engine = FakeEngine([SimpleNamespace(id=SERVICE, email_from="looked.up")])
    addresses = FromAddresses(cast(AsyncEngine, engine), "notifications.example.gov.uk")
    older = email(None)
    await addresses.load([older, email("carried", service_id="another")])
    await addresses.load([older])
    assert addresses.address_of(older) == "looked.up@notifications.example.gov.uk"
    assert engine.asked == [{"ids": [SERVICE]}]


async def test_the_contact_block_carried_by_the_event_is_used_without_reading_template_versions() -> None:
    engine = FakeEngine(["From the table"])
    blocks = ContactBlocks(cast(AsyncEngine, engine))
    assert await blocks.of(letter("Passport Office\nPO Box 1")) == "Passport Office\nPO Box 1"
    assert await blocks.of(letter("")) is None  # the template has none
    assert engine.asked == []


async def test_an_older_letter_event_without_it_falls_back_to_the_template_version_once() -> None:
    engine = FakeEngine(["From the table"])
    blocks = ContactBlocks(cast(AsyncEngine, engine))
    assert await blocks.of(letter(None)) == "From the table"
    assert await blocks.of(letter(None)) == "From the table"
    assert engine.asked == [{"id": TEMPLATE, "version": 4}]
