"""bench/callbacks: CPU of the callbacks service per notification (target: ≤ 50 µs when the
service has no delivery-status callback) and per callback.

Two runs against the real Kafka and PostgreSQL (``NOTIFY_KAFKA_BOOTSTRAP_SERVERS`` and
``NOTIFY_LOCAL_PG_PORT``, as ``deploy/local/env.sh`` sets them), each under a topic prefix and
database of its own:

* ``none``: N SMS notifications of a service without a callback (another service has one, so the
  cached configuration is not empty), each a sent and a delivered status carrying the request's
  details, as the sms-sender and the receipts service write them;
* ``every``: M delivered statuses (carrying the notification's details) of a service with a
  delivery-status callback to a local HTTPS receiver answering 200 (its own process, not counted;
  its self-signed certificate is bench/platform's, trusted through ``SSL_CERT_FILE``, and
  127.0.0.1 is an allowed callback network).

The statuses are published first; then the callbacks consumer, composed and run as
``notify-callbacks`` runs it (``notify_callbacks.__main__.build``, ``runtime.consumers``, its start
and stop hooks, on uvloop), reads them all. The figure is this process's CPU time (user + system,
every thread) from the consumer's start until its committed offsets reach the end of every
partition, divided by the notifications: Kafka fetch, what is read of each record, the decision
and, in ``every``, the ledger, the HTTPS call and the ``CallbackAttempted`` event. The rate is
notifications over the wall time of that span. The receiver's own CPU over the same span is
printed too, per callback it answered: on this machine it shares the cores with the platform.

    [BENCH_LOG_LEVEL=INFO] .venv/bin/python bench/callbacks/run.py [N, default 20000] [M, default 2000]

The service logs nothing below WARNING unless ``BENCH_LOG_LEVEL`` says otherwise: then its JSON
lines are formatted and written as the service writes them, to ``/dev/null`` instead of stdout.
"""

from __future__ import annotations

import asyncio
import logging
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
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import SecretStr
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import _delete_topics  # noqa: E402

from bench.platform.run import CERT, KEY, callback_certificate  # noqa: E402
from notify_callbacks.__main__ import build  # noqa: E402
from notify_callbacks.settings import CallbacksSettings  # noqa: E402
from notify_common import garbage, topics  # noqa: E402
from notify_common.db.migrate import upgrade  # noqa: E402
from notify_common.events import (  # noqa: E402
    Channel,
    Event,
    NotificationDelivered,
    NotificationSentToProvider,
    SmsRequested,
    facts_of,
)
from notify_common.kafka import EventProducer, connection_options  # noqa: E402
from notify_common.logs import configure_logging  # noqa: E402
from notify_common.provision import provision_topics  # noqa: E402
from notify_common.runtime import consumers, run_on_uvloop  # noqa: E402
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


def delivered_with_details(service_id: str, count: int, *, sent: bool = False) -> list[Event]:
    """``count`` delivered statuses of SMS notifications, each carrying its request's details; with
    ``sent``, each after its sent status, as the sms-sender and the receipts service write them."""
    now = datetime.now(UTC)
    template = str(uuid.uuid4())
    statuses: list[Event] = []
    for _ in range(count):
        nid = str(uuid.uuid4())
        request = SmsRequested(
            notification_id=nid, service_id=service_id, template_id=template, template_version=1,
            key_type="normal", client_reference="bench", phone_number="447700900123", international=False,
            sender="GOVUK", body="Hi", fragment_count=1, created_at=now,
        )  # fmt: skip
        if sent:
            statuses.append(
                NotificationSentToProvider(
                    notification_id=nid, service_id=service_id, channel=Channel.SMS, provider="mmg",
                    sent_at=now + timedelta(seconds=1), **facts_of(request),
                )
            )  # fmt: skip
        statuses.append(
            NotificationDelivered(
                notification_id=nid, service_id=service_id, provider="mmg",
                delivered_at=now + timedelta(seconds=2), **facts_of(request),
                notification_sent_at=now + timedelta(seconds=1),
            )
        )  # fmt: skip
    return statuses


async def measure(settings: CallbacksSettings, statuses: Sequence[Event]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for the callbacks consumer, composed and run as the service runs
    it (``runtime.consumers``, its ``on_start`` and ``on_stop``), to handle ``statuses``: until its
    committed offsets reach the ends of the partitions (records it passes over undecoded never
    reach the handler, so the handler's count cannot tell)."""
    producer = EventProducer(settings, client_id="bench-callbacks", linger_ms=20)
    await producer.start()
    for i in range(0, len(statuses), 10_000):
        await producer.publish_many((topics.NOTIFICATION_STATUS, s) for s in statuses[i : i + 10_000])
    status_topic = settings.kafka_topic_prefix + topics.NOTIFICATION_STATUS
    partitions = [
        TopicPartition(status_topic, p)
        for p in range(topics.TOPICS_BY_NAME[topics.NOTIFICATION_STATUS].partitions)
    ]
    ends = await end_offsets(settings, partitions)
    app = build(settings, producer)
    (member,) = consumers(settings, app, producer)
    # As the service does once it is up (before the span measured, as its full collection is a
    # start-up cost): what is built so far out of the collector's sight, and young collections
    # rarer. Without it each full collection walked the whole benchmark's heap (py-spy put 13 %
    # of a run's samples on one allocating line), a cost the service does not have.
    garbage.started()
    cpu, wall = time.process_time(), time.monotonic()
    if app.on_start is not None:
        await app.on_start()
    await member.start()
    task = asyncio.create_task(member.run())
    while True:
        committed = [await member._consumer.committed(tp) or 0 for tp in partitions]
        if all(c >= ends[tp] for c, tp in zip(committed, partitions, strict=True)):
            break
        await asyncio.sleep(0.1)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    member.request_stop()
    await task
    if app.on_stop is not None:
        await app.on_stop()
    await producer.stop()
    return cpu, wall


async def end_offsets(
    settings: CallbacksSettings, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    reader = AIOKafkaConsumer(**connection_options(settings))
    await reader.start()
    try:
        return dict(await reader.end_offsets(partitions))
    finally:
        await reader.stop()


async def received(receiver_url: str) -> int:
    """How many callbacks the receiver has had, waiting for it to answer at all."""
    async with httpx.AsyncClient(verify=str(CERT)) as client:
        for _ in range(100):
            try:
                return int((await client.get(receiver_url)).text)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the receiver did not start")


async def counts(receiver_url: str) -> tuple[int, int]:
    """How many callbacks the receiver has had, and over how many connections (TLS handshakes),
    this request's own included."""
    async with httpx.AsyncClient(verify=str(CERT)) as client:
        posts = int((await client.get(receiver_url)).text)
        return posts, int((await client.get(receiver_url + "/connections")).text)


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user and system) process ``pid`` has used, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(name: str, count: int, with_callbacks: bool, receiver_url: str, receiver_pid: int) -> None:
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
        # The service runs at INFO (the default); WARNING leaves out what it logs for each callback.
        log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
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
        await received(receiver_url)
        before, opened = await counts(receiver_url)
        if with_callbacks:
            statuses = delivered_with_details(listening, count)
        else:
            statuses = delivered_with_details(quiet, count, sent=True)
        receiver_cpu = process_cpu(receiver_pid)
        cpu, wall = await measure(settings, statuses)
        receiver_cpu = process_cpu(receiver_pid) - receiver_cpu
        called, connections = await counts(receiver_url)
        # Less the connection that asked for the counts before.
        called, opened = called - before, connections - opened - 1
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"RESULT callbacks {name}: {count} notifications ({len(statuses)} statuses), "
            f"{called} callbacks over {opened} connections, "
            f"{cpu / count * 1e6:,.1f} µs CPU per notification, {count / wall:,.0f}/s (load {load})"
            + (f"; receiver {receiver_cpu / called * 1e6:,.1f} µs CPU per callback" if called else "")
        )
    finally:
        await _delete_topics(settings)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main(none: int, every: int) -> None:
    level = os.environ.get("BENCH_LOG_LEVEL")
    if level:
        configure_logging("callbacks", level)
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - open until the process ends
    port = free_port()
    callback_certificate()
    os.environ["SSL_CERT_FILE"] = str(CERT)  # the callbacks service's client trusts the receiver
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "receiver.py"), str(port), str(CERT), str(KEY)]
    )
    try:
        url = f"https://127.0.0.1:{port}"
        run_on_uvloop(run("none", none, with_callbacks=False, receiver_url=url, receiver_pid=receiver.pid))
        run_on_uvloop(run("every", every, with_callbacks=True, receiver_url=url, receiver_pid=receiver.pid))
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 2_000)
