"""Benchmark: one sms-sender instance against the provider simulator.

1. Throughput: ``--burst`` requests are written to Kafka first; the sender is then started and
   the rate is measured from the first to the last message the simulator received.
2. Latency: requests are written at a steady ``--rate`` per second for ``--seconds``; each one's
   latency is from Kafka's acknowledgement of its request event (the moment the API would answer
   201) to the moment the simulator received it. Reports p50, p95, p99 and the share handed over within 1 s.

Uses the backing services of ``deploy/local`` (started if needed by ``make bench``), a database
and topic prefix of its own (both removed afterwards), and real service processes. Receipts are
off in the simulator: this measures the hand-over to the provider.

Run: ``make bench`` or ``.venv/bin/python bench/send/run.py [--burst N] [--rate R] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402
from tests.integration.senders.support import free_port  # noqa: E402
from tests.support import env  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402

from notify_common import topics  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import SmsRequested, now  # noqa: E402
from notify_common.kafka import EventProducer  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402


def request(created: datetime | None = None) -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id="8b3c8e1e-7d2a-4c55-9e43-2a4f4d8a0c11",
        template_id="5d1f4b0a-0f4e-4d8e-9a51-7c2f0e6b9a10",
        template_version=1,
        key_type="normal",
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Your appointment is at 10:30 on Monday. Reply STOP to opt out.",
        fragment_count=1,
        created_at=created or now(),
    )


def received_at(simulator: str) -> dict[str, datetime]:
    messages = httpx.get(f"{simulator}/api/messages", timeout=60).json()["messages"]
    return {m["reference"]: datetime.fromisoformat(m["received_at"]) for m in messages}


def cpu_seconds(process: ServiceProcess) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    assert process.process is not None
    fields = Path(f"/proc/{process.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count(simulator: str) -> int:
    value: int = httpx.get(f"{simulator}/api/stats", timeout=30).json()["messages"]
    return value


def wait_for(simulator: str, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while count(simulator) < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {count(simulator)} of {total} reached the simulator")
        time.sleep(0.25)


async def burst(settings: CommonSettings, n: int) -> None:
    producer = EventProducer(settings, client_id="bench-send")
    await producer.start()
    try:
        for i in range(0, n, 2_000):
            await producer.publish_many((topics.SMS_REQUESTED, request()) for _ in range(min(2_000, n - i)))
    finally:
        await producer.stop()


async def steady(settings: CommonSettings, rate: int, seconds: int) -> dict[str, datetime]:
    """Write ``rate`` requests a second in 20 ms slices; returns when each was acknowledged."""
    producer = EventProducer(settings, client_id="bench-send-steady")
    await producer.start()
    sent: dict[str, datetime] = {}
    slice_s = 0.02
    per_slice = max(1, round(rate * slice_s))
    try:
        start = time.monotonic()
        for i in range(int(seconds / slice_s)):
            batch = [request() for _ in range(per_slice)]
            await producer.publish_many((topics.SMS_REQUESTED, r) for r in batch)
            acknowledged = now()  # when the API would answer 201
            for r in batch:
                sent[r.notification_id or ""] = acknowledged
            delay = start + (i + 1) * slice_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    finally:
        await producer.stop()
    return sent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--burst", type=int, default=30_000)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    # Stopped with SIGTERM, still clean up the processes, database and topics below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    run = uuid.uuid4().hex[:8]
    db_name = f"notify_bench_{run}"
    admin = create_engine(env.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    database_url = env.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
    upgrade(database_url)
    settings = CommonSettings(kafka_bootstrap_servers=env.KAFKA, kafka_topic_prefix=f"bench-{run}.")
    asyncio.run(provision_topics(settings))
    logs = Path(tempfile.mkdtemp(prefix="bench-send-"))
    simulator_port = free_port()
    service_env = env.service_env(
        NOTIFY_KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix,
        NOTIFY_DATABASE_URL=database_url,
        NOTIFY_SIMULATOR_URL=f"http://127.0.0.1:{simulator_port}",
        NOTIFY_SIMULATOR_SEND_RECEIPTS="false",
        NOTIFY_SIMULATOR_PRINTER="false",
        NOTIFY_LOG_LEVEL="WARNING",
    )
    simulator = ServiceProcess("provider-simulator", simulator_port, service_env, logs)
    sender = ServiceProcess("sms-sender", free_port(), service_env, logs)
    try:
        simulator.start()
        simulator.wait_ready()
        print(f"throughput: {args.burst} requests queued, then one sms-sender started")
        asyncio.run(burst(settings, args.burst))
        simulator_cpu = cpu_seconds(simulator)
        sender.start()
        wait_for(simulator.url, args.burst, timeout=600)
        times = sorted(received_at(simulator.url).values())
        span = (times[-1] - times[0]).total_seconds()
        print(f"  {args.burst} handed over in {span:.1f} s: {args.burst / span:,.0f} SMS/s")
        print(
            f"  CPU per message: sms-sender {cpu_seconds(sender) / args.burst * 1e6:.0f} us (start-up "
            f"included), simulator {(cpu_seconds(simulator) - simulator_cpu) / args.burst * 1e6:.0f} us"
        )
        httpx.delete(f"{simulator.url}/api/messages", timeout=30)

        print(f"latency: {args.rate}/s for {args.seconds} s")
        sent = asyncio.run(steady(settings, args.rate, args.seconds))
        wait_for(simulator.url, len(sent), timeout=120)
        arrived = received_at(simulator.url)
        latencies = [(arrived[nid] - created).total_seconds() for nid, created in sent.items()]
        within = sum(1 for value in latencies if value <= 1.0) / len(latencies)
        start = min(sent.values())
        windows: dict[int, list[float]] = {}
        for nid, created in sent.items():
            windows.setdefault(int((created - start).total_seconds() // 5), []).append(
                (arrived[nid] - created).total_seconds()
            )
        trend = ", ".join(f"{statistics.median(v) * 1000:.0f}" for _, v in sorted(windows.items()))
        print(f"  median latency per 5 s of the run (ms): {trend}")
        print(
            f"  {len(latencies)} messages: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms; {within:.2%} within 1 s"
        )
    finally:
        sender.kill()
        simulator.kill()
        asyncio.run(_delete_topics(settings))
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
        print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
