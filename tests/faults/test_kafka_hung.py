"""The platform's only Kafka broker hangs (SIGSTOP: its connections stay open and nothing answers)
for 20 s under steady load through the public API, then carries on (SIGCONT). The API answers every
request within its bound, a 201 only once Kafka acknowledged the send, otherwise a prompt 503 with
``Retry-After``; sends are accepted again by themselves once the broker answers, and every accepted
notification is delivered and projected, none handed to a provider twice, with no service restarted."""

from __future__ import annotations

import pytest

from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.kafka_cluster import KafkaCluster
from tests.support.platform import Platform

RATE = 40  # sends a second
SECONDS = 40
HANG_AT, RESUME_AT = 8.0, 28.0
# By then the platform must have recovered by itself: every send accepted again.
RECOVERED_BY = RESUME_AT + 5.0


@pytest.mark.timeout(600)
def test_a_hung_broker_under_load_loses_nothing_and_sends_nothing_twice(
    single_broker: KafkaCluster, database: str, platform_on_single_broker: Platform
) -> None:
    platform = platform_on_single_broker

    def hang() -> str:
        single_broker.pause(1)
        return "hung the broker (SIGSTOP)"

    def resume() -> str:
        single_broker.resume(1)
        return "resumed the broker (SIGCONT)"

    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=HANG_AT,
        breaking=hang,
        mend_at=RESUME_AT,
        mending=resume,
    )

    check_fault_run(
        "Kafka (single broker) hung by SIGSTOP for 20 s",
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
    )
    # Recovered by itself: no service died on the way (nothing here would have restarted it).
    assert platform.exited() == {}
