"""The platform's only Kafka broker is killed with SIGKILL under steady load through the public API
and started again 15 s later on the same data. The API answers every request within its bound (a
201 only once Kafka acknowledged the send, otherwise a prompt 503 with ``Retry-After``); producers
and consumers reconnect by themselves, and every accepted notification is delivered and projected,
none handed to a provider twice, with no service restarted."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from tests.faults.load import LoadResult, load_under_fault, send_sms_load
from tests.faults.verdict import check_fault_run
from tests.support.kafka_cluster import KafkaCluster
from tests.support.platform import Platform

RATE = 40  # sends a second
SECONDS = 45
KILL_AT, RESTART_AT = 8.0, 23.0
# Every send due this long after the restarted broker first answers must be accepted.
RECOVERY_S = 5.0
# The load goes on at least this long after that. The broker's own start (a JVM, then its logs
# recovered after an unclean shutdown) takes a few seconds on an idle machine and can take a
# minute on a busy one; the load must see it back either way.
AFTER_RECOVERY_S = 10.0


def keep_loading(platform: Platform, load: LoadResult, load_start: float, until: float) -> LoadResult:
    """``load`` carried on at the same rate until the monotonic time ``until`` (if it ended before),
    with the new answers' due times counted from ``load_start``."""
    offset = time.monotonic() - load_start
    if until - time.monotonic() < 1:
        return load
    more = asyncio.run(
        send_sms_load(
            platform.api_url,
            platform.credentials["NOTIFY_API_KEY_LIVE"],
            platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
            rate=RATE,
            seconds=until - time.monotonic(),
        )
    )
    print(f"load carried on from {offset:.0f} s: {more.summary()}")
    return LoadResult([*load.answers, *(dataclasses.replace(a, due=a.due + offset) for a in more.answers)])


@pytest.mark.timeout(600)
def test_a_broker_crash_and_restart_under_load_loses_nothing_and_sends_nothing_twice(
    single_broker: KafkaCluster, database: str, platform_on_single_broker: Platform
) -> None:
    platform = platform_on_single_broker

    def kill() -> str:
        single_broker.kill(1)
        return "killed the broker (SIGKILL)"

    def restart() -> str:
        started = time.monotonic()
        single_broker.start()
        single_broker.wait_answering()
        return f"restarted the broker (answering {time.monotonic() - started:.1f} s later)"

    load_start = time.monotonic()
    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=KILL_AT,
        breaking=kill,
        mend_at=RESTART_AT,
        mending=restart,
    )

    recovered_by = back_at - load_start + RECOVERY_S
    load = keep_loading(platform, load, load_start, until=load_start + recovered_by + AFTER_RECOVERY_S)

    check_fault_run(
        "Kafka (single broker) killed (SIGKILL), restarted 15 s later",
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=recovered_by,
    )
    assert platform.exited() == {}
