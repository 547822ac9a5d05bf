"""Analytics workers as real processes on the test's own topics, the events they count, and the
results they publish read back from ``notify.analytics.window-stats``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from notify_analytics.results import decode_result
from notify_analytics.views import Results
from notify_analytics.windows import WindowKey, WindowStats
from notify_common import topics
from notify_common.events import (
    Channel,
    EmailRequested,
    Event,
    FailureKind,
    NotificationDelivered,
    NotificationFailed,
    NotificationSentToProvider,
    SmsRequested,
)
from notify_common.kafka import EventProducer, TopicNames, connection_options
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.support.env import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Worker:
    """One ``notify-analytics`` process."""

    settings: CommonSettings
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> Worker:
        self.port = free_port()
        env = {
            **os.environ,
            "NOTIFY_KAFKA_TOPIC_PREFIX": self.settings.kafka_topic_prefix,
            "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers,
            "NOTIFY_HTTP_PORT": str(self.port),
            "NOTIFY_ENVIRONMENT": "development",
            "NOTIFY_ANALYTICS_PUBLISH_SECONDS": "0.2",
            "NOTIFY_ANALYTICS_CATCH_UP_PUBLISH_SECONDS": "0.5",
            "NOTIFY_ANALYTICS_CHECKPOINT_SECONDS": "1",
            # Each worker logs to its own file under the test's tmp_path: at INFO a failure shows
            # its rebalances, recovery and seeks.
            "NOTIFY_LOG_LEVEL": "INFO",
            "NOTIFY_ANALYTICS_SESSION_TIMEOUT_SECONDS": "6",
            **self.env,
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "notify-analytics")], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    async def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"analytics exited with {self.process.returncode}: see {self.log_path}"
                    )
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"analytics not ready after {timeout}s: see {self.log_path}")

    async def counted(self, outcome: str = "counted") -> float:
        """How many events it has read with ``outcome`` (``notify_analytics_events_total``). The
        timeout is generous: on a loaded machine a worker counting a backlog answers in steps of
        one counted list each."""
        async with httpx.AsyncClient(timeout=30) as client:
            text = (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("notify_analytics_events_total{") and f'outcome="{outcome}"' in line
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


async def isolated(settings: CommonSettings) -> CommonSettings:
    mine = settings.model_copy(
        update={"kafka_topic_prefix": f"{settings.kafka_topic_prefix}{uuid.uuid4().hex[:6]}."}
    )
    await provision_topics(mine)
    return mine


@pytest.fixture
async def second_kafka(settings: CommonSettings) -> AsyncIterator[CommonSettings]:
    mine = await isolated(settings)
    yield mine
    await _delete_topics(mine)


async def publish(settings: CommonSettings, items: list[tuple[str, Event]]) -> None:
    producer = EventProducer(settings, client_id="test-analytics")
    await producer.start()
    try:
        await producer.publish_many(items)
    finally:
        await producer.stop()


async def results_of(settings: CommonSettings) -> dict[WindowKey, WindowStats]:
    """Every cell on the results topic now, summed over source partitions."""
    name = TopicNames(settings.kafka_topic_prefix).physical(topics.ANALYTICS_WINDOW_STATS)
    consumer = AIOKafkaConsumer(**connection_options(settings), enable_auto_commit=False)
    await consumer.start()
    merged = Results()
    try:
        declared = topics.TOPICS_BY_NAME[topics.ANALYTICS_WINDOW_STATS].partitions
        partitions = [TopicPartition(name, p) for p in range(declared)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    assert record.key is not None
                    if record.value is None:
                        merged.delete(record.key)
                    else:
                        merged.put(record.key, *decode_result(record.value))
    finally:
        await consumer.stop()
    return merged.cells(lambda _: True)


async def wait_for_count(
    settings: CommonSettings, granularity: str, expected: int, timeout: float = 60.0
) -> dict[WindowKey, WindowStats]:
    """The results once the cells of ``granularity`` add up to ``expected`` events (and stay so)."""
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        cells = await results_of(settings)
        total = sum(s.count for k, s in cells.items() if k.granularity == granularity)
        if total == expected:
            await asyncio.sleep(1.0)  # anything counted twice would show within a publish or two
            again = await results_of(settings)
            return again
        await asyncio.sleep(0.5)
    raise AssertionError(f"{granularity} cells add up to {total}, not {expected}")


def lifecycle(
    notification_id: str,
    service_id: str,
    created: datetime,
    *,
    channel: str = "sms",
    send_after: float = 2.0,
    deliver_after: float = 30.0,
    fails: bool = False,
    key_type: str = "normal",
) -> list[tuple[str, Event]]:
    """The request, sending and delivery (or permanent failure) events of one notification."""
    common: dict[str, Any] = {"notification_id": notification_id, "service_id": service_id}
    sent = created + timedelta(seconds=send_after)
    done = sent + timedelta(seconds=deliver_after)
    request: Event
    if channel == "sms":
        request = SmsRequested(
            **common,
            occurred_at=created,
            template_id="t",
            template_version=1,
            key_type=key_type,
            phone_number="+447700900000",
            international=False,
            sender="GOVUK",
            body="b",
            fragment_count=1,
            created_at=created,
        )
    else:
        request = EmailRequested(
            **common,
            occurred_at=created,
            template_id="t",
            template_version=1,
            key_type=key_type,
            email_address="a@example.com",
            subject="s",
            body="b",
            from_name="f",
            created_at=created,
        )
    outcome: Event = (
        NotificationFailed(
            **common,
            occurred_at=done,
            failure_kind=FailureKind.PERMANENT_FAILURE,
            provider="mmg",
            failed_at=done,
        )
        if fails
        else NotificationDelivered(**common, occurred_at=done, provider="mmg", delivered_at=done)
    )
    return [
        (topics.requested_topic(channel), request),
        (
            topics.NOTIFICATION_STATUS,
            NotificationSentToProvider(
                **common, occurred_at=sent, channel=Channel(channel), provider="mmg", sent_at=sent
            ),
        ),
        (topics.NOTIFICATION_STATUS, outcome),
    ]


def minutes_ago(n: float) -> datetime:
    now = datetime.now(UTC)
    return now.replace(second=0, microsecond=0) - timedelta(minutes=n)
