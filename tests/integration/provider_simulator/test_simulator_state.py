"""The provider simulator, given a state file, remembers across a restart what a real provider would:
the references it was handed (so a repeat after the restart is still a duplicate and its status
lookup still finds them) and the receipts it had not delivered yet, which it posts after the
restart. (Local HTTP servers play the receipts service.)"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from urllib.parse import parse_qs

from notify_provider_simulator.app import Simulator
from notify_provider_simulator.settings import SimulatorSettings
from tests.support.receiver import callback_receiver


def settings(state_file: Path) -> SimulatorSettings:
    return SimulatorSettings(
        simulator_printer=False,
        simulator_receipt_delay_ms_min=0,
        simulator_receipt_delay_ms_max=0,
        simulator_receipt_max_backoff_seconds=0.05,
        simulator_state_file=str(state_file),
    )


async def settled(simulator: Simulator, pending: int) -> None:
    async with asyncio.timeout(10):
        while simulator.receipts.owed > pending:
            await asyncio.sleep(0.01)


async def test_a_restarted_simulator_knows_what_it_was_handed_and_posts_the_receipts_it_still_owed(
    tmp_path: Path,
) -> None:
    state = tmp_path / "simulator.json"
    delivered, owed = str(uuid.uuid4()), str(uuid.uuid4())
    with callback_receiver([]) as ok, callback_receiver([503] * 1000) as flaky:
        first = Simulator(settings(state))
        first.restore()
        first.accept("mmg", delivered, "447700900123", "Hi", "GOVUK", (ok.url, {"CID": delivered}, True))
        first.accept("firetext", owed, "447700900123", "Hi", "GOVUK", (flaky.url, {"reference": owed}, False))
        await settled(first, pending=1)
        await first.close()
        assert state.stat().st_mode & 0o777 == 0o600  # it holds receipt URLs with their tokens
        assert [json.loads(c.body)["CID"] for c in ok.calls] == [delivered]
        assert all(c.answered == 503 for c in flaky.calls)

        flaky.script.clear()  # the receipts service takes receipts again
        second = Simulator(settings(state))
        second.restore()
        assert second.seen("mmg", [delivered, owed]) == [delivered]
        assert second.seen("firetext", [delivered, owed]) == [owed]
        second.accept("mmg", delivered, "447700900123", "Hi", "GOVUK", (ok.url, {"CID": delivered}, True))
        assert second.duplicate_handovers == 1
        assert second.handovers == 3
        await settled(second, pending=0)
        await second.close()
    assert parse_qs(flaky.calls[-1].body.decode()) == {"reference": [owed]}
    assert flaky.calls[-1].answered == 200
    assert second.messages[owed].receipt_sent_at is not None
    assert [json.loads(c.body)["CID"] for c in ok.calls] == [delivered, delivered]
