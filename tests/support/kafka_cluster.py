"""A three-node Apache Kafka cluster of a test's own (or a single broker, ``brokers=1``), started by
``deploy/local/infra.sh`` (the same script as ``NOTIFY_LOCAL_KAFKA_BROKERS=3 make up``) in a
temporary state folder on free ports, so a test can kill, hang and restart a broker without touching
the shared one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from tests.support.env import ROOT

NODES = (1, 2, 3)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_base_port() -> int:
    """A base port whose node and controller ports (base + 10n and base + 10n + 1) are all free."""
    for _ in range(200):
        base = random.randrange(20_000, 32_000, 2)  # below the ephemeral range
        if all(_port_free(base + 10 * i + j) for i in range(len(NODES)) for j in (0, 1)):
            return base
    raise RuntimeError("no free ports for a Kafka cluster")


def kafka_libs() -> Path:
    state = Path(os.environ.get("NOTIFY_STATE_DIR", ROOT / ".local"))
    found = sorted((state / "kafka").glob("libs-*/.complete"))
    if not found:
        raise RuntimeError(f"Kafka jars not installed under {state}/kafka: run deploy/local/install.sh")
    return found[-1].parent


@dataclass
class KafkaCluster:
    state: Path
    base_port: int
    brokers: int = 3

    @property
    def nodes(self) -> tuple[int, ...]:
        return tuple(range(1, self.brokers + 1))

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NOTIFY_STATE_DIR": str(self.state),
            "NOTIFY_LOCAL_KAFKA_BROKERS": str(self.brokers),
            "NOTIFY_LOCAL_KAFKA_PORT": str(self.base_port),
            "NOTIFY_LOCAL_KAFKA_CONTROLLER_PORT": str(self.base_port + 1),
            "NOTIFY_KAFKA_LIBS_DIR": str(kafka_libs()),
        }

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.port(n)}" for n in self.nodes)

    def port(self, node: int) -> int:
        return self.base_port + 10 * (node - 1)

    def _infra(self, *args: str) -> None:
        subprocess.run(
            ["bash", str(ROOT / "deploy/local/infra.sh"), *args],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        """Starts every node that is not running and waits until all are ready."""
        self._infra("start", "kafka")

    def wait_answering(self, timeout: float = 120.0) -> None:
        """Waits until every node answers a metadata request: after a restart, ``start`` may return
        on the readiness line an earlier start left in the node's log."""
        asyncio.run(asyncio.wait_for(self._answering(), timeout))

    async def _answering(self) -> None:
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5_000)
            try:
                await admin.start()
                if len((await admin.describe_cluster())["brokers"]) == self.brokers:
                    return
            except KafkaError:
                pass
            finally:
                with contextlib.suppress(KafkaError):
                    await admin.close()
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        self._infra("stop", "kafka")

    def pid(self, node: int) -> int:
        name = "kafka" if node == 1 else f"kafka-{node}"
        return int((self.state / "run" / f"{name}.pid").read_text())

    def kill(self, node: int) -> None:
        """SIGKILL: the broker gets no chance to hand over leadership or flush."""
        os.kill(self.pid(node), signal.SIGKILL)

    def pause(self, node: int) -> None:
        """SIGSTOP: the broker hangs with its connections open; nothing answers until ``resume``."""
        os.kill(self.pid(node), signal.SIGSTOP)

    def resume(self, node: int) -> None:
        os.kill(self.pid(node), signal.SIGCONT)

    def leaders(self, topics: list[str]) -> Counter[int]:
        """How many partitions of these topics each node leads."""
        return asyncio.run(self._leaders(topics))

    async def _leaders(self, topics: list[str]) -> Counter[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(topics)
        finally:
            await admin.close()
        return Counter(p["leader"] for d in described for p in d["partitions"])
