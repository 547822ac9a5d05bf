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


@dataclass(slots=True)
class Fact:
    """What a partition knows of one notification, for the channel and delivery times of its
    later events."""

    channel: str | None = None
    created_ms: int | None = None
    sent_ms: int | None = None
    expires_ms: int = 0

    def merge(self, other: Fact) -> None:
        self.channel = other.channel or self.channel
        self.created_ms = other.created_ms if other.created_ms is not None else self.created_ms
        self.sent_ms = other.sent_ms if other.sent_ms is not None else self.sent_ms
        self.expires_ms = max(self.expires_ms, other.expires_ms)

    def as_list(self) -> list[Any]:
        return [self.channel, self.created_ms, self.sent_ms, self.expires_ms]


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
        """Count ``obs`` unless its event id was seen before; whether it was counted."""
        if obs.event_id in self.seen:
            return False
        expires = obs.occurred_ms + self.dedupe_ms
        self.seen[obs.event_id] = expires
        self._pending.ids[obs.event_id] = expires
        known = self.facts.get(obs.notification_id)
        channel = obs.channel or (known.channel if known else None) or UNKNOWN
        created_to_sent = sent_to_delivered = None
        learnt = Fact(channel=obs.channel, expires_ms=expires)
        if obs.status == "created":
            learnt.created_ms = obs.created_ms if obs.created_ms is not None else obs.occurred_ms
        elif obs.status == "sending":
            learnt.sent_ms = obs.sent_ms if obs.sent_ms is not None else obs.occurred_ms
            if known is not None and known.created_ms is not None:
                created_to_sent = learnt.sent_ms - known.created_ms
        elif obs.status == "delivered" and known is not None and known.sent_ms is not None:
            delivered = obs.delivered_ms if obs.delivered_ms is not None else obs.occurred_ms
            sent_to_delivered = delivered - known.sent_ms
        self._learn(obs.notification_id, learnt)
        provider = obs.provider or NONE
        for granularity in GRANULARITIES:
            key = WindowKey(
                granularity,
                window_start(granularity, obs.occurred_ms),
                obs.service_id,
                channel,
                provider,
                obs.status,
            )
            for cells in (self.totals, self._pending.counts):
                stats = cells.get(key)
                if stats is None:
                    stats = cells[key] = WindowStats()
                stats.count += 1
                if created_to_sent is not None:
                    stats.created_to_sent.add(created_to_sent)
                if sent_to_delivered is not None:
                    stats.sent_to_delivered.add(sent_to_delivered)
            self.dirty.add(key)
            self._since_checkpoint.add(key)
        return True

    def _learn(self, notification_id: str, learnt: Fact) -> None:
        for facts in (self.facts, self._pending.facts):
            known = facts.get(notification_id)
            if known is None:
                facts[notification_id] = Fact(
                    learnt.channel, learnt.created_ms, learnt.sent_ms, learnt.expires_ms
                )
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
