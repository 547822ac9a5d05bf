"""The provider simulator posts receipts as a provider would under load: a receipt the receipts
service cannot take yet (5xx, no answer) is posted again with backoff for as long as the retry
window lasts, not five times in fifteen seconds, and one given up is counted, never dropped
silently. (A local HTTP server plays the receipts service.)"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from notify_provider_simulator.app import Simulator
from notify_provider_simulator.settings import SimulatorSettings
from tests.integration.lifecycle.receiver import callback_receiver


def settings(**overrides: float) -> SimulatorSettings:
    values: dict[str, float] = {
        "simulator_receipt_delay_ms_min": 0,
        "simulator_receipt_delay_ms_max": 0,
        "simulator_receipt_max_backoff_seconds": 0.05,
        **overrides,
    }
    return SimulatorSettings(simulator_printer=False, **values)  # type: ignore[arg-type]


async def send_and_wait(simulator: Simulator, url: str) -> None:
    simulator.accept("mmg", str(uuid.uuid4()), "447700900123", "Hi", "GOVUK", (url, {"CID": "x"}, True))
    async with asyncio.timeout(30):
        while simulator._tasks:
            await asyncio.sleep(0.01)


async def test_a_receipt_refused_for_longer_than_fifteen_seconds_worth_of_tries_is_still_delivered() -> None:
    # Twelve refusals: the old five tries (0.5 s doubling, about 15 s) would have given up.
    with callback_receiver([503] * 12) as receiver:
        async with aiohttp.ClientSession() as client:
            simulator = Simulator(settings(simulator_receipt_retry_seconds=20), client)
            await send_and_wait(simulator, receiver.url)
    [message] = simulator.messages.values()
    assert [c.answered for c in receiver.calls] == [503] * 12 + [200]
    assert message.receipt_sent_at is not None
    assert simulator.receipts_dropped == 0
    assert simulator.receipts_retried == 12


async def test_a_receipt_given_up_after_the_window_is_counted() -> None:
    with callback_receiver([503] * 1000) as receiver:
        async with aiohttp.ClientSession() as client:
            simulator = Simulator(settings(simulator_receipt_retry_seconds=0.5), client)
            await send_and_wait(simulator, receiver.url)
    [message] = simulator.messages.values()
    assert message.receipt_sent_at is None
    assert simulator.receipts_dropped == 1
    assert len(receiver.calls) > 5
