"""What the receipts service's consumer of the send events asks of Kafka: it gathers the status
events of about 100 ms a fetch, where Kafka's default answers each fetch as soon as one lands."""

from __future__ import annotations

from notify_common import topics
from notify_common.db import create_engine
from notify_common.kafka import EventProducer
from notify_receipts.app import sends_consumer
from notify_receipts.lookups import Lookups
from notify_receipts.settings import ReceiptsSettings
from notify_receipts.unchecked import UncheckedHandler


async def test_the_send_events_are_fetched_16_kib_or_100_ms_at_a_time() -> None:
    settings = ReceiptsSettings()
    producer = EventProducer(settings, client_id="unit")
    engine = create_engine(settings)
    consumer = sends_consumer(settings, UncheckedHandler(engine, Lookups(engine), producer), producer)
    assert consumer.group == topics.GROUP_RECEIPTS
    assert (consumer._consumer._fetch_min_bytes, consumer._consumer._fetch_max_wait_ms) == (16 * 1024, 100)
    await engine.dispose()
