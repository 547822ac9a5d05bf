"""What the callbacks service reads and writes in PostgreSQL: callback configuration (the admin-api's
read contract ``config_service_callbacks``, every service's at once, secrets decrypted here) and
``callback_deliveries``, its own ledger that makes each callback happen at most N times and
succeed at most once, read and written a batch at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.delivery import Destination
from notify_common.errors import RetryableError
from notify_common.secrets import SecretBox

CONFIGS = text(
    "SELECT service_id, callback_type, url, bearer_token, signing_secret FROM config_service_callbacks"
)
# A batch's keys and entries go as one JSON parameter each: the driver then sends one string
# instead of adapting every element of six arrays (half the statements' CPU in this process for a
# batch of 200). The keys are made an array before the look-up, so it uses the primary key.
LEDGERS = text(
    "SELECT key, attempts, last_kafka_attempt, outcome FROM callback_deliveries "
    "WHERE key = ANY(ARRAY(SELECT json_array_elements_text(CAST(:keys AS json))))"
)
RECORD = text("""
INSERT INTO callback_deliveries (key, service_id, callback_type, attempts, last_kafka_attempt, outcome)
SELECT key, service_id, callback_type, attempts, kafka_attempt, outcome
FROM json_to_recordset(CAST(:entries AS json)) AS entry(key varchar, service_id uuid,
    callback_type varchar, attempts integer, kafka_attempt integer, outcome varchar)
ON CONFLICT (key) DO UPDATE SET attempts = EXCLUDED.attempts,
    last_kafka_attempt = EXCLUDED.last_kafka_attempt, outcome = EXCLUDED.outcome, updated_at = now()
""")


@dataclass(frozen=True)
class Ledger:
    attempts: int
    last_kafka_attempt: int
    outcome: str | None


NO_LEDGER = Ledger(0, -1, None)


@dataclass(frozen=True)
class Entry:
    """A callback's ledger after an attempt."""

    key: str
    service_id: str
    callback_type: str
    attempts: int
    kafka_attempt: int
    outcome: str


class CallbackStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox, connections: int = 10) -> None:
        self._engine = engine
        self._box = box
        # At most as many statements at once as the pool keeps connections: past that the pool
        # opens overflow connections and closes them again, a new connection per statement.
        self._connections = asyncio.Semaphore(connections)

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

    async def ledgers(self, keys: Sequence[str]) -> dict[str, Ledger]:
        """The ledger of each of ``keys`` that has one, in one statement."""
        try:
            async with self._connections, self._engine.connect() as conn:
                rows = (await conn.execute(LEDGERS, {"keys": orjson.dumps(list(keys)).decode()})).all()
        except SQLAlchemyError as exc:
            raise RetryableError("database unavailable") from exc
        return {row[0]: Ledger(row[1], row[2], row[3]) for row in rows}

    async def record(self, entries: Sequence[Entry]) -> None:
        """Writes the ledger of each entry (keys unique), in one statement."""
        params = {"entries": orjson.dumps(list(entries)).decode()}  # each entry an object by field
        try:
            async with self._connections, self._engine.begin() as conn:
                await conn.execute(RECORD, params)
        except SQLAlchemyError as exc:
            raise RetryableError("database unavailable") from exc
