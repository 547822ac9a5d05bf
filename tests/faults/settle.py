"""After a fault: wait for every accepted notification to reach its final status, and read what
the provider simulator saw."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import httpx
from sqlalchemy import create_engine, text

STATUSES = text(
    "SELECT status, count(*) FROM notifications WHERE id = ANY(CAST(:ids AS uuid[])) GROUP BY status"
)


def wait_for_final(database_url: str, ids: list[str], status: str, timeout: float) -> Counter[str]:
    """Polls the projection until every id has ``status`` (or the timeout); returns the counts."""
    engine = create_engine(database_url)
    counts: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                counts = Counter({str(s): int(n) for s, n in conn.execute(STATUSES, {"ids": ids}).all()})
            if counts[status] == len(ids):
                break
            time.sleep(1)
    finally:
        engine.dispose()
    missing = len(ids) - sum(counts.values())
    if missing:
        counts["(no row)"] = missing
    return counts


def handed_over(simulator_url: str) -> Counter[str]:
    """How many times the simulated providers were handed each reference (the simulator lists each
    message once, with the hand-overs of its reference after the first as ``duplicates``)."""
    messages = httpx.get(f"{simulator_url}/api/messages", timeout=30).json()["messages"]
    given: Counter[str] = Counter()
    for m in messages:
        given[str(m["reference"])] += 1 + int(m["duplicates"])
    return given


def repeated_handovers(simulator_url: str) -> int:
    """Hand-overs of a reference the providers had already been given (each a message sent twice)."""
    stats = httpx.get(f"{simulator_url}/api/stats", timeout=30).json()
    return int(stats["duplicate_handovers"])


def receipts_taken_between(simulator_url: str, start: datetime, end: datetime) -> int:
    """Receipts the receipts service took (answered below 500) between ``start`` and ``end``."""
    messages = httpx.get(f"{simulator_url}/api/messages", timeout=30).json()["messages"]
    taken = (datetime.fromisoformat(m["receipt_sent_at"]) for m in messages if m["receipt_sent_at"])
    return sum(start <= at <= end for at in taken)


def receipts_not_taken(simulator_url: str) -> tuple[int, int]:
    """Receipt posts the receipts service did not take (each posted again), and receipts given up."""
    stats = httpx.get(f"{simulator_url}/api/stats", timeout=30).json()
    return int(stats["receipts_retried"]), int(stats["receipts_dropped"])
