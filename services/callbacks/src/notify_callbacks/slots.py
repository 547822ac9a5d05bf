"""A limit on calls in flight: at most ``size`` at once, the others waiting their turn in order.

``asyncio.Semaphore`` does the same, but in Python 3.11 every acquire looks at every waiter, and the
callbacks service may hold a couple of thousand calls waiting for one receiver's share; here an
acquire and a release cost the same however many wait."""

from __future__ import annotations

import asyncio
import collections
from types import TracebackType


class Slots:
    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # a slot is handed over by the release that wakes this waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot while being cancelled: pass it on
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter has gone
                waiter.set_result(None)
                return
        self._free += 1

    @property
    def free(self) -> int:
        return self._free
