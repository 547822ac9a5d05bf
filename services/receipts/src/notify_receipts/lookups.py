"""What the receipts service reads from PostgreSQL: its own ``receipt_notifications`` (the
notifications providers were given, with their service and details, learnt from
``NotificationSentToProvider`` events by this service's consumer: ``sent.py``); and, through the
read contracts other services publish (``notify_common.db.contracts``), the senders' claims
(``claimed_sends``: whether a notification not learnt yet was claimed for the provider at all, and
the trace context a receipt joins) and the admin-api's inbound numbers (``config_inbound_numbers``).

A database that cannot be reached, or does not answer within the engine's bound, raises
``DependencyUnavailableError`` (the receipt can then be taken unchecked, and a consumer pauses);
any other database error raises ``RetryableError``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import tracing
from notify_common.db.bounded import DatabaseUnavailable, is_unavailable
from notify_common.errors import DependencyUnavailableError, RetryableError
from notify_receipts.domain import Known, known_from

_SELECT = (
    "SELECT notification_id, service_id, provider, provider_reference, sent_at, notification_type, "
    "client_reference, recipient, template_id, template_version, created_at, job_row_number "
    "FROM receipt_notifications "
)
BY_ID = text(_SELECT + "WHERE notification_id = ANY(CAST(:ids AS uuid[]))")
BY_REFERENCE = text(_SELECT + "WHERE provider_reference = :ref")
BY_REFERENCES = text(
    _SELECT + "WHERE provider_reference = ANY(CAST(:refs AS varchar[])) AND provider = :provider"
)
CLAIMED = text(
    "SELECT notification_id FROM claimed_sends "
    "WHERE notification_id = ANY(CAST(:ids AS uuid[])) AND provider = :provider"
)
TRACEPARENT = text("SELECT traceparent FROM claimed_sends WHERE notification_id = CAST(:id AS uuid)")
INBOUND_NUMBER = text(
    "SELECT service_id, number FROM config_inbound_numbers WHERE number IN (:e164, :local, :plus) AND active "
    "AND service_id IS NOT NULL LIMIT 1"
)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, DatabaseUnavailable) as exc:
        if is_unavailable(exc):
            raise DependencyUnavailableError("database unavailable") from exc
        raise RetryableError("database error") from exc


class Lookups:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def known(self, notification_ids: list[str]) -> dict[str, Known]:
        """Those of these notifications that a provider was given, as this service learnt them."""
        with translated():
            async with self._engine.connect() as conn:
                rows = (await conn.execute(BY_ID, {"ids": sorted(set(notification_ids))})).mappings().all()
        return {str(row["notification_id"]): known_from(dict(row)) for row in rows}

    async def known_through(
        self, notification_ids: list[str], provider: str, wait_seconds: float = 0.0
    ) -> dict[str, Known]:
        """Those of these notifications given to ``provider``, waiting up to ``wait_seconds`` for
        all of them to be learnt (a receipt may overtake its send event)."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = {
                nid: k for nid, k in (await self.known(notification_ids)).items() if k.provider == provider
            }
            if len(found) == len(set(notification_ids)) or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.05)

    async def reference(self, reference: str) -> Known | None:
        with translated():
            async with self._engine.connect() as conn:
                row = (await conn.execute(BY_REFERENCE, {"ref": reference})).mappings().first()
        return known_from(dict(row)) if row is not None else None

    async def references(self, references: list[str], provider: str) -> dict[str, Known]:
        """The notifications of those of ``references`` that ``provider``'s sends recorded, by
        reference, in one query."""
        if not references:
            return {}
        with translated():
            async with self._engine.connect() as conn:
                rows = (
                    (await conn.execute(BY_REFERENCES, {"refs": references, "provider": provider}))
                    .mappings()
                    .all()
                )
        return {str(row["provider_reference"]): known_from(dict(row)) for row in rows}

    async def resolve(self, reference: str, wait_seconds: float) -> Known | None:
        """The notification a provider reference belongs to, waiting up to ``wait_seconds`` for
        its send event to be learnt (a receipt may overtake it)."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = await self.reference(reference)
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.1)

    async def claimed_by(self, notification_ids: list[str], provider: str) -> bool:
        """Whether every one of these notifications was claimed for sending through ``provider``
        (a sender claims a notification before it calls the provider, so any genuine receipt
        finds its claim, even one that overtook the send event)."""
        return await self.claimed(notification_ids, provider) == set(notification_ids)

    async def claimed(self, notification_ids: list[str], provider: str) -> set[str]:
        """Those of these notifications that were claimed for sending through ``provider``."""
        unique = sorted(set(notification_ids))
        with translated():
            async with self._engine.connect() as conn:
                rows = (await conn.execute(CLAIMED, {"ids": unique, "provider": provider})).all()
        return {str(r[0]) for r in rows}

    async def traceparent(self, notification_id: str | None, wait_seconds: float = 0.5) -> str | None:
        """The trace context stored when the notification was claimed for sending, for a receipt to
        join its trace; None when tracing is not exporting, or if it cannot be had at once (the
        receipt is never held up or refused for want of it)."""
        if notification_id is None or not tracing.exporting():
            return None
        try:
            async with asyncio.timeout(wait_seconds), self._engine.connect() as conn:
                found = (await conn.execute(TRACEPARENT, {"id": notification_id})).scalar_one_or_none()
        except (SQLAlchemyError, TimeoutError):
            return None
        return str(found) if found is not None else None

    async def inbound_service(self, e164: str, local: str) -> tuple[str, str] | None:
        """The service that owns this inbound number, and the number as it is held (a provider may
        write it in another form)."""
        with translated():
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(INBOUND_NUMBER, {"e164": e164, "local": local, "plus": "+" + e164})
                ).first()
        return (str(row[0]), str(row[1])) if row else None
