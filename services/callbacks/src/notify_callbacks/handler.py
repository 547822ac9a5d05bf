"""Decides which callbacks a batch of events owes services, and makes one attempt at each per
delivery of the record; the consumer's retry topic brings a record back after a backoff for the
next attempt.

Whether a service wants a callback is decided first, from the event and the cached configuration
(``decide``, ``config``): an event for a service without that callback costs no I/O. The callback's
body comes from the event itself, so nothing else is read before the call.

The ledger (``callback_deliveries``, read for the whole batch in one statement and written in
another) makes this safe under Kafka's at-least-once delivery: a callback already succeeded (or
given up) is not attempted again, and a record re-run in the same round (the consumer retries a
failed batch one record at a time) does not count as a new attempt. A delivery status is owed once
for ``sent`` and once for the first final status, so late or duplicated receipts cause no second
callback.

Every attempt is written to the ledger with its outcome, HTTP status and duration, logged, and
counted. An attempt is also published as a ``CallbackAttempted`` event (the projector keeps those
in ``callback_attempts``) unless it is a first attempt that succeeded: that is most callbacks, and
its event told nothing its ledger row does not (docs/lifecycle.md, "Callbacks"). So the history
of attempts holds every callback that did not go through at once: each failure, each retry, and
the success or the giving up that ended them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from notify_callbacks import decide
from notify_callbacks.config import CallbackConfig
from notify_callbacks.decide import Owed
from notify_callbacks.delivery import AttemptResult, Destination
from notify_callbacks.lines import info_each
from notify_callbacks.slots import Slots
from notify_callbacks.store import NO_LEDGER, Entry, Ledger
from notify_common import metrics, topics, tracing
from notify_common.errors import RetryableError
from notify_common.events import CallbackAttempted, CallbackOutcome, Event
from notify_common.kafka import Received

log = logging.getLogger(__name__)
DONE = ("succeeded", "failed")


class Store(Protocol):
    async def ledgers(self, keys: Sequence[str]) -> dict[str, Ledger]: ...

    async def record(self, entries: Sequence[Entry]) -> None: ...


class Client(Protocol):
    async def post(
        self, destination: Destination, message_id: str, payload: dict[str, Any]
    ) -> AttemptResult: ...


class Publisher(Protocol):
    async def publish_many(self, items: Iterable[tuple[str, Event]]) -> None: ...


@dataclass(frozen=True)
class _Due:
    item: Received
    owed: Owed
    destination: Destination
    attempt: int


class CallbackHandler:
    def __init__(
        self,
        store: Store,
        config: CallbackConfig,
        client: Client,
        producer: Publisher,
        *,
        max_attempts: int = 5,
        concurrency: int = 200,
        per_receiver: int = 100,
    ) -> None:
        self._store, self._config, self._client, self._producer = store, config, client, producer
        self._max_attempts = max_attempts
        self._slots = Slots(concurrency)
        self._per_receiver = per_receiver
        self._receivers: dict[str, Slots] = {}
        # The last batch handed over with each record key (a notification), while it is handled.
        self._latest: dict[bytes | None, asyncio.Future[None]] = {}

    async def handle(self, batch: Sequence[Received]) -> None:
        """Attempts every callback the batch owes (one notification's in order, others
        concurrently), then records them all; raises ``RetryableError`` if one is to be tried
        again, so the consumer retries the records one at a time (the ledger skips what already
        happened).

        Batches may be handled concurrently (the consumer reads on while one is in hand): a batch
        holding a notification of a batch handed over earlier and not finished waits for it before
        it reads the ledger, so one notification's callbacks stay in order and its ledger is never
        read while an earlier attempt is still to be written."""
        done = asyncio.get_running_loop().create_future()
        earlier: set[asyncio.Future[None]] = set()
        for item in batch:  # before any await: batches queue in the order they were handed over
            previous = self._latest.get(item.key)
            if previous is not None and previous is not done:
                earlier.add(previous)
            self._latest[item.key] = done
        try:
            if earlier:
                await asyncio.wait(earlier)
            await self._handle(batch)
        finally:
            done.set_result(None)
            for item in batch:
                if self._latest.get(item.key) is done:
                    del self._latest[item.key]

    async def _handle(self, batch: Sequence[Received]) -> None:
        await self._config.refresh_if_due()
        owed = self._owed(batch)
        if not owed:
            return
        ledgers = await self._store.ledgers(list(owed))
        due: dict[bytes | None, list[_Due]] = defaultdict(list)
        again = False
        for key, (item, one, destination) in owed.items():
            ledger = ledgers.get(key, NO_LEDGER)
            if ledger.outcome in DONE:
                continue
            if ledger.outcome == "retrying" and ledger.last_kafka_attempt >= item.attempt:
                again = True  # already attempted in this round: to the retry topic, not again now
                continue
            due[item.key].append(_Due(item, one, destination, ledger.attempts + 1))
        results = await asyncio.gather(*(self._in_order(calls) for calls in due.values()))
        attempted = [pair for pairs in results for pair in pairs]
        if attempted:
            again = self._settle_outcomes(attempted) or again
            entries = list(self._entries(attempted))
            await self._store.record([entry for entry, _ in entries])
            events = [(topics.CALLBACK_OUTCOMES, event) for _, event in entries if event is not None]
            if events:
                await self._producer.publish_many(events)
        if again:
            raise RetryableError("a callback is to be tried again")

    def _owed(self, batch: Sequence[Received]) -> dict[str, tuple[Received, Owed, Destination]]:
        owed: dict[str, tuple[Received, Owed, Destination]] = {}
        for item in batch:
            kind = decide.wanted(item.event, self._config)
            if kind is None:
                continue
            one = decide.owed_for(item.event, kind)
            if one is None:
                log.warning(
                    "no callback: the event does not carry the notification's details",
                    extra={"notification_id": item.event.notification_id, "callback_type": str(kind)},
                )
                continue
            destination = self._config.destination(one.service_id, one.callback_type)
            if destination is not None and one.key not in owed:
                owed[one.key] = (item, one, destination)
        return owed

    async def _in_order(self, calls: list[_Due]) -> list[tuple[_Due, AttemptResult]]:
        done: list[tuple[_Due, AttemptResult]] = []
        for due in calls:
            # A scope, not ``tracing.within``: a coroutine less for each call.
            with tracing.handling(due.item.event.notification_id):
                done.append((due, await self._call(due)))
        return done

    async def _call(self, due: _Due) -> AttemptResult:
        async with self._receiver(due.destination.url), self._slots:
            return await self._client.post(due.destination, due.owed.message_id, due.owed.payload)

    def _outcome(self, due: _Due, result: AttemptResult) -> CallbackOutcome:
        if result.succeeded:
            return CallbackOutcome.SUCCEEDED
        if result.retryable and due.attempt < self._max_attempts:
            return CallbackOutcome.RETRYING
        return CallbackOutcome.FAILED

    def _settle_outcomes(self, attempted: list[tuple[_Due, AttemptResult]]) -> bool:
        """Counts and logs each attempt; whether any is to be retried."""
        retrying = False
        lines: list[Mapping[str, object]] = []
        for due, result in attempted:
            outcome = self._outcome(due, result)
            retrying = retrying or outcome == CallbackOutcome.RETRYING
            metrics.callback_attempted(str(due.owed.callback_type), str(outcome))
            ids = {
                "service_id": due.owed.service_id,
                "notification_id": due.owed.notification_id,
                "inbound_sms_id": due.owed.inbound_sms_id,
                "callback_type": str(due.owed.callback_type),
                "attempt": due.attempt,
                "outcome": str(outcome),
                "status_code": result.status_code,
            }
            lines.append(ids)
        # A line for every attempt, the batch's written at once (one write to the log a batch).
        info_each(log, "callback attempted", lines)
        return retrying

    def _entries(
        self, attempted: list[tuple[_Due, AttemptResult]]
    ) -> Iterable[tuple[Entry, CallbackAttempted | None]]:
        """Each attempt's ledger entry, and its event unless it is a first attempt that
        succeeded."""
        for due, result in attempted:
            owed, outcome = due.owed, self._outcome(due, result)
            entry = Entry(
                owed.key,
                owed.service_id,
                str(owed.callback_type),
                due.attempt,
                due.item.attempt,
                str(outcome),
                result.status_code,
                result.duration_ms,
            )
            if due.attempt == 1 and outcome == CallbackOutcome.SUCCEEDED:
                yield entry, None
                continue
            event = CallbackAttempted(
                notification_id=owed.notification_id, service_id=owed.service_id,
                correlation_id=due.item.event.correlation_id, callback_type=owed.callback_type,
                attempt=due.attempt, outcome=outcome, status_code=result.status_code,
                duration_ms=result.duration_ms, reason=result.reason, inbound_sms_id=owed.inbound_sms_id,
            )  # fmt: skip
            yield entry, event

    def _receiver(self, url: str) -> Slots:
        """At most ``per_receiver`` calls in flight to one host, so a slow receiver holds only its
        own share of the slots and the others' callbacks keep going."""
        host = urlsplit(url).netloc
        slot = self._receivers.get(host)
        if slot is None:
            slot = self._receivers[host] = Slots(self._per_receiver)
        return slot
