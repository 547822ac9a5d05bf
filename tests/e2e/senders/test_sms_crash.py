"""Crash tests: text messages are requested and the sms-sender is killed with SIGKILL while
sending: one process killed three times and restarted each time, and one of two replicas sharing
the load killed once. Afterwards every notification reached the provider simulator exactly once:
every id is there and no message was handed over twice (the simulator, like MMG, Firetext and
SNS, delivers a repeated reference again and counts it), every claim is ``sent`` and every
notification ``delivered`` in the projection. Runs the real executables: provider simulator,
receipts, projector and sms-sender.

The test sends 5,000 messages to keep the suite's time modest on a shared 2-core machine (about
35 s); ``bench/send/run.sh`` runs the same test with the 10,000 of the issue
(``NOTIFY_CRASH_TEST_MESSAGES=10000``, about a minute)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, TextClause, create_engine, text

from notify_common import topics
from notify_common.events import SmsRequested, now
from notify_common.kafka import EventProducer
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.support import env
from tests.support.processes import ServiceProcess
from tests.support.senders import free_port

MESSAGES = int(os.environ.get("NOTIFY_CRASH_TEST_MESSAGES", "5000"))
# The sender is killed when the simulator has this share of the messages (not a multiple of the
# batch size, so the kill lands while a batch is being sent).
KILL_AT = tuple(int(MESSAGES * share) for share in (0.17, 0.43, 0.69))
PORTS = {name: free_port() for name in ("provider-simulator", "receipts", "projector", "sms-sender")}


@pytest.fixture(scope="module")
def prefix(settings: CommonSettings) -> Iterator[CommonSettings]:
    isolated = settings.model_copy(
        update={"kafka_topic_prefix": f"{settings.kafka_topic_prefix}crash{uuid.uuid4().hex[:6]}."}
    )
    asyncio.run(provision_topics(isolated))
    yield isolated
    asyncio.run(_delete_topics(isolated))


@pytest.fixture(scope="module")
def services(
    database: str, prefix: CommonSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    logs = Path(tmp_path_factory.mktemp("crash-logs"))
    service_env = env.service_env(
        NOTIFY_KAFKA_TOPIC_PREFIX=prefix.kafka_topic_prefix,
        NOTIFY_RECEIPTS_URL=f"http://127.0.0.1:{PORTS['receipts']}",
        NOTIFY_SIMULATOR_URL=f"http://127.0.0.1:{PORTS['provider-simulator']}",
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MIN="20",
        NOTIFY_SIMULATOR_RECEIPT_DELAY_MS_MAX="100",
        NOTIFY_SIMULATOR_PRINTER="false",
        # A killed sender's claims are taken over after this long.
        NOTIFY_SMS_CLAIM_LEASE_SECONDS="3",
        NOTIFY_PROVIDER_TIMEOUT_SECONDS="2",
        NOTIFY_SMS_WATCH_RECEIPTS="false",
        # A killed sender's partitions move to the process started in its place (or to the other
        # replica) once its session times out: the broker's shortest allowed, not the 10 s default.
        NOTIFY_KAFKA_SESSION_TIMEOUT_MS="6000",
    )
    processes = {name: ServiceProcess(name, port, service_env, logs) for name, port in PORTS.items()}
    try:
        for name in ("provider-simulator", "receipts", "projector"):
            processes[name].start()
        for name in ("provider-simulator", "receipts", "projector"):
            processes[name].wait_ready(timeout=180)  # a loaded shared machine starts slowly
        yield processes
    finally:
        for process in processes.values():
            process.kill()


def request() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id="8b3c8e1e-7d2a-4c55-9e43-2a4f4d8a0c11",
        template_id="5d1f4b0a-0f4e-4d8e-9a51-7c2f0e6b9a10",
        template_version=1,
        key_type="normal",
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Your reference is 1234",
        fragment_count=1,
        created_at=now(),
    )


async def publish(
    settings: CommonSettings, requests: list[SmsRequested], chunk: int = 1_000, pause_s: float = 0.0
) -> None:
    """Publish ``requests`` in chunks, optionally pausing between them to spread the load."""
    producer = EventProducer(settings, client_id="crash-test")
    await producer.start()
    try:
        for i in range(0, len(requests), chunk):
            await producer.publish_many((topics.SMS_REQUESTED, r) for r in requests[i : i + chunk])
            await asyncio.sleep(pause_s)
    finally:
        await producer.stop()


STATUSES = text(
    "SELECT status, count(*) FROM notifications WHERE id = ANY(CAST(:ids AS uuid[])) GROUP BY status"
)
CLAIMS = text(
    "SELECT outcome, count(*) FROM send_claims WHERE notification_id = ANY(CAST(:ids AS uuid[])) "
    "GROUP BY outcome"
)


def counts(engine: Engine, query: TextClause, ids: list[str | None]) -> dict[str, int]:
    with engine.connect() as conn:
        return {str(key): int(n) for key, n in conn.execute(query, {"ids": ids}).all()}


RECOVERIES = text(
    "SELECT COALESCE(recovery, 'none'), count(*) FROM send_claims "
    "WHERE notification_id = ANY(CAST(:ids AS uuid[])) GROUP BY 1"
)


def simulator_count(url: str) -> int:
    """Messages the simulator holds; 0 while it is too busy to answer (the callers' deadlines
    bound the wait)."""
    try:
        count: int = httpx.get(f"{url}/api/stats", timeout=30).json()["messages"]
    except httpx.TimeoutException:
        return 0
    return count


def wait_for(simulator: ServiceProcess, threshold: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (count := simulator_count(simulator.url)) < threshold:
        assert time.monotonic() < deadline, f"only {count} of {threshold} reached the provider"
        time.sleep(0.05)
    return count


def assert_each_sent_exactly_once(
    simulator: ServiceProcess, requests: list[SmsRequested], database: str, kills: list[int]
) -> None:
    wait_for(simulator, MESSAGES, 60 + MESSAGES / 50)
    messages = httpx.get(f"{simulator.url}/api/messages", timeout=30).json()["messages"]
    assert {m["reference"] for m in messages} == {r.notification_id for r in requests}

    ids = [r.notification_id for r in requests]
    engine = create_engine(database)
    statuses: dict[str, int] = {}
    deadline = time.monotonic() + 60 + MESSAGES / 50
    try:
        while time.monotonic() < deadline:
            statuses = counts(engine, STATUSES, ids)
            if statuses.get("delivered") == MESSAGES:
                break
            time.sleep(1)
        claims = counts(engine, CLAIMS, ids)
        recoveries = counts(engine, RECOVERIES, ids)
    finally:
        engine.dispose()
    stats = httpx.get(f"{simulator.url}/api/stats", timeout=10).json()
    print(
        f"kills at {kills}; repeated hand-overs at the simulator: {stats['duplicate_handovers']}; "
        f"claims recovered: {recoveries}"
    )
    assert statuses == {"delivered": MESSAGES}
    assert claims == {"sent": MESSAGES}
    # A phone would have received each of these twice.
    assert stats["duplicate_handovers"] == 0, stats["duplicate_handovers_by_provider"]
    assert stats["handovers"] == MESSAGES


def test_killing_the_sms_sender_three_times_loses_nothing_and_sends_nothing_twice(
    prefix: CommonSettings, services: dict[str, ServiceProcess], database: str
) -> None:
    simulator, sender = services["provider-simulator"], services["sms-sender"]
    httpx.delete(f"{simulator.url}/api/messages", timeout=10)
    requests = [request() for _ in range(MESSAGES)]
    asyncio.run(publish(prefix, requests))
    sender.start()
    kills = []
    for threshold in KILL_AT:
        kills.append(wait_for(simulator, threshold, 120))
        sender.kill()  # SIGKILL: no chance to finish the batch or commit
        sender.start()
    assert all(count < MESSAGES for count in kills), f"every kill must land while sending: {kills}"
    try:
        assert_each_sent_exactly_once(simulator, requests, database, kills)
    finally:
        sender.kill()


def test_killing_one_of_two_sms_senders_sharing_the_load_sends_nothing_twice(
    prefix: CommonSettings,
    services: dict[str, ServiceProcess],
    database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    simulator, first = services["provider-simulator"], services["sms-sender"]
    second = ServiceProcess("sms-sender", free_port(), first.env, tmp_path_factory.mktemp("replica-logs"))
    httpx.delete(f"{simulator.url}/api/messages", timeout=10)
    requests = [request() for _ in range(MESSAGES)]
    # Requests arrive at about 1,000 a second for the whole test, so the kill lands mid-load
    # however fast the replicas hand them over.
    publishing = threading.Thread(target=lambda: asyncio.run(publish(prefix, requests, 100, 0.1)))
    try:
        first.start()
        second.start()
        first.wait_ready(timeout=180)
        second.wait_ready(timeout=180)
        publishing.start()
        # The survivor takes the killed replica's partitions after the group notices (its session
        # times out) and its claims after the lease.
        kills = [wait_for(simulator, int(MESSAGES * 0.3), 120)]
        second.kill()
        assert kills[0] < MESSAGES, f"the kill must land while sending: {kills}"
        publishing.join()
        assert_each_sent_exactly_once(simulator, requests, database, kills)
    finally:
        if publishing.is_alive():
            publishing.join()
        second.kill()
        first.kill()
