"""The HTTP views (JSON), ``/metrics`` and ``/health``, on faust's web server.

Every worker reads the whole results topic into ``Results``, so each answers for every
partition, whichever worker counted it. Bad input gets Notify's error shape, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.web import Request, Response, View

from notify_analytics.views import Results, daily, providers, service_days, service_today
from notify_analytics.worker import SourceState
from notify_common import topics
from notify_common.kafka import TopicNames, connection_options
from notify_common.metrics_http import exposition
from notify_common.settings import CommonSettings

log = logging.getLogger(__name__)
CHANNELS = ("sms", "email", "letter")
MAX_DAYS = 400
DAYS_MESSAGE = f"days must be a whole number from 1 to {MAX_DAYS}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _days(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_DAYS else None


def _error(view: View, status: int, message: str) -> Response:
    return view.json(
        {"status_code": status, "errors": [{"error": "BadRequestError", "message": message}]},
        status=status,
    )


async def follow_results(settings: CommonSettings, results: Results, ready: asyncio.Event) -> None:
    """Read ``notify.analytics.window-stats`` from its beginning, and keep reading."""
    name = TopicNames(settings.kafka_topic_prefix).physical(topics.ANALYTICS_WINDOW_STATS)
    consumer = AIOKafkaConsumer(
        **connection_options(settings), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
        if not partitions:
            partitions = [
                TopicPartition(name, p)
                for p in range(topics.TOPICS_BY_NAME[topics.ANALYTICS_WINDOW_STATS].partitions)
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ready.set()
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    if record.key is None:
                        continue
                    if record.value is None:
                        results.delete(record.key)
                        continue
                    results.put_encoded(record.key, record.value)
    finally:
        await consumer.stop()


def add_views(app: faust.App, settings: CommonSettings, states: dict[str, SourceState]) -> Results:
    results = Results()
    ready = asyncio.Event()

    async def follow() -> None:
        await follow_results(settings, results, ready)

    app.task(follow)

    @app.page("/stats/daily")
    class Daily(View):
        async def get(self, request: Request) -> Response:
            channel = request.query.get("channel")
            if channel is not None and channel not in CHANNELS:
                return _error(self, 400, f"channel must be one of {', '.join(CHANNELS)}")
            days = _days(request.query.get("days", "7"))
            if days is None:
                return _error(self, 400, DAYS_MESSAGE)
            return self.json(daily(results, channel=channel, days=days, now_ms=_now_ms()))

    @app.page("/stats/services/{service_id}/daily")
    class ServiceDays(View):
        async def get(self, request: Request, service_id: str) -> Response:
            days = _days(request.query.get("days", "7"))
            if days is None:
                return _error(self, 400, DAYS_MESSAGE)
            return self.json(service_days(results, service_id, days=days, now_ms=_now_ms()))

    @app.page("/stats/services/{service_id}/today")
    class ServiceToday(View):
        async def get(self, request: Request, service_id: str) -> Response:
            return self.json(service_today(results, service_id, now_ms=_now_ms()))

    @app.page("/stats/providers")
    class Providers(View):
        async def get(self, request: Request) -> Response:
            granularity = request.query.get("window", "hour")
            if granularity not in ("minute", "hour", "day"):
                return _error(self, 400, "window must be one of minute, hour, day")
            return self.json(providers(results, granularity=granularity, now_ms=_now_ms()))

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(exposition(), content_type="text/plain")

    @app.page("/readyz")
    class Ready(View):
        """Ready once every source's state is restored and the results are being read."""

        async def get(self, request: Request) -> Response:
            up = ready.is_set() and all(s.restored for s in states.values())
            body: dict[str, Any] = {"status": "ok" if up else "starting"}
            return self.json(body, status=200 if up else 503)

    _ = (Daily, ServiceDays, ServiceToday, Providers, Metrics, Ready)
    return results
