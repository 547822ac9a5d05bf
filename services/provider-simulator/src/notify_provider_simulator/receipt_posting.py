"""Posting the receipts the simulator owes, as a provider does under load.

Every receipt owed waits in one schedule (a heap ordered by when it is due: the simulated delivery
delay at first, then the backoff after a failed post). One scheduler moves everything due to a
queue in a batch each tick, and a fixed number of posters (``NOTIFY_SIMULATOR_RECEIPT_POSTERS``)
take from that queue, so a burst of 100,000 receipts is 100,000 small records and N concurrent
posts, not 100,000 tasks and timers racing for a connection. The HTTP connection pool has one
connection per poster, so no post waits for a connection, and the timeouts are for connecting and
for the answer only: waiting for a turn never counts as a failed attempt.

A post the receipts service does not take (5xx, 429, a refused connection, no answer in time) is
made again with backoff, doubling from half a second up to a maximum, until the retry window
(hours by default, as real providers keep trying) has passed; then the receipt is given up, logged
by reference and counted (``dropped``, in ``/api/stats`` and the metric), never lost silently.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

import orjson

from notify_common.http_client import HttpClient, HttpClientError
from notify_provider_simulator.metrics import count_owed, receipt_outcome
from notify_provider_simulator.outcomes import SimulatedMessage, now
from notify_provider_simulator.settings import SimulatorSettings
from notify_provider_simulator.state import OwedReceipt

log = logging.getLogger(__name__)
# How often the scheduler hands what has fallen due to the posters: receipts due within one tick go
# together, so the loop wakes 20 times a second however many are owed.
TICK_SECONDS = 0.05
FIRST_BACKOFF_SECONDS = 0.5


@dataclass(eq=False, slots=True)
class _Owed:
    message: SimulatedMessage
    receipt: OwedReceipt
    give_up_at: float
    attempts: int = 0


def receipts_client(settings: SimulatorSettings) -> HttpClient:
    """One kept-alive connection per poster; only connecting and reading the answer are timed.

    The project's lean client rather than aiohttp's: a receipt is always a small POST to one of two
    URLs, and aiohttp's general machinery cost several times the rest of a receipt's CPU. (httpx
    was worse still: posting thousands of receipts a second with it starved the event loop.)"""
    return HttpClient(
        limit=settings.simulator_receipt_posters,
        timeout_s=settings.simulator_receipt_read_timeout_seconds,
        connect_timeout_s=settings.simulator_receipt_connect_timeout_seconds,
        user_agent="notify-provider-simulator",
    )


JSON, FORM = b"application/json", b"application/x-www-form-urlencoded"


# What ``quote_plus`` leaves as it is (its always-safe ASCII characters): the field names, the
# statuses and codes, and references as the platform makes them.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


@functools.lru_cache(maxsize=256)
def _quoted_again(text: str) -> str:
    """``quote_plus(text)``, remembered: the rest of a receipt's fields (its time, the same for a
    second of receipts) recur."""
    return quote_plus(text)


def _quoted(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) is not None else _quoted_again(text)


def encoded(receipt: OwedReceipt) -> tuple[bytes, bytes]:
    """A receipt's body and content type as its provider posts it: MMG's JSON, Firetext's form
    (what ``urlencode`` makes of it, without its per-call machinery; orjson likewise: together
    most of a receipt's own encoding cost). Quoting each of a form's eight names and values was
    nearly all of a form's cost, and only its time needs it."""
    if receipt.as_json:
        return orjson.dumps(receipt.body), JSON
    form = "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in receipt.body.items())
    return form.encode("ascii"), FORM


class ReceiptPoster:
    """Owns the receipts owed: schedules, posts, retries, gives up and counts them."""

    def __init__(
        self,
        settings: SimulatorSettings,
        client: Callable[[SimulatorSettings], HttpClient] = receipts_client,
    ) -> None:
        self._settings = settings
        self._make_client = client
        self._client: HttpClient | None = None
        self._schedule: list[tuple[float, int, _Owed]] = []
        self._order = itertools.count()
        self._due: asyncio.Queue[_Owed] = asyncio.Queue()
        self._owed: set[_Owed] = set()
        self._something_scheduled = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.posted = 0
        # Posts the receipts service did not take, each made again.
        self.retried = 0
        # Receipts given up after the retry window.
        self.dropped = 0
        count_owed(self)

    @property
    def owed(self) -> int:
        """Receipts not yet taken by the receipts service (waiting, being posted, or retrying)."""
        return len(self._owed)

    def owe(self, message: SimulatedMessage, receipt: OwedReceipt, delay_seconds: float) -> None:
        """Schedules ``receipt`` for ``message`` after ``delay_seconds``. Call from the event loop."""
        self._start()
        at = time.monotonic() + delay_seconds
        owed = _Owed(message, receipt, at + self._settings.simulator_receipt_retry_seconds)
        self._owed.add(owed)
        self._schedule_at(at, owed)

    def still_owed(self) -> list[OwedReceipt]:
        return [o.receipt for o in self._owed]

    def _schedule_at(self, at: float, owed: _Owed) -> None:
        heapq.heappush(self._schedule, (at, next(self._order), owed))
        self._something_scheduled.set()

    def _start(self) -> None:
        if self._tasks:
            return
        self._client = self._make_client(self._settings)
        self._tasks.append(asyncio.create_task(self._hand_out_due()))
        for _ in range(self._settings.simulator_receipt_posters):
            self._tasks.append(asyncio.create_task(self._post_due()))

    async def _hand_out_due(self) -> None:
        while True:
            if not self._schedule:
                self._something_scheduled.clear()
                await self._something_scheduled.wait()
            current = time.monotonic()
            while self._schedule and self._schedule[0][0] <= current:
                self._due.put_nowait(heapq.heappop(self._schedule)[2])
            await asyncio.sleep(TICK_SECONDS)

    async def _post_due(self) -> None:
        while True:
            owed = await self._due.get()
            if await self._post(owed):
                self._settle(owed)
                self.posted += 1
                receipt_outcome("posted")
                continue
            self.retried += 1
            receipt_outcome("retried")
            backoff = min(
                FIRST_BACKOFF_SECONDS * 2**owed.attempts,
                self._settings.simulator_receipt_max_backoff_seconds,
            )
            owed.attempts += 1
            at = time.monotonic() + backoff * random.uniform(0.8, 1.2)
            if at > owed.give_up_at:
                self._settle(owed)
                self.dropped += 1
                receipt_outcome("dropped")
                log.warning(
                    "receipt given up",
                    extra={"reference": owed.receipt.reference, "attempts": owed.attempts},
                )
                continue
            self._schedule_at(at, owed)

    async def _post(self, owed: _Owed) -> bool:
        """True when the receipts service has taken the receipt (any answer but 5xx or 429)."""
        assert self._client is not None
        receipt, message = owed.receipt, owed.message
        body, content_type = encoded(receipt)
        try:
            response = await self._client.post(receipt.url, body, content_type)
        except (HttpClientError, ValueError):  # no answer, or a receipt URL that cannot be posted to
            message.receipt_status = None
            return False
        message.receipt_status = response.status
        if response.status >= 500 or response.status == 429:
            return False
        message.receipt_sent_at = now()
        return True

    def _settle(self, owed: _Owed) -> None:
        self._owed.discard(owed)

    def forget_counts(self) -> None:
        self.posted = self.retried = self.dropped = 0

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._client is not None:
            await self._client.close()
        count_owed(self, counted=False)
