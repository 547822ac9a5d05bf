"""What the callbacks service reads and writes in PostgreSQL: callback configuration (the admin-api's
read contract ``config_service_callbacks``, every service's at once, secrets decrypted here) and
``callback_deliveries``, its own ledger that makes each callback happen at most N times and
succeed at most once, read and written a batch at a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.delivery import Destination
from notify_common.errors import RetryableError
from notify_common.secrets import SecretBox

CONFIGS = "SELECT service_id, callback_type, url, bearer_token, signing_secret FROM config_service_callbacks"
# A batch's keys and entries go as one JSON parameter each: the driver then sends one string
# instead of adapting every element of six arrays (half the statements' CPU in this process for a
# batch of 200). The keys are made an array before the look-up, so it uses the primary key. Both
# statements are made straight on the driver's connection, in psycopg's parameter style: per
# statement, SQLAlchemy's execution (its greenlet hand-over, result and transaction handling) cost
# this process more than the driver's.
LEDGERS = (
    "SELECT key, attempts, last_kafka_attempt, outcome FROM callback_deliveries "
    "WHERE key = ANY(ARRAY(SELECT json_array_elements_text(CAST(%(keys)s AS json))))"
)
RECORD = """
INSERT INTO callback_deliveries (key, service_id, callback_type, attempts, last_kafka_attempt, outcome,
    status_code, duration_ms)
SELECT key, service_id, callback_type, attempts, kafka_attempt, outcome, status_code, duration_ms
FROM json_to_recordset(CAST(%(entries)s AS json)) AS entry(key varchar, service_id uuid,
    callback_type varchar, attempts integer, kafka_attempt integer, outcome varchar,
    status_code integer, duration_ms integer)
ON CONFLICT (key) DO UPDATE SET attempts = EXCLUDED.attempts,
    last_kafka_attempt = EXCLUDED.last_kafka_attempt, outcome = EXCLUDED.outcome,
    status_code = EXCLUDED.status_code, duration_ms = EXCLUDED.duration_ms, updated_at = now()
"""
_UNAVAILABLE = (SQLAlchemyError, psycopg.OperationalError, psycopg.InterfaceError, OSError)


@dataclass(frozen=True)
class Ledger:
    attempts: int
    last_kafka_attempt: int
    outcome: str | None


NO_LEDGER = Ledger(0, -1, None)


@dataclass(frozen=True)
class Entry:
    """A callback's ledger after an attempt: its last attempt's HTTP status (None when none came
    back) and duration too."""

    key: str
    service_id: str
    callback_type: str
    attempts: int
    kafka_attempt: int
    outcome: str
    status_code: int | None
    duration_ms: int


class CallbackStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox, connections: int = 10) -> None:
        self._engine = engine
        # Each ledger statement is atomic on its own: autocommit spares a BEGIN and a COMMIT.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._box = box
        # What each sealed secret of the last load opened to. The configuration is reloaded every
        # second or so, and opening every callback's secrets each time (Fernet: an HMAC and an
        # AES decryption each) was most of a reload's CPU; a sealed value always opens to the same
        # secret. Only the last load's are kept, so a secret replaced or removed is forgotten.
        self._opened: dict[str, str] = {}
        # At most as many statements at once as the pool keeps connections: past that the pool
        # opens overflow connections and closes them again, a new connection per statement.
        self._connections = asyncio.Semaphore(connections)

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A pooled connection in autocommit, straight at the driver; one whose statement failed for
        want of the server is not given back to the pool. Any failure is ``RetryableError`` with
        the library's error as its cause (so an unavailable database is told apart)."""
        try:
            async with self._connections, self._autocommit.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                if not isinstance(driver, psycopg.AsyncConnection):
                    raise TypeError(f"the ledger needs a psycopg engine, not {type(driver).__name__}")
                try:
                    yield driver
                except _UNAVAILABLE:
                    with contextlib.suppress(Exception):
                        await conn.invalidate()
                    raise
        except (*_UNAVAILABLE, psycopg.Error) as exc:
            raise RetryableError("database unavailable") from exc

    async def destinations(self) -> Mapping[tuple[str, str], Destination]:
        """Every configured callback by (service id, callback type)."""
        # Straight on the driver's connection in autocommit, as the ledger's statements: reloaded
        # every second or so, through SQLAlchemy it cost a transaction's BEGIN and ROLLBACK and
        # its execution machinery each time, most of a reload's CPU.
        async with self._driver() as conn:
            cursor = await conn.execute(CONFIGS)
            rows = await cursor.fetchall()
        opened: dict[str, str] = {}
        destinations = {
            (str(service_id), callback_type): Destination(
                url=url,
                bearer_token=self._open(bearer_token, opened),
                signing_secret=self._open(signing_secret, opened) if signing_secret else None,
            )
            for service_id, callback_type, url, bearer_token, signing_secret in rows
        }
        self._opened = opened
        return destinations

    def _open(self, sealed: str, opened: dict[str, str]) -> str:
        secret = self._opened.get(sealed)
        if secret is None:
            secret = self._box.open(sealed)
        opened[sealed] = secret
        return secret

    async def ledgers(self, keys: Sequence[str]) -> dict[str, Ledger]:
        """The ledger of each of ``keys`` that has one, in one statement."""
        async with self._driver() as conn:
            cursor = await conn.execute(LEDGERS, {"keys": orjson.dumps(list(keys)).decode()})
            rows = await cursor.fetchall()
        return {row[0]: Ledger(row[1], row[2], row[3]) for row in rows}

    async def record(self, entries: Sequence[Entry]) -> None:
        """Writes the ledger of each entry (keys unique), in one statement."""
        params = {"entries": orjson.dumps(list(entries)).decode()}  # each entry an object by field
        async with self._driver() as conn:
            await conn.execute(RECORD, params)
