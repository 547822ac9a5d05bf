"""CPU per status event of what the callbacks consumer does before its handler: the sieve, and the
decoding of what it lets through (``RecordRouter.decode_batches`` with ``notify_callbacks.sieve``),
for a service with a delivery-status callback that gets a ``sent`` and a ``delivered`` status for
each text, as on a platform with a callback for every notification. In process, no Kafka, timed
with ``time.process_time()``: steady on a loaded machine.

    .venv/bin/python bench/callbacks/sieve.py [TEXTS] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from aiokafka import ConsumerRecord, TopicPartition

from notify_callbacks.config import CallbackConfig
from notify_callbacks.delivery import Destination
from notify_callbacks.sieve import Sieve
from notify_common import codec, topics
from notify_common.events import Channel, Event, NotificationDelivered, NotificationSentToProvider
from notify_common.kafka import EventProducer, RecordRouter, RetryPolicy, TopicNames
from notify_common.settings import CommonSettings

SERVICE = str(uuid.uuid4())
NOW = datetime.now(UTC)


def statuses(texts: int) -> list[Event]:
    events: list[Event] = []
    for _ in range(texts):
        facts: dict[str, Any] = {
            "notification_id": str(uuid.uuid4()), "service_id": SERVICE, "correlation_id": str(uuid.uuid4()),
            "notification_type": "sms", "recipient": "07700900123", "template_id": str(uuid.uuid4()),
            "template_version": 1, "created_at": NOW,
        }  # fmt: skip
        events.append(NotificationSentToProvider(
            channel=Channel.SMS, provider="mmg", provider_reference=facts["notification_id"], sent_at=NOW,
            billable_units=1, **facts,
        ))  # fmt: skip
        events.append(NotificationDelivered(provider="mmg", delivered_at=NOW, **facts))
    return events


async def main(texts: int = 5000, rounds: int = 3) -> None:
    async def configured() -> dict[tuple[str, str], Destination]:
        return {(SERVICE, "delivery_status"): Destination("https://example.com/cb", "token", None)}

    config = CallbackConfig(configured, 3600)
    await config.reload()

    async def handler(batch: Any) -> None:
        return None

    router = RecordRouter(
        TopicNames(""), group=topics.GROUP_CALLBACKS, handler=handler,
        producer=EventProducer(CommonSettings(), client_id="bench"), retry=RetryPolicy(), skip=Sieve(config),
    )  # fmt: skip
    tp = TopicPartition(topics.NOTIFICATION_STATUS, 0)
    records = [
        ConsumerRecord(tp.topic, 0, i, 0, 0, None, value, None, 0, len(value), ())
        for i, value in enumerate(codec.encode(e) for e in statuses(texts))
    ]
    handed = 0
    for _ in range(rounds):
        started = time.process_time()
        for i in range(0, len(records), 200):
            ready, _ends = await router.decode_batches(cast(Any, None), {tp: records[i : i + 200]})
            handed += len(ready)
        spent = time.process_time() - started
        print(f"{spent / len(records) * 1e6:.1f} µs per status event ({len(records)} events)", flush=True)
    print(f"handed to the handler: {handed // rounds} of {len(records)} a round")


if __name__ == "__main__":
    args = [int(arg) for arg in sys.argv[1:3]]
    asyncio.run(main(*args))
