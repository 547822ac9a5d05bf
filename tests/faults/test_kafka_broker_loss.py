"""The leader broker of a three-broker cluster (replication 3, min.insync.replicas 2, as the Helm
chart recommends for production) is killed with SIGKILL under steady load through the public API,
and restarted 10 s later. The victim is the KRaft quorum's active controller, provided it leads some
of the partitions the API writes sends to (else the node leading most of them; the run says which),
so the controller and those partitions fail over at once. Every notification the API accepted is
delivered and projected, none is handed to a provider twice, and the API answers every request
within its bound."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notify_common import topics
from notify_common.kafka import TopicNames
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.conftest import _delete_topics
from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.kafka_cluster import KafkaCluster
from tests.support.platform import Platform, running_platform

RATE = 40  # sends a second
SECONDS = 45
KILL_AT, RESTART_AT = 8.0, 18.0
# By then the platform must have recovered by itself: every send accepted again.
RECOVERED_BY = 33.0
# A node's Raft log line when it has become the quorum's leader (the active controller).
BECAME_LEADER = re.compile(r"\[RaftManager id=(\d+)\] Completed transition to Leader\(.*?epoch=(\d+),")


def active_controller(cluster: KafkaCluster) -> int | None:
    """The node that became the KRaft quorum's leader in the latest epoch, from the nodes' logs
    (aiokafka cannot ask for the quorum; brokers report a random node as the controller)."""
    latest: tuple[int, int] | None = None
    for log in (cluster.state / "logs").glob("kafka*.log"):
        for match in BECAME_LEADER.finditer(log.read_text(errors="replace")):
            node, epoch = int(match[1]), int(match[2])
            if latest is None or epoch > latest[0]:
                latest = (epoch, node)
    return latest[1] if latest else None


@pytest.fixture(scope="module")
def cluster_settings(settings: CommonSettings, kafka_cluster: KafkaCluster) -> Iterator[CommonSettings]:
    ours = settings.model_copy(
        update={
            "kafka_bootstrap_servers": kafka_cluster.bootstrap,
            "kafka_topic_prefix": f"faults-{uuid.uuid4().hex[:6]}.",
            "kafka_topic_replication_factor": 3,
            "kafka_topic_min_insync_replicas": 2,
        }
    )
    asyncio.run(provision_topics(ours))
    yield ours
    asyncio.run(_delete_topics(ours))


@pytest.fixture(scope="module")
def platform_on_cluster(
    database: str, cluster_settings: CommonSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("broker-loss-logs"))
    with running_platform(
        database,
        logs,
        NOTIFY_KAFKA_BOOTSTRAP_SERVERS=cluster_settings.kafka_bootstrap_servers,
        NOTIFY_KAFKA_TOPIC_PREFIX=cluster_settings.kafka_topic_prefix,
    ) as platform:
        yield platform


@pytest.mark.timeout(600)
def test_killing_the_leader_broker_loses_nothing_and_sends_nothing_twice(
    kafka_cluster: KafkaCluster,
    cluster_settings: CommonSettings,
    platform_on_cluster: Platform,
    database: str,
) -> None:
    platform = platform_on_cluster
    names = TopicNames(cluster_settings.kafka_topic_prefix)
    requested = [names.physical(t) for t in (topics.SMS_REQUESTED, topics.SMS_REQUESTED_BULK)]
    leaders = kafka_cluster.leaders(requested)
    controller = active_controller(kafka_cluster)
    victim = controller if controller is not None and leaders[controller] else leaders.most_common(1)[0][0]
    role = "the active controller" if victim == controller else f"node {controller} was the active controller"
    led = f"{leaders[victim]} of {leaders.total()} request partitions"
    assert leaders[victim] > 0, leaders

    def kill() -> str:
        kafka_cluster.kill(victim)
        return f"killed node {victim} ({role}), leader of {led}"

    def restart() -> str:
        kafka_cluster.start()
        return f"restarted node {victim}"

    stop = threading.Event()
    health: list[tuple[float, float]] = []

    def probe() -> None:
        """The api-gateway's own liveness, beside the load: is it the server or the queue?"""
        start = time.monotonic()
        while not stop.is_set():
            t = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{platform.api_url}/healthz", timeout=60)
            health.append((t - start, time.monotonic() - t))
            time.sleep(0.5)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        load, _, back_at = load_under_fault(
            platform,
            rate=RATE,
            seconds=SECONDS,
            break_at=KILL_AT,
            breaking=kill,
            mend_at=RESTART_AT,
            mending=restart,
        )
    finally:
        stop.set()
        prober.join()
    slow = [(round(at), round(took, 1)) for at, took in health if took > 1]
    print(f"healthz slower than 1 s at: {slow}")
    check_fault_run(
        f"Kafka broker leading {led} ({role}) killed (SIGKILL), restarted 10 s later",
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
        injected=f"three-broker cluster of the test's own (replication 3, min.insync 2); SIGKILL at "
        f"{KILL_AT:.0f} s, restarted at {RESTART_AT:.0f} s; {RATE}/s for {SECONDS} s",
    )
