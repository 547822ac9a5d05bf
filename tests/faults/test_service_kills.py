"""Platform processes killed with SIGKILL under steady load through the public API and started
again 10 s later, as an orchestrator would: the projector, then the callbacks service. The load's
service has a delivery-status callback to a receiver of the test's own; a second service's
receiver fails throughout, so its callbacks stay unfinished. Every accepted notification is
delivered and projected, none is handed to a provider twice, and every delivered notification's
callback arrives at least once, a repeat with the same ``webhook-id`` as the first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.callbacks import (
    CALLBACK_TIMEOUT_S,
    OtherService,
    platform_with_callbacks,
    start_other_service,
    wait_for_callbacks,
)
from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.https_receiver import HttpsReceiver, https_receiver
from tests.support.platform import Platform

RATE = 40  # sends a second
SECONDS = 35
KILL_AT, RESTART_AT = 8.0, 18.0
RECOVERED_BY = 23.0


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsReceiver]:
    with https_receiver(Path(tmp_path_factory.mktemp("receiver"))) as it:
        yield it


@pytest.fixture(scope="module")
def platform(
    database: str, kafka_topics: str, receiver: HttpsReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("service-kill-logs"))
    with platform_with_callbacks(database, logs, receiver) as it:
        yield it


@pytest.fixture(scope="module")
def other_service(database: str, platform: Platform, receiver: HttpsReceiver) -> OtherService:
    return start_other_service(database, platform, receiver)


def kill_and_restart(
    platform: Platform, name: str, fault: str, database: str, receiver: HttpsReceiver
) -> None:
    service = platform.services[name]

    def kill() -> str:
        service.kill()
        return f"killed {name} (SIGKILL)"

    def restart() -> str:
        service.start()
        service.wait_ready()
        return f"restarted {name}"

    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=KILL_AT,
        breaking=kill,
        mend_at=RESTART_AT,
        mending=restart,
    )
    check_fault_run(
        fault,
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
    )
    counts = wait_for_callbacks(receiver, load.accepted, database, CALLBACK_TIMEOUT_S)
    print(counts.line(fault))
    assert counts.missing == [], counts.line(fault)
    assert counts.other_webhook_id == [], counts.other_webhook_id[:5]
    # The other service's callbacks were being retried (unfinished) all along.
    assert counts.other_service_attempts > 0
    assert counts.other_service_delivered == 0


@pytest.mark.timeout(600)
def test_killing_the_projector_under_load_loses_nothing(
    platform: Platform, database: str, receiver: HttpsReceiver, other_service: OtherService
) -> None:
    kill_and_restart(
        platform, "projector", "projector killed (SIGKILL), restarted 10 s later", database, receiver
    )


@pytest.mark.timeout(600)
def test_killing_the_callbacks_service_under_load_misses_no_callback(
    platform: Platform, database: str, receiver: HttpsReceiver, other_service: OtherService
) -> None:
    kill_and_restart(
        platform, "callbacks", "callbacks service killed (SIGKILL), restarted 10 s later", database, receiver
    )
