"""The callbacks ledger (``CallbackStore.ledgers`` and ``record``) against PostgreSQL: a batch's
entries written in one statement are read back in one, each as written, whatever its key holds;
a later entry for the same key replaces the earlier; a key never written has no ledger."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from notify_callbacks.store import CallbackStore, Entry, Ledger
from tests.support.lifecycle import add_service


async def test_a_batchs_entries_are_read_back_as_written_and_a_later_entry_replaces_one(
    engine: AsyncEngine,
) -> None:
    service = await add_service(engine)
    store = CallbackStore(engine, None)  # type: ignore[arg-type]  # no configuration is read here
    nid = str(uuid.uuid4())
    odd = 'complaint:a,b "c" \\d\' {e} [f] ü ✓'  # separators, quotes, escapes, braces, non-ASCII
    first = [
        Entry(f"delivery_status:{nid}:sent", service, "delivery_status", 1, 0, "succeeded"),
        Entry(f"delivery_status:{nid}:final", service, "delivery_status", 2, 1, "retrying"),
        Entry(odd, service, "complaint", 5, 4, "failed"),
    ]
    await store.record(first)
    await store.record([Entry(f"delivery_status:{nid}:final", service, "delivery_status", 3, 2, "succeeded")])
    never = f"delivery_status:{uuid.uuid4()}:final"
    found = await store.ledgers([e.key for e in first] + [never])
    assert found == {
        f"delivery_status:{nid}:sent": Ledger(1, 0, "succeeded"),
        f"delivery_status:{nid}:final": Ledger(3, 2, "succeeded"),
        odd: Ledger(5, 4, "failed"),
    }
    assert await store.ledgers([]) == {}
