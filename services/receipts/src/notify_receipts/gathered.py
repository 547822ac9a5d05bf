"""Lookups of ``receipt_notifications`` by id that concurrent receipt requests make, gathered into
one query.

A receipt whose send event is not among those this process holds in memory (``recent.py``: an
older one, one learnt by another replica, or any beyond the memory's capacity while receipts lag
behind a big job) is looked up in the table. Each request doing so alone costs a pooled
connection, its pre-ping, the query and the rollback on return, per receipt; with the provider's
32 posters at once, the pool's 4 connections (and 4 overflow) are soon all taken, and a receipt
that waits longer than its bound for one is taken unchecked, to be looked up again later.

``GatheredLookups`` runs at most ``most_at_once`` queries at a time: the ids asked for while they
run wait together for the next query, which asks for all of them (``WHERE notification_id =
ANY(...)``), and each caller gets its own ids' rows. A failure of that query is each caller's
failure, as it would have been of its own query. A caller that stops waiting (its request
cancelled) leaves the query to answer the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from notify_receipts.domain import Known

LookUp = Callable[[list[str]], Awaitable[dict[str, Known]]]


class _Batch:
    __slots__ = ("answer", "ids")

    def __init__(self, answer: asyncio.Future[dict[str, Known]]) -> None:
        self.ids: set[str] = set()
        self.answer = answer


class GatheredLookups:
    def __init__(self, look_up: LookUp, most_at_once: int = 2) -> None:
        self._look_up = look_up
        self._slots = asyncio.Semaphore(most_at_once)
        self._open: _Batch | None = None  # the batch still taking ids
        self._running: set[asyncio.Task[None]] = set()

    async def known(self, notification_ids: Collection[str]) -> dict[str, Known]:
        """Those of these notifications whose send event the table holds, by id."""
        if not notification_ids:
            return {}
        batch = self._open
        if batch is None:
            batch = self._open = _Batch(asyncio.get_running_loop().create_future())
            batch.answer.add_done_callback(_retrieved)
            task = asyncio.ensure_future(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        batch.ids.update(notification_ids)
        found = await asyncio.shield(batch.answer)
        return {nid: found[nid] for nid in notification_ids if nid in found}

    async def _run(self, batch: _Batch) -> None:
        async with self._slots:
            if self._open is batch:
                self._open = None  # ids asked for from now on wait for the next query
            try:
                found = await self._look_up(sorted(batch.ids))
            except Exception as exc:
                batch.answer.set_exception(exc)
                return
            except BaseException:
                batch.answer.cancel()
                raise
            batch.answer.set_result(found)

    async def close(self) -> None:
        """Stops the queries still running (their callers get ``CancelledError``)."""
        for task in list(self._running):
            task.cancel()
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _retrieved(answer: asyncio.Future[Any]) -> None:
    """Marks a failed answer as seen, so one whose every caller went away is not reported as an
    exception nobody retrieved."""
    if not answer.cancelled():
        answer.exception()
