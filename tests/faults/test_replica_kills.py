"""Two processes of each consumer service the load goes through (the sms-sender, the projector and
the callbacks service; the receipts service consumes nothing), as two pods of each Deployment. Under
steady load through the public API one process of each is killed with SIGKILL and not started
again: its partitions move to the survivor once the consumer group notices (the session timeout,
10 s). Every accepted notification is delivered and projected, none is handed to a provider
twice, and every delivered notification's callback arrives, with no step by anyone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.callbacks import CALLBACK_TIMEOUT_S, platform_with_callbacks, wait_for_callbacks
from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.https_receiver import HttpsReceiver, https_receiver
from tests.support.platform import Platform

RATE = 40  # sends a second
SECONDS = 35
KILL_AT = 8.0
RECOVERED_BY = 13.0
CONSUMERS = ["sms-sender", "projector", "callbacks"]


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsReceiver]:
    with https_receiver(Path(tmp_path_factory.mktemp("receiver"))) as it:
        yield it


@pytest.fixture(scope="module")
def two_of_each(
    database: str, kafka_topics: str, receiver: HttpsReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("replica-kill-logs"))
    with platform_with_callbacks(database, logs, receiver) as platform:
        platform.add_replicas(CONSUMERS)
        yield platform


@pytest.mark.timeout(600)
def test_killing_one_of_two_replicas_of_each_consumer_loses_nothing(
    two_of_each: Platform, database: str, receiver: HttpsReceiver
) -> None:
    platform = two_of_each
    killed_at: list[float] = []

    def kill() -> str:
        for name in CONSUMERS:
            platform.services[name].kill()
        killed_at.append(time.monotonic())
        return f"killed one of two processes of {', '.join(CONSUMERS)} (SIGKILL)"

    def leave() -> str:
        return "left them down: the other processes carry on alone"

    fault = "one of two replicas of each consumer killed (SIGKILL), not restarted"
    load, _, _ = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=KILL_AT,
        breaking=kill,
        mend_at=KILL_AT + 1,
        mending=leave,
    )
    check_fault_run(
        fault,
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=killed_at[0],
        recovered_by=RECOVERED_BY,
    )
    counts = wait_for_callbacks(receiver, load.accepted, database, CALLBACK_TIMEOUT_S)
    print(counts.line(fault))
    assert counts.missing == [], counts.line(fault)
    assert counts.other_webhook_id == [], counts.other_webhook_id[:5]
    # The survivors did the work: every one of them is still running.
    assert all(r.process is not None and r.process.poll() is None for r in platform.replicas)
