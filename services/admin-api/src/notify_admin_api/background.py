"""The admin-api's background work, one loop per replica, started with the app: build the reports
asked for (``ReportBuilder``: one at a time, claimed so that only one replica builds each), and
remove what has expired, the contact lists past their service's retention and the reports past their
download time. A pass that fails is logged and tried again at the next tick: nothing here is lost by
a restart, since everything it works from is in PostgreSQL. Stopping puts a report being built back
to waiting (after the page under way), so another replica takes it at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from notify_admin_api.contact_lists import ContactLists
from notify_admin_api.report_requests import ReportBuilder

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0


class Background:
    def __init__(self, builder: ReportBuilder, contact_lists: ContactLists, interval_seconds: float) -> None:
        self.builder = builder
        self.contact_lists = contact_lists
        self.interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> bool:
        """One pass; True when it built a report (so the next may follow at once)."""
        await self.contact_lists.expire()
        await self.builder.expire()
        return await self.builder.build_next() is not None

    async def run(self) -> None:
        stopping = self.builder.stopping
        while not stopping.is_set():
            try:
                built = await self.tick()
            except Exception:
                log.exception("background pass failed")
                built = False
            if not built:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="admin-api background")

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Let the pass under way finish (a report being built is put back after its page), then
        cancel it if it takes longer than ``grace_seconds``."""
        self.builder.stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
