"""What a worker asks of Kafka: its fetches wait for enough records to make a batch worth handing
over (faust's own consumer fetches every record as it lands), and its producer gathers the
changelog records of several batches into one request."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import aiokafka

from notify_analytics.faust_app import BatchDrainingConsumer
from notify_analytics.settings import AnalyticsSettings
from notify_analytics.worker import build_app


async def worker_consumer(settings: AnalyticsSettings) -> aiokafka.AIOKafkaConsumer:
    """The aiokafka consumer a worker built from ``settings`` would start (not started here)."""
    app, _ = build_app(settings)
    consumer = app.consumer
    assert isinstance(consumer, BatchDrainingConsumer)
    thread = consumer._new_consumer_thread()
    made = cast(Any, thread)._create_worker_consumer(app.transport)
    assert isinstance(made, aiokafka.AIOKafkaConsumer)
    return made


async def test_fetches_wait_for_256_kib_or_a_second_by_default(tmp_path: Path) -> None:
    made = await worker_consumer(AnalyticsSettings(analytics_data_dir=tmp_path))
    await made.stop()
    assert (made._fetch_min_bytes, made._fetch_max_wait_ms) == (256 * 1024, 1000)


async def test_what_fetches_wait_for_is_a_setting(tmp_path: Path) -> None:
    made = await worker_consumer(
        AnalyticsSettings(
            analytics_data_dir=tmp_path, analytics_fetch_min_bytes=1, analytics_fetch_max_wait_ms=20
        )
    )
    await made.stop()
    assert (made._fetch_min_bytes, made._fetch_max_wait_ms) == (1, 20)


def test_the_producer_lingers_to_gather_records(tmp_path: Path) -> None:
    app, _ = build_app(AnalyticsSettings(analytics_data_dir=tmp_path))
    assert app.conf.producer_linger == 0.1
    assert app.producer.linger_ms == 100
