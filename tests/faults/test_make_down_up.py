"""``make down`` under steady load through the public API, then ``make up`` again: the whole local
platform (backing services and every service) stops and starts as a developer would stop and start
it. Every send the API accepted before the stop is delivered and projected after the restart, none
is handed to a provider twice, no request waits past the bound while the platform goes down
(refused connections are expected), and the platform serves again by itself once ``make up`` is
done.

The platform is a second one of the test's own: ``make up`` runs with ``NOTIFY_STATE_DIR`` in a
temporary folder and every port moved to free ones (``NOTIFY_LOCAL_*_PORT``,
``NOTIFY_LOCAL_SERVICE_PORT_OFFSET``), so the developer's ``.local/`` and the shared backing
services are never touched."""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.load import LoadResult, send_sms_load
from tests.faults.verdict import check_fault_run
from tests.support.env import ROOT
from tests.support.kafka_cluster import kafka_libs
from tests.support.local_postgres import LocalPostgres

RATE = 40  # sends a second
DOWN_AT = 8.0
# The load goes on this long after make up has returned; by then every send must be accepted again.
AFTER_UP = 15.0
RECOVERED_AFTER_UP = 5.0
# The most the load may last: make down and make up took 37 s and up to 235 s on a 2-core machine
# shared with other test runs.
SECONDS = 420.0
# services.sh's ports, before NOTIFY_LOCAL_SERVICE_PORT_OFFSET moves them, and the test's own ports
# for Kafka (listener, controller), PostgreSQL, Redis and moto, moved by the same offset.
SERVICE_PORTS = (6011, 6012, 6013, 6021, 6022, 6023, 6024, 6025, 6026, 6027, 6030)
INFRA_PORTS = (6031, 6032, 6033, 6034, 6035)
# Refused or dropped connections while the platform is down; a timeout is not among them.
DOWN_ERRORS = frozenset({"ClientConnectorError", "ServerDisconnectedError", "ClientOSError"})


def free_port_offset() -> int:
    """An offset that puts every port of the platform on a free one below the ephemeral range (so
    no outgoing connection takes one while the platform is down)."""
    for _ in range(200):
        offset = random.randrange(14_000, 26_000, 100)
        if all(_free(p + offset) for p in (*SERVICE_PORTS, *INFRA_PORTS)):
            return offset
    raise RuntimeError("no free ports for the platform")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class LocalPlatform:
    """A platform started and stopped by ``make up`` and ``make down`` in a state folder of its own."""

    state: Path
    env: dict[str, str]
    offset: int
    pg_port: int

    def make(self, target: str) -> float:
        """Runs ``make <target>``; returns how long it took."""
        started = time.monotonic()
        done = subprocess.run(
            ["make", "--no-print-directory", "-C", str(ROOT), target],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"make {target} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return time.monotonic() - started

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port + self.offset}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://notify@127.0.0.1:{self.pg_port}/notify"

    @property
    def demo(self) -> dict[str, str]:
        """What make up's demo step wrote: the API's URL, a live key and the templates' ids."""
        values = {}
        for line in (self.state / "demo.env").read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = shlex.split(value)[0] if value else ""
        return values


@pytest.fixture(scope="module")
def local_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    state = Path(tmp_path_factory.mktemp("make-up-state"))
    offset = free_port_offset()
    kafka, controller, pg, redis_port, moto = (p + offset for p in INFRA_PORTS)
    # Nothing of the test run's own environment (its database, topic prefix, secrets) reaches the
    # scripts: they make their own, as on a developer's machine.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    env.update(
        NOTIFY_STATE_DIR=str(state),
        NOTIFY_LOCAL_KAFKA_PORT=str(kafka),
        NOTIFY_LOCAL_KAFKA_CONTROLLER_PORT=str(controller),
        NOTIFY_LOCAL_PG_PORT=str(pg),
        NOTIFY_LOCAL_REDIS_PORT=str(redis_port),
        NOTIFY_LOCAL_MOTO_PORT=str(moto),
        NOTIFY_LOCAL_SERVICE_PORT_OFFSET=str(offset),
        NOTIFY_KAFKA_LIBS_DIR=str(kafka_libs()),
        NOTIFY_LOCAL_SKIP_INSTALL="1",
    )
    platform = LocalPlatform(state, env, offset, pg)
    try:
        took = platform.make("up")
        print(f"make up (first start) took {took:.0f} s")
        yield platform
    finally:
        try:
            platform.make("down")
        finally:
            # PostgreSQL's data may live outside the state folder (see infra.sh's pg_home).
            LocalPostgres(state, pg).remove()


@pytest.mark.timeout(1200)
def test_make_down_and_make_up_under_load_lose_nothing_and_send_nothing_twice(
    local_platform: LocalPlatform,
) -> None:
    platform = local_platform
    demo = platform.demo
    assert demo["NOTIFY_API_URL"] == platform.url(6011)

    done: list[str] = []
    up_at: list[float] = []
    failed: list[BaseException] = []
    stop_load = threading.Event()

    def down_and_up() -> None:
        try:
            time.sleep(DOWN_AT)
            done.append(f"make down took {platform.make('down'):.0f} s")
            done.append(f"make up took {platform.make('up'):.0f} s")
            up_at.append(time.monotonic())
            stop_load.wait(AFTER_UP)
        except BaseException as error:  # reported by the test, not lost in the thread
            failed.append(error)
        finally:
            stop_load.set()

    restarter = threading.Thread(target=down_and_up)
    started = time.monotonic()
    restarter.start()
    load: LoadResult = asyncio.run(
        send_sms_load(
            demo["NOTIFY_API_URL"],
            demo["NOTIFY_API_KEY_LIVE"],
            demo["NOTIFY_SMS_TEMPLATE_ID"],
            rate=RATE,
            seconds=SECONDS,
            until=stop_load.is_set,
        )
    )
    stop_load.set()
    restarter.join()
    print(f"{'; '.join(done)}; {load.summary()}\n{load.timeline()}")
    assert failed == [], failed
    assert up_at, "make up had not returned when the load ended"
    back = up_at[0] - started

    # While the platform was down the API's port refused connections (or closed them); no request
    # may have hung instead, and none may have been answered with anything but a 201 or a 503.
    unanswered = [a for a in load.answers if a.status == 0]
    assert all(a.error in DOWN_ERRORS for a in unanswered), unanswered[:5]
    accepted_before = [a for a in load.answers if a.status == 201 and a.due < DOWN_AT]
    assert accepted_before, load.timeline()

    check_fault_run(
        "make down, then make up, mid-load",
        load,
        database_url=platform.database_url,
        simulator_url=platform.url(6013),
        back_at=up_at[0],
        recovered_by=back + RECOVERED_AFTER_UP,
        refusals=frozenset({503, 0}),
        injected=f"make down at {DOWN_AT:.0f} s, make up as soon as it returned (done at {back:.0f} s), "
        f"in a state folder and on ports of the test's own; {RATE}/s for {len(load.answers) / RATE:.0f} s",
    )
