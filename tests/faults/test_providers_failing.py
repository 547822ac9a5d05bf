"""Both SMS providers (the simulator's MMG and Firetext) answer every send with HTTP 500 for 30 s
under steady load through the public API, then work again. A send a provider refused was not handed
over, so it is retried; the retries do not spend a notification's budget within such an outage, so
every accepted notification is delivered once the providers are back, without a manual step, none is
handed to a provider twice, and the API, which does not wait for providers, accepts every send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.load import load_under_fault
from tests.faults.verdict import check_fault_run
from tests.support.platform import Platform, running_platform

RATE = 40  # sends a second
SECONDS = 40
FAIL_AT, WORK_AT = 5.0, 35.0
RECOVERED_BY = 0.0  # the API does not call providers: every send is accepted throughout


@pytest.fixture(scope="module")
def platform(
    database: str, kafka_topics: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    with running_platform(database, Path(tmp_path_factory.mktemp("providers-failing-logs"))) as platform:
        yield platform


def set_providers(platform: Platform, mode: str) -> str:
    answer = httpx.put(f"{platform.simulator_url}/api/fault", json={"mode": mode}, timeout=10)
    answer.raise_for_status()
    return f"both providers: {mode}"


@pytest.mark.timeout(600)
def test_both_sms_providers_failing_for_30_s_delays_texts_but_loses_none(
    database: str, platform: Platform
) -> None:
    load, _, back_at = load_under_fault(
        platform,
        rate=RATE,
        seconds=SECONDS,
        break_at=FAIL_AT,
        breaking=lambda: set_providers(platform, "errors"),
        mend_at=WORK_AT,
        mending=lambda: set_providers(platform, "none"),
    )

    check_fault_run(
        "both SMS providers answering 500 for 30 s",
        load,
        database_url=database,
        simulator_url=platform.simulator_url,
        back_at=back_at,
        recovered_by=RECOVERED_BY,
    )
    stats = httpx.get(f"{platform.simulator_url}/api/stats", timeout=30).json()
    print(f"simulator: {stats['send_attempts']} send attempts, {stats['handovers']} hand-overs")
    # The providers did refuse sends (so the retries were exercised), and a refused send was not
    # counted as handed over: one hand-over per accepted notification.
    assert stats["send_attempts"] > stats["handovers"]
    assert stats["handovers"] == stats["messages"] == len(load.accepted)
    assert platform.exited() == {}
