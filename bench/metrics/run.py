"""bench/metrics: what the Prometheus instrumentation costs on the hot paths, in CPU per operation.

Each case runs the same work with and without the instrumentation, alternating in rounds so that a
busy machine slows both alike, timed in this process's CPU time (not wall time, which other
processes would inflate), and prints the median cost per operation of each and the difference:

* an HTTP request through ``HttpMetrics`` (route template lookup, a counter and a histogram) in
  front of a FastAPI route with a path parameter, called in-process (no sockets);
* an accepted send's count (``metrics.accepted``) and a provider call's (``metrics.provider_call``
  and ``metrics.sent``);
* a consumed record's count in a batch of 500 (``ConsumerMetrics.handled``), and one lag report of
  twelve partitions (``ConsumerMetrics.report_lag``, at most once a second in a consumer).

Usage: ``.venv/bin/python bench/metrics/run.py [rounds]`` (default 7). Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from fastapi import FastAPI
from fastapi.responses import Response

from notify_common import metrics
from notify_common.consumer_metrics import ConsumerMetrics
from notify_common.kafka import TopicNames
from notify_common.metrics_http import HttpMetrics

Case = Callable[[int], Awaitable[float]]  # runs n operations, returns seconds taken


def http_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v2/notifications/{notification_id}")
    async def one(notification_id: str) -> Response:
        return Response(b"{}", media_type="application/json")

    return app


def http_case(asgi: Any) -> Case:
    scope_base = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v2/notifications/6b9f3a7e-1d2c-4e5f-8a9b-0c1d2e3f4a5b",
        "raw_path": b"/v2/notifications/6b9f3a7e-1d2c-4e5f-8a9b-0c1d2e3f4a5b",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def run(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            await asgi(dict(scope_base), receive, send)
        return time.process_time() - started

    return run


def sync_case(operation: Callable[[], None]) -> Case:
    async def run(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            operation()
        return time.process_time() - started

    return run


def nothing() -> None:
    return None


def send_counted() -> None:
    metrics.accepted(["sms"], "normal", bulk=False)


created = datetime(2026, 1, 1, tzinfo=UTC)


def call_counted() -> None:
    with metrics.provider_call("mmg", "sms"):
        pass
    metrics.sent("sms", created, created)


consumer_metrics = ConsumerMetrics("bench", TopicNames(""), lag_interval_s=0)
batch_topics = ["notify.sms.requested"] * 450 + ["notify.sms.requested.bulk"] * 50


def batch_counted() -> None:
    consumer_metrics.handled(batch_topics)


class FakeConsumer:
    def __init__(self) -> None:
        self.partitions = [TopicPartition("notify.status", p) for p in range(12)]

    def assignment(self) -> set[TopicPartition]:
        return set(self.partitions)

    def highwater(self, tp: TopicPartition) -> int:
        return 1_000_000 + int(tp.partition)

    async def position(self, tp: TopicPartition) -> int:
        return 999_000


async def lag_reported(n: int) -> float:
    consumer = FakeConsumer()
    started = time.process_time()
    for _ in range(n):
        await consumer_metrics.report_lag(consumer)
    return time.process_time() - started


async def no_lag(n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        await asyncio.sleep(0)
    return time.process_time() - started


async def compare(
    label: str, per: str, bare: Case, counted: Case, n: int, rounds: int, scale: int = 1
) -> None:
    await bare(n // 10)  # warm-up
    await counted(n // 10)
    bare_us: list[float] = []
    counted_us: list[float] = []
    for _ in range(rounds):
        bare_us.append((await bare(n)) / (n * scale) * 1e6)
        counted_us.append((await counted(n)) / (n * scale) * 1e6)
    b, c = statistics.median(bare_us), statistics.median(counted_us)
    spread = max(statistics.pstdev(bare_us), statistics.pstdev(counted_us))
    print(
        f"{label:<52} {b:8.2f} µs -> {c:8.2f} µs per {per}: +{c - b:6.2f} µs "
        f"(spread ±{spread:.2f} µs over {rounds} rounds)"
    )


async def main(rounds: int) -> None:
    app = http_app()
    print(f"median CPU per operation, without -> with the instrumentation ({rounds} rounds)")
    await compare(
        "HTTP request, FastAPI route with a path parameter", "request",
        http_case(app), http_case(HttpMetrics(app)), 2_000, rounds,
    )  # fmt: skip
    await compare(
        "accepted send counted", "send", sync_case(nothing), sync_case(send_counted), 50_000, rounds
    )
    await compare(
        "provider call counted and timed, created-to-sent", "send",
        sync_case(nothing), sync_case(call_counted), 50_000, rounds,
    )  # fmt: skip
    await compare(
        "consumed records counted, batches of 500", "record",
        sync_case(nothing), sync_case(batch_counted), 2_000, rounds, scale=500,
    )  # fmt: skip
    await compare("lag report, 12 partitions", "report", no_lag, lag_reported, 2_000, rounds)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
