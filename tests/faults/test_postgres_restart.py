"""The platform's PostgreSQL (a server of the test's own, started by ``deploy/local/infra.sh``) is
stopped with a fast shutdown under steady load through the public API, kept down 20 s and started
again. Sends go on from cached configuration; every notification the API accepted is delivered and
projected once PostgreSQL is back, none is handed to a provider twice, and the API answers every
request within its bound. The receipts posted while it is down are taken without it (none refused
for the provider to post again) and applied once it is back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.faults.load import load_under_fault
from tests.faults.settle import receipts_not_taken, receipts_taken_between
from tests.faults.verdict import check_fault_run
from tests.support.local_postgres import LocalPostgres
from tests.support.platform import Platform

RATE = 40  # sends a second
SECONDS = 40
STOP_AT, START_AT = 8.0, 28.0
# By then the platform must have recovered by itself: every send accepted again.
RECOVERED_BY = 33.0


@pytest.mark.timeout(600)
def test_restarting_postgres_under_load_loses_nothing_and_sends_nothing_twice(
    own_postgres: LocalPostgres, own_database: str, platform_on_own_postgres: Platform
) -> None:
    platform = platform_on_own_postgres
    window: list[datetime] = []

    def stop() -> str:
        window.append(datetime.now(UTC))
        own_postgres.stop()
        return "stopped PostgreSQL (fast shutdown)"

    def start() -> str:
        own_postgres.start()
        window.append(datetime.now(UTC))
        return "started PostgreSQL"

    load, _, back_at = load_under_fault(
        platform, rate=RATE, seconds=SECONDS, break_at=STOP_AT, breaking=stop, mend_at=START_AT, mending=start
    )

    check_fault_run(
        "PostgreSQL stopped (fast) for 20 s",
        load,
        database_url=own_database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
        injected=f"PostgreSQL of the test's own stopped (pg_ctl -m fast) at {STOP_AT:.0f} s, "
        f"started at {START_AT:.0f} s; {RATE}/s for {SECONDS} s",
    )
    # Receipts posted while it was down were taken at once, none refused or left to retry.
    during = receipts_taken_between(platform.simulator_url, *window)
    retried, dropped = receipts_not_taken(platform.simulator_url)
    print(f"receipts taken while PostgreSQL was down: {during}; posted again: {retried}; given up: {dropped}")
    assert during > 0
    assert (retried, dropped) == (0, 0)
