"""Windows and the statistics kept for each: pure, no I/O.

A window is one UTC minute, hour or day of **event time** (the event's ``occurred_at``), so an
event that arrives late is counted in the window it happened in. Each window is counted by
service, channel, provider and status; ``WindowKey`` names one such cell.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

GRANULARITIES: dict[str, int] = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
GRANULARITY_SIZES: tuple[tuple[str, int], ...] = tuple(GRANULARITIES.items())
# Upper bounds (milliseconds) of the delivery-time histogram buckets; the last bucket is open.
BUCKET_BOUNDS_MS: tuple[int, ...] = (1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000, 3_600_000)
TEN_SECONDS_MS = 10_000
# Written where an event does not say (a request has no provider yet; an older status event
# may not carry its channel and the request was not seen).
NONE = "none"
UNKNOWN = "unknown"


def window_start(granularity: str, at_ms: int) -> int:
    """The start (milliseconds since the epoch, UTC) of the window of ``granularity`` holding ``at_ms``."""
    size = GRANULARITIES[granularity]
    return at_ms - at_ms % size


def iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WindowKey(NamedTuple):
    """One cell: a window and the service, channel, provider and status counted in it. A tuple,
    so that the counting loop builds and hashes it cheaply."""

    granularity: str
    start_ms: int
    service_id: str
    channel: str
    provider: str
    status: str

    def encode(self) -> str:
        return "|".join(
            (self.granularity, str(self.start_ms), self.service_id, self.channel, self.provider, self.status)
        )

    @classmethod
    def decode(cls, text: str) -> WindowKey:
        granularity, start, service_id, channel, provider, status = text.split("|")
        return cls(granularity, int(start), service_id, channel, provider, status)


@dataclass(slots=True)
class Durations:
    """A distribution of durations: count, sum and histogram buckets (``BUCKET_BOUNDS_MS``)."""

    count: int = 0
    total_ms: int = 0
    buckets: list[int] = field(default_factory=([0] * (len(BUCKET_BOUNDS_MS) + 1)).copy)

    def add(self, ms: int) -> None:
        ms = max(ms, 0)
        self.count += 1
        self.total_ms += ms
        # The first bucket whose upper bound is at least ms; past the last bound, the open one.
        self.buckets[bisect_left(BUCKET_BOUNDS_MS, ms)] += 1

    def merge(self, other: Durations) -> None:
        self.count += other.count
        self.total_ms += other.total_ms
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    def within(self, bound_ms: int) -> int:
        """How many took at most ``bound_ms`` (a bucket bound)."""
        return sum(self.buckets[: BUCKET_BOUNDS_MS.index(bound_ms) + 1])

    def as_list(self) -> list[int]:
        return [self.count, self.total_ms, *self.buckets]

    @classmethod
    def from_list(cls, values: list[int]) -> Durations:
        return cls(values[0], values[1], list(values[2:]))


@dataclass(slots=True)
class WindowStats:
    """What one cell holds: how many events, and how long they took (created→sent, sent→delivered)."""

    count: int = 0
    created_to_sent: Durations = field(default_factory=Durations)
    sent_to_delivered: Durations = field(default_factory=Durations)

    def merge(self, other: WindowStats) -> None:
        self.count += other.count
        self.created_to_sent.merge(other.created_to_sent)
        self.sent_to_delivered.merge(other.sent_to_delivered)

    def as_list(self) -> list[int]:
        return [self.count, *self.created_to_sent.as_list(), *self.sent_to_delivered.as_list()]

    @classmethod
    def from_list(cls, values: list[int]) -> WindowStats:
        if len(values) == 1:  # a count alone: nothing timed
            return cls(values[0])
        width = len(BUCKET_BOUNDS_MS) + 3
        return cls(
            values[0],
            Durations.from_list(values[1 : 1 + width]),
            Durations.from_list(values[1 + width : 1 + 2 * width]),
        )
