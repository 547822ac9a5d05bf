"""The callbacks ledger (``CallbackStore.ledgers`` and ``record``) against PostgreSQL: a batch's
entries written in one statement are read back in one, each as written (its last attempt's status
and duration too), whatever its key holds;
a later entry for the same key replaces the earlier; a key never written has no ledger; a
connection the server dropped fails one statement as an unavailable database, not more."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.store import CallbackStore, Entry, Ledger
from notify_common.db import create_engine
from notify_common.errors import RetryableError
from notify_common.failures import FailureClass, classify_failure
from notify_common.settings import CommonSettings
from tests.support.lifecycle import add_service


async def test_a_batchs_entries_are_read_back_as_written_and_a_later_entry_replaces_one(
    engine: AsyncEngine,
) -> None:
    service = await add_service(engine)
    store = CallbackStore(engine, None)  # type: ignore[arg-type]  # no configuration is read here
    nid = str(uuid.uuid4())
    odd = 'complaint:a,b "c" \\d\' {e} [f] ü ✓'  # separators, quotes, escapes, braces, non-ASCII
    first = [
        Entry(f"delivery_status:{nid}:sent", service, "delivery_status", 1, 0, "succeeded", 200, 12),
        Entry(f"delivery_status:{nid}:final", service, "delivery_status", 2, 1, "retrying", 503, 40),
        Entry(odd, service, "complaint", 5, 4, "failed", None, 5000),
    ]
    await store.record(first)
    await store.record(
        [Entry(f"delivery_status:{nid}:final", service, "delivery_status", 3, 2, "succeeded", 204, 9)]
    )
    never = f"delivery_status:{uuid.uuid4()}:final"
    found = await store.ledgers([e.key for e in first] + [never])
    assert found == {
        f"delivery_status:{nid}:sent": Ledger(1, 0, "succeeded"),
        f"delivery_status:{nid}:final": Ledger(3, 2, "succeeded"),
        odd: Ledger(5, 4, "failed"),
    }
    assert await store.ledgers([]) == {}
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT key, status_code, duration_ms FROM callback_deliveries WHERE key = ANY(:keys)"),
            {"keys": [e.key for e in first]},
        )
        assert {row.key: (row.status_code, row.duration_ms) for row in rows} == {
            f"delivery_status:{nid}:sent": (200, 12),
            f"delivery_status:{nid}:final": (204, 9),  # the last attempt's
            odd: (None, 5000),  # no answer came back
        }


async def test_a_connection_the_server_dropped_fails_its_statement_as_unavailable_and_is_not_used_again(
    engine: AsyncEngine, settings: CommonSettings
) -> None:
    service = await add_service(engine)
    # One connection, never tried before use: the statement on it finds that it was dropped.
    ledger_engine = create_engine(settings, pool_size=1, pre_ping=False)
    store = CallbackStore(ledger_engine, None)  # type: ignore[arg-type]  # no configuration is read here
    try:
        key = f"delivery_status:{uuid.uuid4()}:final"
        await store.record([Entry(key, service, "delivery_status", 1, 0, "succeeded", 200, 3)])
        async with ledger_engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(RetryableError) as failed:
            await store.ledgers([key])
        assert classify_failure(failed.value) is FailureClass.UNAVAILABLE
        assert await store.ledgers([key]) == {key: Ledger(1, 0, "succeeded")}
    finally:
        await ledger_engine.dispose()
