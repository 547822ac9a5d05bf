"""bench/callbacks: CPU of the callbacks service per notification (target: ≤ 50 µs when the
service has no delivery-status callback).

Two runs against the real Kafka and PostgreSQL, each under a topic prefix and database of its own:

* ``none``: N delivered statuses of a service without a callback (another service has one, so the
  cached configuration is not empty);
* ``every``: M delivered statuses (carrying the notification's details, as senders and receipts
  write them) of a service with a delivery-status callback to a local HTTPS receiver answering 200
  (its own process, not counted; its self-signed certificate is bench/platform's, trusted through
  ``SSL_CERT_FILE``, and 127.0.0.1 is an allowed callback network).

The statuses are published first; then the callbacks consumer, composed as ``notify-callbacks``
composes it (``notify_callbacks.__main__.build``), reads them all. The figure is this process's
CPU time (user + system, every thread) from the consumer's start until every record is handled,
divided by the records: Kafka fetch, Avro decode, the decision and, in ``every``, the ledger, the
HTTPS call and the ``CallbackAttempted`` event. The rate is records over the wall time of that span.

    .venv/bin/python bench/callbacks/run.py [N, default 20000] [M, default 2000]
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402

from bench.platform.run import CERT, KEY, callback_certificate  # noqa: E402
from notify_callbacks.__main__ import build  # noqa: E402
from notify_callbacks.settings import CallbacksSettings  # noqa: E402
from notify_common import topics  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import NotificationDelivered, SmsRequested, facts_of  # noqa: E402
from notify_common.kafka import BatchConsumer, EventProducer, Received  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.secrets import SecretBox  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_service(conn: object, service_id: str) -> None:
    conn.execute(  # type: ignore[attr-defined]
        text("INSERT INTO services (id, name, email_from) VALUES (:id, :name, 'bench')"),
        {"id": service_id, "name": f"bench {service_id}"},
    )


def add_callback(conn: object, settings: CallbacksSettings, service_id: str, url: str) -> None:
    box = SecretBox(settings.secret_key.get_secret_value())
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO service_callback_api (id, service_id, callback_type, url, bearer_token)"
            " VALUES (:id, :service_id, 'delivery_status', :url, :token)"
        ),
        {
            "id": str(uuid.uuid4()),
            "service_id": service_id,
            "url": url,
            "token": box.seal("bench-token-0123"),
        },
    )


def delivered_with_details(service_id: str, count: int) -> list[NotificationDelivered]:
    """``count`` delivered statuses of SMS notifications, each carrying its request's details."""
    now = datetime.now(UTC)
    template = str(uuid.uuid4())
    statuses = []
    for _ in range(count):
        nid = str(uuid.uuid4())
        request = SmsRequested(
            notification_id=nid, service_id=service_id, template_id=template, template_version=1,
            key_type="normal", client_reference="bench", phone_number="447700900123", international=False,
            sender="GOVUK", body="Hi", fragment_count=1, created_at=now,
        )  # fmt: skip
        statuses.append(
            NotificationDelivered(
                notification_id=nid, service_id=service_id, provider="mmg",
                delivered_at=now + timedelta(seconds=2), **facts_of(request),
                notification_sent_at=now + timedelta(seconds=1),
            )
        )  # fmt: skip
    return statuses


async def measure(
    settings: CallbacksSettings, statuses: Sequence[NotificationDelivered]
) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for the callbacks consumer to handle ``statuses``."""
    producer = EventProducer(settings, client_id="bench-callbacks", linger_ms=20)
    await producer.start()
    for i in range(0, len(statuses), 10_000):
        await producer.publish_many((topics.NOTIFICATION_STATUS, s) for s in statuses[i : i + 10_000])
    app = build(settings, producer)
    handler = app.handler
    assert handler is not None
    handled = 0
    done = asyncio.Event()

    async def handle(batch: Sequence[Received]) -> None:
        nonlocal handled
        await handler(batch)
        handled += len(batch)
        if handled >= len(statuses):
            done.set()

    consumer = BatchConsumer(
        settings, group=app.group, topics=app.topics, handler=handle, producer=producer, retry=app.retry,
        max_records=app.max_records,
    )  # fmt: skip
    cpu, wall = time.process_time(), time.monotonic()
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(done.wait(), timeout=600)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    consumer.request_stop()
    await task
    if app.on_stop is not None:
        await app.on_stop()
    await producer.stop()
    return cpu, wall


async def received(receiver_url: str) -> int:
    """How many callbacks the receiver has had, waiting for it to answer at all."""
    async with httpx.AsyncClient(verify=str(CERT)) as client:
        for _ in range(100):
            try:
                return int((await client.get(receiver_url)).text)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the receiver did not start")


async def run(name: str, count: int, with_callbacks: bool, receiver_url: str) -> None:
    pg_port = os.environ.get("NOTIFY_LOCAL_PG_PORT", "15432")
    admin_url = f"postgresql+psycopg://notify@127.0.0.1:{pg_port}/postgres"
    database = f"notify_bench_callbacks_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    settings = CallbacksSettings(
        kafka_bootstrap_servers=os.environ.get("NOTIFY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        kafka_topic_prefix=f"bench-callbacks-{uuid.uuid4().hex[:6]}.",
        database_url=SecretStr(url),
        log_level="WARNING",
        callback_allowed_networks="127.0.0.1/32",
    )
    try:
        upgrade(url)
        await provision_topics(settings)
        quiet, listening = str(uuid.uuid4()), str(uuid.uuid4())
        sync = create_engine(url)
        with sync.begin() as conn:
            add_service(conn, quiet)
            add_service(conn, listening)
            add_callback(conn, settings, listening, receiver_url + "/callback")
        sync.dispose()
        before = await received(receiver_url)
        if with_callbacks:
            statuses = delivered_with_details(listening, count)
        else:
            now = datetime.now(UTC)
            statuses = [
                NotificationDelivered(
                    notification_id=str(uuid.uuid4()), service_id=quiet, provider="ses", delivered_at=now
                )
                for _ in range(count)
            ]
        cpu, wall = await measure(settings, statuses)
        called = await received(receiver_url) - before
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"RESULT callbacks {name}: {count} statuses, {called} callbacks, "
            f"{cpu / count * 1e6:,.1f} µs CPU per notification, {count / wall:,.0f}/s (load {load})"
        )
    finally:
        await _delete_topics(settings)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main(none: int, every: int) -> None:
    port = free_port()
    callback_certificate()
    os.environ["SSL_CERT_FILE"] = str(CERT)  # the callbacks service's client trusts the receiver
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "receiver.py"), str(port), str(CERT), str(KEY)]
    )
    try:
        asyncio.run(run("none", none, with_callbacks=False, receiver_url=f"https://127.0.0.1:{port}"))
        asyncio.run(run("every", every, with_callbacks=True, receiver_url=f"https://127.0.0.1:{port}"))
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 2_000)
