"""The platform's Redis (a server of the test's own, with the append-only file the platform's Redis
must have) is killed with SIGKILL under steady load through the public API and restarted 10 s later.
The API keeps accepting sends (limits kept in the process meanwhile), every accepted notification is
delivered and projected, none is handed to a provider twice, and the day's counts did not start
again from zero after the restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.local_redis import LocalRedis
from tests.support.platform import Platform, free_ports, running_platform

RATE = 40  # sends a second
SECONDS = 40
KILL_AT, RESTART_AT = 8.0, 18.0
RECOVERED_BY = 23.0


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    server = LocalRedis(Path(tmp_path_factory.mktemp("redis")), free_ports(1)[0])
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def platform_on_own_redis(
    database: str, kafka_topics: str, own_redis: LocalRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    logs = Path(tmp_path_factory.mktemp("redis-crash-logs"))
    with running_platform(database, logs, NOTIFY_REDIS_URL=own_redis.url) as platform:
        yield platform


@pytest.mark.timeout(600)
def test_a_redis_crash_under_load_loses_nothing_and_keeps_the_days_counts(
    own_redis: LocalRedis, database: str, platform_on_own_redis: Platform
) -> None:
    platform = platform_on_own_redis

    def kill() -> str:
        own_redis.kill()
        return "killed Redis (SIGKILL)"

    def restart() -> str:
        own_redis.start()
        return "restarted Redis"

    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=KILL_AT,
        breaking=kill,
        mend_at=RESTART_AT,
        mending=restart,
    )

    # The day's counters of the service: every accepted send is counted, less at most what the
    # append-only file had not yet written when Redis was killed (it is written every second).
    accepted = len(load.accepted)
    client = own_redis.client()
    try:
        counts = {key: int(client.get(key) or 0) for key in client.scan_iter("daily:*")}
    finally:
        client.close()
    print(f"daily counters after the restart: {counts} for {accepted} accepted sends")
    assert counts
    assert all(accepted - 2 * RATE <= n <= accepted + RATE for n in counts.values()), counts

    check_fault_run(
        "Redis killed (SIGKILL), restarted 10 s later",
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
        refusals=frozenset({503, 429}),
        injected=f"Redis of the test's own (AOF, fsync every second) SIGKILLed at {KILL_AT:.0f} s, "
        f"restarted at {RESTART_AT:.0f} s; {RATE}/s for {SECONDS} s",
    )
