"""The provider simulator posts receipts as a provider would under load: a receipt the receipts
service cannot take yet (5xx, a refused connection, no answer in time) is posted again with backoff
for as long as the retry window lasts, not five times in fifteen seconds; a burst is posted by a
fixed number of posters, never all at once; waiting for a turn is not a failed attempt; and a
receipt given up is counted (in ``/api/stats`` and a metric), never dropped silently. (A local
aiohttp server plays the receipts service.)"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web
from prometheus_client import REGISTRY

from notify_provider_simulator.app import Simulator
from notify_provider_simulator.settings import SimulatorSettings


def settings(**overrides: float) -> SimulatorSettings:
    values: dict[str, float] = {
        "simulator_receipt_delay_ms_min": 0,
        "simulator_receipt_delay_ms_max": 0,
        "simulator_receipt_max_backoff_seconds": 0.05,
        **overrides,
    }
    return SimulatorSettings(simulator_printer=False, **values)  # type: ignore[arg-type]


@dataclass
class ReceiptsEndpoint:
    """Answers each post with the next scripted status (then 200), after ``seconds`` (or after the
    next scripted delay), and remembers the most posts it was answering at once."""

    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    seconds: float = 0.0
    answered: list[int] = field(default_factory=list)
    # What each post carried: its content type and body.
    posted: list[tuple[str, bytes]] = field(default_factory=list)
    busy: int = 0
    most_at_once: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.posted.append((request.content_type, await request.read()))
        self.busy += 1
        self.most_at_once = max(self.most_at_once, self.busy)
        try:
            await asyncio.sleep(self.delays.pop(0) if self.delays else self.seconds)
        finally:
            self.busy -= 1
        status = self.statuses.pop(0) if self.statuses else 200
        self.answered.append(status)
        return web.Response(status=status)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def receipts_endpoint(endpoint: ReceiptsEndpoint, port: int | None = None) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/receipts", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port or free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/receipts"
    finally:
        await runner.cleanup()


def hand_over(simulator: Simulator, url: str, count: int = 1) -> None:
    for _ in range(count):
        reference = str(uuid.uuid4())
        simulator.accept("mmg", reference, "447700900123", "Hi", "GOVUK", (url, {"CID": reference}, True))


async def settled(simulator: Simulator, seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while simulator.receipts.owed:
            await asyncio.sleep(0.01)


def dropped_metric() -> float:
    return REGISTRY.get_sample_value("notify_simulator_receipts_total", {"outcome": "dropped"}) or 0.0


async def test_a_receipt_refused_for_longer_than_fifteen_seconds_worth_of_tries_is_still_delivered() -> None:
    # Twelve refusals: the old five tries (0.5 s doubling, about 15 s) would have given up.
    endpoint = ReceiptsEndpoint(statuses=[503] * 12)
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(settings(simulator_receipt_retry_seconds=20))
        hand_over(simulator, url)
        await settled(simulator)
        await simulator.close()
    [message] = simulator.messages.values()
    assert endpoint.answered == [503] * 12 + [200]
    assert message.receipt_sent_at is not None
    assert simulator.receipts.dropped == 0
    assert simulator.receipts.retried == 12


async def test_a_receipt_given_up_after_the_window_is_counted_in_the_stats_and_the_metric() -> None:
    before = dropped_metric()
    endpoint = ReceiptsEndpoint(statuses=[503] * 1000)
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(settings(simulator_receipt_retry_seconds=0.5))
        hand_over(simulator, url)
        await settled(simulator)
        await simulator.close()
    [message] = simulator.messages.values()
    assert message.receipt_sent_at is None
    assert simulator.receipts.dropped == 1
    assert dropped_metric() == before + 1
    assert len(endpoint.answered) > 5


async def test_a_burst_of_receipts_is_posted_by_no_more_than_the_configured_posters() -> None:
    endpoint = ReceiptsEndpoint(seconds=0.02)
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(settings(simulator_receipt_posters=4))
        hand_over(simulator, url, count=200)
        await settled(simulator)
        await simulator.close()
    assert len(endpoint.answered) == 200
    assert 1 < endpoint.most_at_once <= 4
    assert all(m.receipt_sent_at is not None for m in simulator.messages.values())


async def test_waiting_for_a_turn_behind_a_slow_receipts_service_is_not_a_failed_attempt() -> None:
    # Each post takes 0.1 s and two posters share 30 receipts: the last waits about 1.5 s for its
    # turn, longer than the 1 s the receipts service is given to answer, and none is posted twice.
    endpoint = ReceiptsEndpoint(seconds=0.1)
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(
            settings(simulator_receipt_posters=2, simulator_receipt_read_timeout_seconds=1.0)
        )
        hand_over(simulator, url, count=30)
        await settled(simulator)
        await simulator.close()
    assert endpoint.answered == [200] * 30
    assert simulator.receipts.retried == 0


async def test_a_receipt_left_unanswered_past_the_read_timeout_is_posted_again() -> None:
    endpoint = ReceiptsEndpoint(delays=[2.0, 2.0])
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(settings(simulator_receipt_read_timeout_seconds=0.3))
        hand_over(simulator, url)
        await settled(simulator)
        await simulator.close()
    [message] = simulator.messages.values()
    assert message.receipt_sent_at is not None
    assert simulator.receipts.retried == 2
    assert simulator.receipts.dropped == 0


async def test_a_receipts_service_refusing_connections_for_a_while_gets_every_receipt() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/receipts"
    simulator = Simulator(settings(simulator_receipt_posters=4))
    hand_over(simulator, url, count=50)
    async with asyncio.timeout(30):  # nothing listens yet: every post is refused and retried
        while simulator.receipts.retried < 50:
            await asyncio.sleep(0.05)
    endpoint = ReceiptsEndpoint()
    async with receipts_endpoint(endpoint, port):
        await settled(simulator)
    await simulator.close()
    assert len(endpoint.answered) == 50
    assert simulator.receipts.dropped == 0
    assert all(m.receipt_sent_at is not None for m in simulator.messages.values())


async def test_each_receipt_is_posted_in_its_providers_dialect_to_the_url_it_was_given() -> None:
    endpoint = ReceiptsEndpoint()
    async with receipts_endpoint(endpoint) as url:
        simulator = Simulator(settings())
        mmg = {"status": "3", "CID": "a-1", "substatus": "2", "deliverytime": "2026-12-05 10:00:00"}
        firetext = {"status": "0", "reference": "b-2", "code": "000", "time": "2026-12-05 10:00:00"}
        simulator.accept("mmg", "a-1", "447700900123", "Hi", "GOVUK", (url + "?token=t&k=1", mmg, True))
        await settled(simulator)
        simulator.accept("firetext", "b-2", "447700900123", "Hi", "GOVUK", (url, firetext, False))
        await settled(simulator)
        await simulator.close()
    (json_type, json_body), (form_type, form_body) = endpoint.posted
    assert (json_type, json.loads(json_body)) == ("application/json", mmg)
    assert (form_type, dict(parse_qsl(form_body.decode()))) == ("application/x-www-form-urlencoded", firetext)
    assert [m.receipt_status for m in simulator.messages.values()] == [200, 200]
