"""Memory an analytics worker keeps per notification within its dedupe horizon: ``tracemalloc``
over ``PartitionState.apply`` of NOTIFICATIONS notifications of three events each (requested, sent,
delivered; every id a fresh string, as the decoder gives them), a batch ended every 100
notifications, nothing expired (docs/capacity.md, "Analytics' memory").

    PYTHONPATH=. .venv/bin/python bench/analytics/memory.py [NOTIFICATIONS]
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
import uuid

from notify_analytics.observe import Observation, observe
from notify_analytics.state import PartitionState

T0 = 1_764_900_000_000
DAY_MS = 86_400_000


def event(kind: str, notification_id: str, at_ms: int) -> Observation:
    record: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "notification_id": notification_id,
        "service_id": "s1",
        "occurred_at": at_ms * 1000,
    }
    if kind == "SmsRequested":
        record.update(created_at=at_ms * 1000, key_type="normal")
    else:
        record.update(channel="sms", provider="mmg")
        if kind == "NotificationSentToProvider":
            record["sent_at"] = at_ms * 1000
    found = observe(kind, record)
    assert found is not None
    return found


def main() -> None:
    notifications = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    state = PartitionState(DAY_MS)
    tracemalloc.start()
    for i in range(notifications):
        notification_id, at = str(uuid.uuid4()), T0 + i * 10
        for step, kind in enumerate(("SmsRequested", "NotificationSentToProvider", "NotificationDelivered")):
            state.apply(event(kind, notification_id, at + step * 500))
        if i % 100 == 99:
            state.take_delta()
    state.take_delta()
    gc.collect()
    kept, _ = tracemalloc.get_traced_memory()
    print(f"{notifications} notifications kept: {kept / notifications:.0f} bytes a notification")


if __name__ == "__main__":
    main()
