"""The day's send counts survive a Redis crash: Redis started with the persistence options of
``deploy/local/infra.sh`` (append-only file) keeps the daily counters through a SIGKILL and a
restart. The test runs its own redis-server on a free port in a temporary directory."""

from __future__ import annotations

import asyncio
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_sync

from notify_api_gateway import redis_client
from notify_common.ratelimit import DailyLimit, Limiter
from tests.support.env import ROOT

PERSISTENCE_OPTIONS = {"--save", "--appendonly", "--appendfsync", "--auto-aof-rewrite-percentage"}


def infra_redis_persistence() -> list[str]:
    """The persistence options ``infra.sh`` starts Redis with."""
    script = (ROOT / "deploy" / "local" / "infra.sh").read_text()
    body = script.split("start_redis() {", 1)[1].split("\n}", 1)[0]
    command = body.split("redis-server", 1)[1].replace("\\\n", " ").split("\n", 1)[0]
    words = shlex.split(command)
    options: list[str] = []
    for i, word in enumerate(words):
        if word in PERSISTENCE_OPTIONS:
            options += [word, words[i + 1]]
    return options


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.args = [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(directory),
            *infra_redis_persistence(),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis_sync.Redis.from_url(self.url).ping():
                    return
            except redis_sync.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def crash(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.crash()


async def _count(url: str, service_id: str, sends: int) -> int | None:
    client = redis_client.connect(url, timeout=2)
    limiter = Limiter(client)
    try:
        for _ in range(sends):
            assert (await limiter.count_daily(service_id, "normal", [(DailyLimit("sms", 100), 1)])).allowed
        return await limiter.used_today(service_id, "normal", "sms")
    finally:
        await client.aclose()  # type: ignore[attr-defined]


def test_the_days_counts_survive_a_redis_crash(own_redis: OwnRedis) -> None:
    service_id = "6d0f7a52-6c43-4c3e-9f0c-1d2b3c4d5e6f"
    assert asyncio.run(_count(own_redis.url, service_id, 3)) == 3
    own_redis.crash()
    own_redis.start()
    assert asyncio.run(_count(own_redis.url, service_id, 0)) == 3
