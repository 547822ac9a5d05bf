"""What the callbacks service reads and writes in PostgreSQL: callback configuration (the API's
``service_callback_api``, every service's at once, secrets decrypted here), the projected
notification a callback is about, and ``callback_deliveries``, the ledger that makes each callback
happen at most N times and succeed at most once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.delivery import Destination
from notify_common.errors import RetryableError
from notify_common.secrets import SecretBox

CONFIGS = text(
    "SELECT service_id, callback_type, url, bearer_token, signing_secret FROM service_callback_api"
)
NOTIFICATION = text(
    "SELECT id, service_id, client_reference, COALESCE(recipient_as_sent, recipient) AS recipient, "
    "status, created_at, completed_at, sent_at, "
    "notification_type, template_id, template_version, sent_by, job_row_number "
    "FROM notifications WHERE id = :id AND created_at IS NOT NULL"
)
LEDGER = text("SELECT attempts, last_kafka_attempt, outcome FROM callback_deliveries WHERE key = :key")
RECORD = text("""
INSERT INTO callback_deliveries (key, service_id, callback_type, attempts, last_kafka_attempt, outcome)
VALUES (:key, :service_id, :callback_type, :attempts, :kafka_attempt, :outcome)
ON CONFLICT (key) DO UPDATE SET attempts = EXCLUDED.attempts,
    last_kafka_attempt = EXCLUDED.last_kafka_attempt, outcome = EXCLUDED.outcome, updated_at = now()
""")


@dataclass(frozen=True)
class Ledger:
    attempts: int
    last_kafka_attempt: int
    outcome: str | None


class CallbackStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox, connections: int = 10) -> None:
        self._engine = engine
        self._box = box
        # At most as many statements at once as the pool keeps connections: past that the pool
        # opens overflow connections and closes them again, a new connection per statement.
        self._connections = asyncio.Semaphore(connections)

    async def _fetch(self, statement: Any, params: dict[str, Any]) -> dict[str, Any] | None:
        try:
            async with self._connections, self._engine.connect() as conn:
                row = (await conn.execute(statement, params)).mappings().first()
        except SQLAlchemyError as exc:
            raise RetryableError("database unavailable") from exc
        return dict(row) if row is not None else None

    async def destinations(self) -> Mapping[tuple[str, str], Destination]:
        """Every configured callback by (service id, callback type)."""
        try:
            async with self._engine.connect() as conn:
                rows = (await conn.execute(CONFIGS)).mappings().all()
        except SQLAlchemyError as exc:
            raise RetryableError("database unavailable") from exc
        return {
            (str(row["service_id"]), row["callback_type"]): Destination(
                url=row["url"],
                bearer_token=self._box.open(row["bearer_token"]),
                signing_secret=self._box.open(row["signing_secret"]) if row["signing_secret"] else None,
            )
            for row in rows
        }

    async def notification(self, notification_id: str) -> dict[str, Any] | None:
        return await self._fetch(NOTIFICATION, {"id": notification_id})

    async def ledger(self, key: str) -> Ledger:
        row = await self._fetch(LEDGER, {"key": key})
        if row is None:
            return Ledger(0, -1, None)
        return Ledger(row["attempts"], row["last_kafka_attempt"], row["outcome"])

    async def record(
        self, key: str, service_id: str, callback_type: str, attempts: int, kafka_attempt: int, outcome: str
    ) -> None:
        params = {
            "key": key,
            "service_id": service_id,
            "callback_type": callback_type,
            "attempts": attempts,
            "kafka_attempt": kafka_attempt,
            "outcome": outcome,
        }
        try:
            async with self._connections, self._engine.begin() as conn:
                await conn.execute(RECORD, params)
        except SQLAlchemyError as exc:
            raise RetryableError("database unavailable") from exc
