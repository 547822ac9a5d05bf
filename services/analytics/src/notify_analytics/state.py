"""The state of one source partition: its windows, the event ids it has seen, and what it knows
of each notification; and how that state is written to and read back from a changelog. Pure.

Every batch of events becomes one **delta** record: the counts it added, the event ids it saw and
what it learnt of notifications. One record per batch makes a batch atomic in the changelog: after
a crash, either the whole batch is in the recovered state (and its events, read again from the
last committed offset, are recognised by their ids and not counted twice) or none of it is (and
they are counted when read again). faust flushes the changelog before it commits offsets, so an
event whose offset is committed is always in a delta.

A **checkpoint** writes one record per cell with its totals and the last delta sequence number
they include; deltas at or below that number then only carry ids and notification facts, and
are deleted once those have expired (the dedupe horizon after their events happened).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from notify_analytics.observe import Observation
from notify_analytics.windows import GRANULARITIES, NONE, UNKNOWN, WindowKey, WindowStats, window_start

DELTA = "d"
CELL = "k"


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

    def merge(self, other: Fact) -> None:
        for name in FACT_FIELDS:
            value = getattr(other, name)
            if value is not None:
                setattr(self, name, value)
        self.expires_ms = max(self.expires_ms, other.expires_ms)

    def as_list(self) -> list[Any]:
        return [
            getattr(self, name)
            for name in ("channel", "created_ms", "sent_ms", "expires_ms", *FACT_FIELDS[3:])
        ]


@dataclass(slots=True)
class _Delta:
    counts: dict[WindowKey, WindowStats] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)


class PartitionState:
    """Windows, seen ids and notification facts of one partition of one source."""

    def __init__(self, dedupe_ms: int) -> None:
        self.dedupe_ms = dedupe_ms
        self.totals: dict[WindowKey, WindowStats] = {}
        self.seen: dict[str, int] = {}
        self.facts: dict[str, Fact] = {}
        self.seq = 0
        self._pending = _Delta()
        self._covers: dict[WindowKey, int] = {}
        self._deltas: dict[int, int] = {}  # sequence number -> when everything in it has expired
        self._checkpointed = 0
        self.dirty: set[WindowKey] = set()
        self._since_checkpoint: set[WindowKey] = set()

    # -- counting ---------------------------------------------------------------------------------

    def apply(self, obs: Observation) -> bool:
        """Count ``obs`` unless its event id was seen before; whether it was counted.

        Topics are not ordered with each other, so a notification's sending may be read before
        its request (or its delivery before its sending): the step is timed when the second of
        the two is read, in the cell of the later step."""
        if obs.event_id in self.seen:
            return False
        expires = obs.occurred_ms + self.dedupe_ms
        self.seen[obs.event_id] = expires
        self._pending.ids[obs.event_id] = expires
        known = self.facts.get(obs.notification_id) or Fact()
        channel = obs.channel or known.channel or UNKNOWN
        provider = obs.provider or NONE
        learnt = Fact(channel=obs.channel, expires_ms=expires)
        created_to_sent = sent_to_delivered = None
        if obs.status == "created":
            learnt.created_ms = obs.created_ms if obs.created_ms is not None else obs.occurred_ms
            if known.sent_ms is not None:
                self._time(obs.service_id, channel, known, "sending", known.sent_ms - learnt.created_ms)
        elif obs.status == "sending":
            learnt.sent_ms = obs.sent_ms if obs.sent_ms is not None else obs.occurred_ms
            learnt.sent_at_ms, learnt.provider = obs.occurred_ms, provider
            if known.created_ms is not None:
                created_to_sent = learnt.sent_ms - known.created_ms
            if known.delivered_ms is not None:
                self._time(obs.service_id, channel, known, "delivered", known.delivered_ms - learnt.sent_ms)
        elif obs.status == "delivered":
            learnt.delivered_ms = obs.delivered_ms if obs.delivered_ms is not None else obs.occurred_ms
            learnt.delivered_at_ms, learnt.delivered_provider = obs.occurred_ms, provider
            if known.sent_ms is not None:
                sent_to_delivered = learnt.delivered_ms - known.sent_ms
        self._learn(obs.notification_id, learnt)
        for granularity in GRANULARITIES:
            key = WindowKey(
                granularity,
                window_start(granularity, obs.occurred_ms),
                obs.service_id,
                channel,
                provider,
                obs.status,
            )
            for stats in self._cells(key):
                stats.count += 1
                if created_to_sent is not None:
                    stats.created_to_sent.add(created_to_sent)
                if sent_to_delivered is not None:
                    stats.sent_to_delivered.add(sent_to_delivered)
        return True

    def _cells(self, key: WindowKey) -> tuple[WindowStats, WindowStats]:
        """The cell in the totals and in the pending delta, marked changed."""
        self.dirty.add(key)
        self._since_checkpoint.add(key)
        found = []
        for cells in (self.totals, self._pending.counts):
            stats = cells.get(key)
            if stats is None:
                stats = cells[key] = WindowStats()
            found.append(stats)
        return found[0], found[1]

    def _time(self, service_id: str, channel: str, known: Fact, status: str, ms: int) -> None:
        """Add a step timed late to the cells of the event counted earlier."""
        at, provider = (
            (known.sent_at_ms, known.provider)
            if status == "sending"
            else (known.delivered_at_ms, known.delivered_provider)
        )
        if at is None:
            return
        for granularity in GRANULARITIES:
            key = WindowKey(
                granularity, window_start(granularity, at), service_id, channel, provider or NONE, status
            )
            for stats in self._cells(key):
                (stats.created_to_sent if status == "sending" else stats.sent_to_delivered).add(ms)

    def _learn(self, notification_id: str, learnt: Fact) -> None:
        for facts in (self.facts, self._pending.facts):
            known = facts.get(notification_id)
            if known is None:
                facts[notification_id] = Fact(*learnt.as_list())
            else:
                known.merge(learnt)

    # -- writing ----------------------------------------------------------------------------------

    def take_delta(self) -> tuple[str, dict[str, Any]] | None:
        """The delta record of everything counted since the last one, or ``None`` if nothing was."""
        pending = self._pending
        if not pending.ids:
            return None
        self._pending = _Delta()
        self.seq += 1
        expires = max([*pending.ids.values(), *(f.expires_ms for f in pending.facts.values())])
        self._deltas[self.seq] = expires
        value = {
            "counts": {k.encode(): s.as_list() for k, s in pending.counts.items()},
            "ids": pending.ids,
            "facts": {n: f.as_list() for n, f in pending.facts.items()},
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
        self.seen = {i: e for i, e in self.seen.items() if e >= now_ms}
        self.facts = {n: f for n, f in self.facts.items() if f.expires_ms >= now_ms}
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
            self.seen.update(value["ids"])
            for notification_id, fact in value["facts"].items():
                self._learn_restored(notification_id, Fact(*fact))
            self._deltas[seq] = int(value["expires"])
            self.seq = max(self.seq, seq)

    def _learn_restored(self, notification_id: str, fact: Fact) -> None:
        known = self.facts.get(notification_id)
        if known is None:
            self.facts[notification_id] = fact
        else:
            known.merge(fact)
