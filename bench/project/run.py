"""bench/project: events projected per second during a rebuild (target: 20,000/s).

Writes a realistic lifecycle stream (requested, sent, pending, delivered/failed, complaints,
callback attempts, inbound texts, CSV jobs with progress) for N notifications to the real Kafka,
under a topic prefix of its own, then times ``notify_projector.rebuild.rebuild`` replaying it into
a fresh database: Kafka read, Avro decode, fold, set-based upserts, aggregates, indexes, swap.

    .venv/bin/python bench/project/run.py [notifications, default 50000]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402
from tests.support.streams import lifecycle_stream  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.kafka import EventProducer  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.settings import CommonSettings  # noqa: E402
from notify_projector.rebuild import rebuild  # noqa: E402


async def main(notifications: int) -> None:
    with scratch_database("notify_bench_project") as url:
        settings = CommonSettings(
            kafka_bootstrap_servers=os.environ.get("NOTIFY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
            kafka_topic_prefix=f"bench-project-{uuid.uuid4().hex[:6]}.",
            database_url=SecretStr(url),
            log_level="WARNING",
        )
        try:
            upgrade(url)
            await provision_topics(settings)
            stream = lifecycle_stream(notifications, seed=1, t0=datetime.now(UTC) - timedelta(days=1))
            producer = EventProducer(settings, client_id="bench-project", linger_ms=20)
            await producer.start()
            started = time.monotonic()
            for i in range(0, len(stream.events), 10_000):
                await producer.publish_many(stream.events[i : i + 10_000])
            await producer.stop()
            took = time.monotonic() - started
            print(f"wrote {len(stream.events)} events for {notifications} notifications in {took:.1f} s")
            report = await rebuild(settings)  # the command's defaults: batches of 20,000, 2 workers
            rate = f"{report.events_per_second:,.0f}"
            phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in report.phases.items())
            print(f"phases (s): {phases}")
            print(f"RESULT rebuild: {report.events} events in {report.seconds:.2f} s = {rate} events/s")
        finally:
            await _delete_topics(settings)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
