"""The receipts service's consumer: learns the notifications providers were given from the send
events on the status topic (``sent.py``), and checks the receipts and inbound texts taken without
being checked.

While PostgreSQL is down or does not answer within the bound, a provider endpoint does not refuse
what an authenticated provider posts: it writes the event it would have published to the
``notify.receipts.unchecked`` topic and answers at once, as GOV.UK Notify's receipt endpoints queue
a provider's callback and look it up later. This module's consumer (the receipts service's own
group, run by the shared batch consumer, which pauses while the database is unavailable) checks
each later, exactly as the endpoint would have:

* a delivery receipt is passed on to ``notify.notification.status``, with its notification's
  service and details, once the send event of its notification through that provider has been
  learnt. One for a notification its provider never claimed is dropped, logged with the reference
  and counted; one whose provider claimed it but whose send event has not been learnt yet (the
  receipt overtook it, and was taken unchecked for that reason) is retried through the group's
  retry topic with backoff until it has;
* an inbound text is passed on to ``notify.inbound-sms`` for the service that owns the number, as
  that number is held; one to a number nobody owns is dropped and counted.

An event passed on is the event that was taken (same event id), so handling a record twice
publishes nothing new.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from notify_common import topics
from notify_common.errors import RetryableError
from notify_common.events import (
    Event,
    InboundSmsReceived,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
)
from notify_common.kafka import EventProducer, Received
from notify_receipts.domain import enriched, local_format
from notify_receipts.lookups import Lookups
from notify_receipts.recent import RecentSends
from notify_receipts.sent import forget_old, record_sent

log = logging.getLogger(__name__)

TAKEN = Counter(
    "notify_receipts_unchecked_total",
    "Receipts and inbound texts taken to be checked later: while the database could not check them,"
    " or receipts that overtook their send event (kind overtaken_receipt)",
    ["kind"],
)
DROPPED = Counter(
    "notify_receipts_unchecked_dropped_total",
    "Receipts and inbound texts taken unchecked and dropped when checked: never claimed, or no owner",
    ["kind"],
)
FORGET_EVERY_S = 3600.0
RECEIPT, INBOUND_SMS = "receipt", "inbound_sms"
# A receipt taken (with the database up) because it overtook its notification's send event.
OVERTAKEN = "overtaken_receipt"
for _kind in (RECEIPT, INBOUND_SMS, OVERTAKEN):  # every kind's series at zero from the start
    TAKEN.labels(kind=_kind)
Receipt = NotificationDelivered | NotificationPending | NotificationFailed


class UncheckedHandler:
    """The handler of the receipts group: checks a batch of taken records and passes on the
    genuine ones in one publish. A database that cannot be reached raises
    ``DependencyUnavailableError``, so the batch is held back and handled again later."""

    def __init__(
        self,
        engine: AsyncEngine,
        lookups: Lookups,
        producer: EventProducer,
        clock: Callable[[], float] = time.monotonic,
        recent: RecentSends | None = None,
    ) -> None:
        self._engine, self._lookups, self._producer = engine, lookups, producer
        self._recent = recent
        self._clock, self._forgotten_at = clock, float("-inf")

    async def handle(self, batch: Sequence[Received]) -> None:
        # The status topic's records are only send events: the consumer passes over the others.
        sent = [item.event for item in batch if isinstance(item.event, NotificationSentToProvider)]
        if self._recent is not None:
            # Known in memory at once, not after the write: a receipt that comes meanwhile is
            # resolved rather than checked against the claims and made to wait. The write still
            # comes before the offsets are committed, so a restart learns them again.
            self._recent.learnt(sent)
        await record_sent(self._engine, sent)
        if self._clock() - self._forgotten_at >= FORGET_EVERY_S:
            self._forgotten_at = self._clock()
            await forget_old(self._engine)
        passed: list[tuple[str, Event]] = []
        receipts: dict[str, list[Receipt]] = defaultdict(list)
        for item in batch:
            event = item.event
            if item.topic == topics.NOTIFICATION_STATUS:
                continue  # the status topic is read for its send events only
            if isinstance(event, Receipt) and event.notification_id and event.provider:
                receipts[event.provider].append(event)
            elif isinstance(event, InboundSmsReceived):
                inbound = await self._inbound(event)
                if inbound is not None:
                    passed.append((topics.INBOUND_SMS, inbound))
            else:
                log.error(
                    "unexpected event on the unchecked topic dropped",
                    extra={"event_type": type(event).__name__, "event_id": event.event_id},
                )
        waiting = 0
        dropped: list[Receipt] = []
        for provider, events in receipts.items():
            known = await self._lookups.known([str(e.notification_id) for e in events])
            ready = {nid for nid, k in known.items() if k.provider == provider}
            unknown = [str(e.notification_id) for e in events if e.notification_id not in ready]
            claimed = await self._lookups.claimed(unknown, provider) if unknown else set()
            for event in events:
                if event.notification_id in ready:
                    passed.append((topics.NOTIFICATION_STATUS, enriched(event, known[event.notification_id])))
                elif event.notification_id in claimed:
                    waiting += 1
                else:
                    dropped.append(event)
        if waiting:
            # Nothing is published: the consumer handles the records again one at a time, and the
            # ones still waiting for their send event go to the retry topic.
            raise RetryableError("receipt waiting for its notification's send event")
        for event in dropped:
            DROPPED.labels(kind=RECEIPT).inc()
            log.warning(
                "receipt taken unchecked dropped: the provider never claimed this notification",
                extra={"provider": event.provider, "notification_id": event.notification_id},
            )
        if passed:
            await self._producer.publish_many(passed)

    async def _inbound(self, event: InboundSmsReceived) -> InboundSmsReceived | None:
        owner = await self._lookups.inbound_service(event.notify_number, local_format(event.notify_number))
        if owner is None:
            DROPPED.labels(kind=INBOUND_SMS).inc()
            log.warning(
                "inbound text taken unchecked dropped: unknown number",
                extra={"provider": event.provider, "inbound_sms_id": event.inbound_sms_id},
            )
            return None
        service_id, number = owner
        return replace(event, service_id=service_id, notify_number=number)
