"""The state of one source partition: its windows, the event ids it has seen, and what it knows
of each notification; and how that state is written to and read back from a changelog. Pure.

Every batch of events becomes one **delta** record: the counts it added (once per cell, however
many of the batch's events fell in it), the event ids it saw and what is known of the
notifications it touched. One record per batch makes a batch atomic in the changelog: after
a crash, either the whole batch is in the recovered state (and its events, read again from the
last committed offset, are recognised by their ids and not counted twice) or none of it is (and
they are counted when read again). faust flushes the changelog before it commits offsets, so an
event whose offset is committed is always in a delta.

A **checkpoint** writes one record per cell with its totals and the last delta sequence number
they include; deltas at or below that number then only carry ids and notification facts, and
are deleted once those have expired (the dedupe horizon after their events happened).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from notify_analytics.observe import Observation
from notify_analytics.windows import GRANULARITY_SIZES, NONE, UNKNOWN, Durations, WindowKey, WindowStats

DELTA = "d"
CELL = "k"
_UNTIMED = tuple(Durations().as_list())


FACT_FIELDS = (
    "channel",
    "created_ms",
    "sent_ms",
    "sent_at_ms",
    "provider",
    "delivered_ms",
    "delivered_at_ms",
    "delivered_provider",
)


@dataclass(slots=True)
class Fact:
    """What a partition knows of one notification, for the channel and delivery times of its
    later events."""

    channel: str | None = None
    created_ms: int | None = None
    sent_ms: int | None = None
    expires_ms: int = 0
    # Where the sending and the delivery were counted (event time and provider), for a step
    # timed after them.
    sent_at_ms: int | None = None
    provider: str | None = None
    delivered_ms: int | None = None
    delivered_at_ms: int | None = None
    delivered_provider: str | None = None
    # Requested with a test API key: its events are not counted (Notify leaves such messages off
    # dashboards and statistics).
    test_key: bool = False

    def merge(self, other: Fact) -> None:
        for name in FACT_FIELDS:
            value = getattr(other, name)
            if value is not None:
                setattr(self, name, value)
        self.expires_ms = max(self.expires_ms, other.expires_ms)
        self.test_key = self.test_key or other.test_key

    def as_list(self) -> list[Any]:
        """The fields in the order of the constructor (and of the changelog's records)."""
        return [
            self.channel,
            self.created_ms,
            self.sent_ms,
            self.expires_ms,
            self.sent_at_ms,
            self.provider,
            self.delivered_ms,
            self.delivered_at_ms,
            self.delivered_provider,
            self.test_key,
        ]

    def as_record(self) -> list[Any]:
        """``as_list`` without the fields after the last one known (a notification's delta records
        are written as it goes, most before its delivery is known). ``Fact(*record)`` reads either
        back. The format of the deltas written before ``as_row``: still read."""
        fields = self.as_list()
        while fields and (fields[-1] is None or fields[-1] is False):
            fields.pop()
        return fields

    def as_row(self, base_ms: int) -> list[Any]:
        """What a delta writes of the notification: the fields but the expiry (the delta's own
        stands for it), its times as milliseconds from ``base_ms`` (a few digits instead of
        thirteen), and none after the last one known. ``Fact.from_row`` reads it back."""
        fields = [
            self.channel,
            None if self.created_ms is None else self.created_ms - base_ms,
            None if self.sent_ms is None else self.sent_ms - base_ms,
            None if self.sent_at_ms is None else self.sent_at_ms - base_ms,
            self.provider,
            None if self.delivered_ms is None else self.delivered_ms - base_ms,
            None if self.delivered_at_ms is None else self.delivered_at_ms - base_ms,
            self.delivered_provider,
            self.test_key,
        ]
        while fields and (fields[-1] is None or fields[-1] is False):
            fields.pop()
        return fields

    @classmethod
    def from_row(cls, row: list[Any], base_ms: int, expires_ms: int) -> Fact:
        fields = [*row, *([None] * (_ROW_LENGTH - len(row)))]
        for index in _ROW_TIMES:
            if fields[index] is not None:
                fields[index] += base_ms
        channel, created, sent, sent_at, provider, delivered, delivered_at, delivered_provider = fields[:8]
        return cls(
            channel,
            created,
            sent,
            expires_ms,
            sent_at,
            provider,
            delivered,
            delivered_at,
            delivered_provider,
            bool(fields[8]),
        )


# The positions of the times in ``Fact.as_row``, and its length in full.
_ROW_TIMES = (1, 2, 3, 5, 6)
_ROW_LENGTH = 9


# A cell of one minute, before ``take_delta`` adds it to its hour and day too: (window start,
# service, channel, provider, status). Hours and days are whole minutes, so each minute's counts
# and times add up to theirs; an event is counted once here instead of once per granularity.
_Minute = tuple[int, str, str, str, str]
MINUTE_MS = 60_000
if any(size % MINUTE_MS for _, size in GRANULARITY_SIZES):
    raise ValueError("every window must be made of whole minutes")


@dataclass(slots=True)
class _Batch:
    """What the events of the batch being read added: counts per minute cell, step times per
    minute cell (only for cells timed in it), event ids, and the notifications it learnt of."""

    counts: dict[_Minute, int] = field(default_factory=dict)
    created_to_sent: dict[_Minute, Durations] = field(default_factory=dict)
    sent_to_delivered: dict[_Minute, Durations] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    facts: dict[str, Fact] = field(default_factory=dict)
    # The latest expiry of its events, and the time its facts' times are written from.
    expires: int = 0
    base: int | None = None


def _timed(cells: dict[_Minute, Durations], key: _Minute, ms: int) -> None:
    durations = cells.get(key)
    if durations is None:
        durations = cells[key] = Durations()
    durations.add(ms)


def _counts_by_window(minutes: dict[_Minute, int]) -> dict[WindowKey, int]:
    counts: dict[WindowKey, int] = {}
    for (start, service_id, channel, provider, status), count in minutes.items():
        for granularity, size in GRANULARITY_SIZES:
            key = WindowKey(granularity, start - start % size, service_id, channel, provider, status)
            counts[key] = counts.get(key, 0) + count
    return counts


def _durations_by_window(minutes: dict[_Minute, Durations]) -> dict[WindowKey, Durations]:
    cells: dict[WindowKey, Durations] = {}
    for (start, service_id, channel, provider, status), durations in minutes.items():
        for granularity, size in GRANULARITY_SIZES:
            key = WindowKey(granularity, start - start % size, service_id, channel, provider, status)
            found = cells.get(key)
            if found is None:
                cells[key] = Durations(durations.count, durations.total_ms, list(durations.buckets))
            else:
                found.merge(durations)
    return cells


class _Expiries:
    """When the keys of a dict expire, by second, so that the expired ones are found without a walk
    of every key: a partition keeps a day of event ids (the dedupe horizon), which at a thousand
    notifications a second is millions of them, and each checkpoint walked them all.

    Every expiry a key is given is noted (``due``); ``forget`` then looks only at the seconds that
    have passed and deletes a key whose expiry, as it stands now, has passed too. A key given a
    later expiry since stays, and is looked at again when that one is due."""

    def __init__(self) -> None:
        self._due: dict[int, list[str]] = {}
        self._seconds: list[int] = []  # a heap of the keys of ``_due``

    def due(self, key: str, expires_ms: int) -> None:
        second = expires_ms // 1000
        keys = self._due.get(second)
        if keys is None:
            self._due[second] = [key]
            heapq.heappush(self._seconds, second)
        else:
            keys.append(key)

    def forget(self, now_ms: int, table: dict[str, Any], expiry: Callable[[Any], int]) -> None:
        """Delete from ``table`` every key whose expiry (``expiry`` of its value) is before
        ``now_ms``, as a walk of the whole table would."""
        limit = now_ms // 1000
        later: list[tuple[int, list[str]]] = []
        while self._seconds and self._seconds[0] <= limit:
            second = heapq.heappop(self._seconds)
            kept = []
            for key in self._due.pop(second):
                value = table.get(key)
                if value is None:
                    continue  # forgotten already
                expires = expiry(value)
                if expires // 1000 != second:
                    continue  # given a later expiry since: noted under that one's second
                if expires < now_ms:
                    del table[key]
                else:
                    kept.append(key)  # due later in this very second
            if kept:
                later.append((second, kept))
        for second, kept in later:
            self._due[second] = kept
            heapq.heappush(self._seconds, second)

    def rebuild(self, table: dict[str, Any], expiry: Callable[[Any], int]) -> None:
        self._due, self._seconds = {}, []
        for key, value in table.items():
            self.due(key, expiry(value))


def _seen_expiry(expires: int) -> int:
    return expires


def _fact_expiry(fact: Fact) -> int:
    return fact.expires_ms


class PartitionState:
    """Windows, seen ids and notification facts of one partition of one source.

    Events are counted into a batch (``apply``) and the batch into the totals when it ends
    (``take_delta``), so each cell is updated once per batch however many of its events it held."""

    def __init__(self, dedupe_ms: int, short_deltas: bool = False) -> None:
        self.dedupe_ms = dedupe_ms
        # Deltas in the shorter format (``event_ids``, ``notifications``), which workers before it
        # cannot read; off, deltas keep the format every version reads (``ids``, ``facts``), so a
        # rolling upgrade or a rollback never meets a record it cannot restore.
        self.short_deltas = short_deltas
        self.totals: dict[WindowKey, WindowStats] = {}
        self.seen: dict[str, int] = {}
        self.facts: dict[str, Fact] = {}
        self._seen_due = _Expiries()
        self._facts_due = _Expiries()
        self.seq = 0
        self._batch = _Batch()
        self._covers: dict[WindowKey, int] = {}
        self._deltas: dict[int, int] = {}  # sequence number -> when everything in it has expired
        self._checkpointed = 0
        self.dirty: set[WindowKey] = set()
        self._since_checkpoint: set[WindowKey] = set()

    # -- counting ---------------------------------------------------------------------------------

    def apply(self, obs: Observation) -> bool | None:
        """Count ``obs`` into the batch: ``True`` if counted, ``False`` if its event id was seen
        before, ``None`` if its notification was requested with a test API key (an event read
        before that request is counted: its notification was not known to be a test yet).

        Topics are not ordered with each other, so a notification's sending may be read before
        its request (or its delivery before its sending): the step is timed when the second of
        the two is read, in the cell of the later step."""
        event_id = obs.event_id
        if event_id in self.seen:
            return False
        occurred = obs.occurred_ms
        expires = occurred + self.dedupe_ms
        self.seen[event_id] = expires
        self._seen_due.due(event_id, expires)
        batch = self._batch
        batch.ids.append(event_id)
        if expires > batch.expires:
            batch.expires = expires
        if batch.base is None:
            batch.base = occurred
        known = self.facts.get(obs.notification_id)
        if known is None:
            known = self.facts[obs.notification_id] = Fact(expires_ms=expires)
            self._facts_due.due(obs.notification_id, expires)
        elif expires > known.expires_ms:
            known.expires_ms = expires
            self._facts_due.due(obs.notification_id, expires)
        batch.facts[obs.notification_id] = known
        if obs.test_key:
            known.test_key = True
        if known.test_key:
            return None
        channel = obs.channel or known.channel or UNKNOWN
        if obs.channel is not None:
            known.channel = obs.channel
        provider = obs.provider or NONE
        status = obs.status
        created_to_sent = sent_to_delivered = None
        if status == "created":
            created = obs.created_ms if obs.created_ms is not None else occurred
            if known.sent_ms is not None:
                self._time(obs.service_id, channel, known, "sending", known.sent_ms - created)
            known.created_ms = created
        elif status == "sending":
            sent = obs.sent_ms if obs.sent_ms is not None else occurred
            if known.created_ms is not None:
                created_to_sent = sent - known.created_ms
            if known.delivered_ms is not None:
                self._time(obs.service_id, channel, known, "delivered", known.delivered_ms - sent)
            known.sent_ms, known.sent_at_ms, known.provider = sent, occurred, provider
        elif status == "delivered":
            done = obs.delivered_ms if obs.delivered_ms is not None else occurred
            if known.sent_ms is not None:
                sent_to_delivered = done - known.sent_ms
            known.delivered_ms, known.delivered_at_ms, known.delivered_provider = done, occurred, provider
        key = (occurred - occurred % MINUTE_MS, obs.service_id, channel, provider, status)
        counts = batch.counts
        counts[key] = counts.get(key, 0) + 1
        if created_to_sent is not None:
            _timed(batch.created_to_sent, key, created_to_sent)
        if sent_to_delivered is not None:
            _timed(batch.sent_to_delivered, key, sent_to_delivered)
        return True

    def _time(self, service_id: str, channel: str, known: Fact, status: str, ms: int) -> None:
        """Add a step timed late to the cells of the event counted earlier."""
        at, provider = (
            (known.sent_at_ms, known.provider)
            if status == "sending"
            else (known.delivered_at_ms, known.delivered_provider)
        )
        if at is None:
            return
        timed = self._batch.created_to_sent if status == "sending" else self._batch.sent_to_delivered
        _timed(timed, (at - at % MINUTE_MS, service_id, channel, provider or NONE, status), ms)

    # -- writing ----------------------------------------------------------------------------------

    def take_delta(self) -> tuple[str, dict[str, Any]] | None:
        """End the batch: add it to the totals and return its delta record, or ``None`` if nothing
        was counted. A cell's counts in the record are ``[count]`` when nothing was timed in it."""
        batch = self._batch
        if not batch.ids:
            return None
        self._batch = _Batch()
        self.seq += 1
        totals = self.totals
        counts = _counts_by_window(batch.counts)
        created_to_sent = _durations_by_window(batch.created_to_sent)
        sent_to_delivered = _durations_by_window(batch.sent_to_delivered)
        records: dict[str, list[int]] = {}
        for key, count in counts.items():
            stats = totals.get(key)
            if stats is None:
                stats = totals[key] = WindowStats(count)
            else:
                stats.count += count
            if key not in created_to_sent and key not in sent_to_delivered:
                records[key.encode()] = [count]
        for key in created_to_sent.keys() | sent_to_delivered.keys():
            first, second = created_to_sent.get(key), sent_to_delivered.get(key)
            stats = totals.get(key)
            if stats is None:
                stats = totals[key] = WindowStats()
            if first is not None:
                stats.created_to_sent.merge(first)
            if second is not None:
                stats.sent_to_delivered.merge(second)
            records[key.encode()] = [
                counts.get(key, 0),
                *(_UNTIMED if first is None else first.as_list()),
                *(_UNTIMED if second is None else second.as_list()),
            ]
        changed = counts.keys() | created_to_sent.keys() | sent_to_delivered.keys()
        self.dirty |= changed
        self._since_checkpoint |= changed
        facts = batch.facts
        expires = max(batch.expires, max(f.expires_ms for f in facts.values()))
        self._deltas[self.seq] = expires
        base = batch.base or 0
        # The expiry of the batch's latest event stands for each of its ids and facts: one kept
        # a little longer than its own is still forgotten within the batch's span of event time.
        value: dict[str, Any]
        if self.short_deltas:
            value = {
                "counts": records,
                "event_ids": batch.ids,
                "base": base,
                "notifications": {n: f.as_row(base) for n, f in facts.items()},
                "expires": expires,
            }
        else:
            value = {
                "counts": records,
                "ids": dict.fromkeys(batch.ids, expires),
                "facts": {n: f.as_record() for n, f in facts.items()},
                "expires": expires,
            }
        return f"{DELTA}|{self.seq:012d}", value

    def checkpoint(self) -> list[tuple[str, dict[str, Any]]]:
        """The delta of what is pending, then a record per cell changed since the last checkpoint
        with its totals (which include that delta)."""
        pending = self.take_delta()
        records = [] if pending is None else [pending]
        records += [
            (f"{CELL}|{key.encode()}", {"stats": self.totals[key].as_list(), "covers": self.seq})
            for key in sorted(self._since_checkpoint, key=WindowKey.encode)
        ]
        for key in self._since_checkpoint:
            self._covers[key] = self.seq
        self._since_checkpoint.clear()
        self._checkpointed = self.seq
        return records

    def expired(self, now_ms: int) -> list[str]:
        """The keys of delta records no longer needed, forgotten here as well (with their ids and
        facts) once the caller has deleted them."""
        gone = [s for s, expires in self._deltas.items() if s <= self._checkpointed and expires < now_ms]
        for seq in gone:
            del self._deltas[seq]
        self._seen_due.forget(now_ms, self.seen, _seen_expiry)
        self._facts_due.forget(now_ms, self.facts, _fact_expiry)
        return [f"{DELTA}|{seq:012d}" for seq in gone]

    # -- reading back -----------------------------------------------------------------------------

    def restore(self, records: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Rebuild from the records of the changelog (any order)."""
        deltas: list[tuple[int, dict[str, Any]]] = []
        for key, value in records:
            kind, _, rest = key.partition("|")
            if kind == CELL:
                cell = WindowKey.decode(rest)
                self.totals[cell] = WindowStats.from_list(value["stats"])
                self._covers[cell] = int(value["covers"])
                self.dirty.add(cell)
            elif kind == DELTA:
                deltas.append((int(rest), value))
        for seq, value in sorted(deltas, key=lambda d: d[0]):
            for text, stats in value["counts"].items():
                cell = WindowKey.decode(text)
                if seq > self._covers.get(cell, 0):
                    self.totals.setdefault(cell, WindowStats()).merge(WindowStats.from_list(stats))
                    self._since_checkpoint.add(cell)
                    self.dirty.add(cell)
            expires = int(value["expires"])
            if "event_ids" in value:
                seen = self.seen
                for event_id in value["event_ids"]:
                    if seen.get(event_id, 0) < expires:
                        seen[event_id] = expires
                base = int(value["base"])
                for notification_id, row in value["notifications"].items():
                    self._learn_restored(notification_id, Fact.from_row(row, base, expires))
            else:  # written before deltas had one expiry for all their ids and facts
                self.seen.update(value["ids"])
                for notification_id, fact in value["facts"].items():
                    self._learn_restored(notification_id, Fact(*fact))
            self._deltas[seq] = expires
            self.seq = max(self.seq, seq)
        self._seen_due.rebuild(self.seen, _seen_expiry)
        self._facts_due.rebuild(self.facts, _fact_expiry)

    def _learn_restored(self, notification_id: str, fact: Fact) -> None:
        known = self.facts.get(notification_id)
        if known is None:
            self.facts[notification_id] = fact
        else:
            known.merge(fact)
