"""The send events this process's consumer learnt most recently, in memory.

A provider posts a receipt seconds after it was given the message, so nearly every receipt is for a
notification whose ``NotificationSentToProvider`` this service's consumer has just recorded in
``receipt_notifications`` (``sent.py``). The consumer also keeps the last ``capacity`` of them
here, as it reads them (before its write to the table), so such a receipt is resolved without a
database read; any other
(older, or learnt by another replica, whose consumer reads other partitions) is looked up in the
table as before. A receipt that overtook its send event waits here to be woken when it is learnt,
instead of polling the table.

Entries hold a recipient (personal data) for as long as they are among the most recent; they are
never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence

from notify_common.events import NOTIFICATION_FACTS, NotificationSentToProvider
from notify_receipts.domain import Known


def known_from_event(event: NotificationSentToProvider) -> Known:
    """What a send event tells about its notification, as ``receipt_notifications`` holds it."""
    return Known(
        str(event.notification_id), event.service_id, event.provider, event.provider_reference,
        event.sent_at, {name: getattr(event, name) for name in NOTIFICATION_FACTS},
    )  # fmt: skip


class RecentSends:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._by_id: OrderedDict[str, Known] = OrderedDict()
        self._by_reference: dict[str, str] = {}
        self._arrived = asyncio.Event()

    def __len__(self) -> int:
        return len(self._by_id)

    def learnt(self, events: Sequence[NotificationSentToProvider]) -> None:
        """Keeps these send events (the latest of a notification wins; the oldest go beyond the
        capacity) and wakes the receipts waiting for them."""
        for event in events:
            if event.notification_id is None:
                continue
            known = known_from_event(event)
            self._forget(known.notification_id)
            self._by_id[known.notification_id] = known
            if known.provider_reference is not None:
                self._by_reference[known.provider_reference] = known.notification_id
        while len(self._by_id) > self._capacity:
            self._forget(next(iter(self._by_id)))
        if events:
            self._arrived.set()
            self._arrived = asyncio.Event()

    def _forget(self, notification_id: str) -> None:
        old = self._by_id.pop(notification_id, None)
        reference = old.provider_reference if old is not None else None
        if reference is not None and self._by_reference.get(reference) == notification_id:
            del self._by_reference[reference]

    def known(self, notification_ids: Iterable[str], provider: str) -> dict[str, Known]:
        """Those of these notifications given to ``provider``, as learnt."""
        found = {}
        for nid in notification_ids:
            known = self._by_id.get(nid)
            if known is not None and known.provider == provider:
                found[nid] = known
        return found

    def by_reference(self, reference: str) -> Known | None:
        """The notification a provider's reference (SES's MessageId) belongs to, if learnt."""
        nid = self._by_reference.get(reference)
        return self._by_id.get(nid) if nid is not None else None

    async def wait(
        self, notification_ids: Collection[str], provider: str, seconds: float
    ) -> dict[str, Known]:
        """Those of these notifications given to ``provider``, waiting up to ``seconds`` for the
        others to be learnt."""
        deadline = time.monotonic() + seconds
        wanted = set(notification_ids)
        while True:
            found = self.known(wanted, provider)
            left = deadline - time.monotonic()
            if len(found) == len(wanted) or left <= 0:
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)


# While a receipt waits for its send event, the table is read this often for the ones another
# replica's consumer learnt (this process's consumer wakes the wait itself).
RECHECK_SECONDS = 0.25


async def learnt_within(
    recent: RecentSends,
    notification_ids: Collection[str],
    provider: str,
    seconds: float,
    look_up: Callable[[list[str]], Awaitable[dict[str, Known]]],
) -> dict[str, Known]:
    """Those of these notifications given to ``provider`` whose send event is learnt within
    ``seconds``, by this process (``recent``) or any other (``look_up`` in the table)."""
    deadline = time.monotonic() + seconds
    wanted = set(notification_ids)
    found: dict[str, Known] = {}
    while True:
        left = wanted - found.keys()
        found |= await recent.wait(
            left, provider, min(RECHECK_SECONDS, max(0.0, deadline - time.monotonic()))
        )
        left = wanted - found.keys()
        if not left:
            return found
        found |= await look_up(sorted(left))
        if len(found) == len(wanted) or time.monotonic() >= deadline:
            return found
