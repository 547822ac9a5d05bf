"""The platform's PostgreSQL (a server of the test's own) is hung with SIGSTOP under steady load
through the public API: every one of its processes is stopped for 20 s, so connections stay open and
nothing answers, then continued with SIGCONT. No request waits on it beyond the API's bound: sends go
on from cached configuration as when it refuses connections, and the receipts posted meanwhile are
taken without it and applied once it answers. Every notification the API accepted is delivered and
projected, none is handed to a provider twice, and the platform recovers by itself."""

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
FREEZE_AT, THAW_AT = 8.0, 28.0
# By then the platform must have recovered by itself: every send accepted again.
RECOVERED_BY = 33.0


@pytest.mark.timeout(600)
def test_postgres_hung_under_load_holds_no_request_and_loses_nothing(
    own_postgres: LocalPostgres, own_database: str, platform_on_own_postgres: Platform
) -> None:
    platform = platform_on_own_postgres
    window: list[datetime] = []

    def freeze() -> str:
        window.append(datetime.now(UTC))
        return f"stopped PostgreSQL's {own_postgres.freeze()} processes (SIGSTOP)"

    def thaw() -> str:
        own_postgres.thaw()
        window.append(datetime.now(UTC))
        return "continued PostgreSQL (SIGCONT)"

    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=FREEZE_AT,
        breaking=freeze,
        mend_at=THAW_AT,
        mending=thaw,
    )

    check_fault_run(
        "PostgreSQL hung (SIGSTOP) for 20 s",
        load,
        database_url=own_database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
    )
    # Receipts posted while it was hung were taken at once, none refused or left to retry.
    during = receipts_taken_between(platform.simulator_url, *window)
    retried, dropped = receipts_not_taken(platform.simulator_url)
    print(f"receipts taken while PostgreSQL was hung: {during}; posted again: {retried}; given up: {dropped}")
    assert during > 0
    assert (retried, dropped) == (0, 0)
