"""The limits one process keeps by itself while Redis cannot be reached (``ratelimit.Limiter``).

Sends go on during a Redis outage, still limited, approximately: each process keeps the same token
bucket per service and key type as Redis does, and the daily counters, starting from the last
count Redis told it (0 if none). What it counts while Redis is away is added to Redis's counters
before Redis decides again (``take_pending``), so the day's counts do not lose the outage's sends.
With several processes, each keeps its own bucket and counters: a service may send up to that many
times its rate limit, and pass its daily limit by what the other processes counted, until Redis
is back. Pure: no I/O; time comes from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

# Buckets and counters kept at most (a process serves far fewer services during an outage).
MAX_ENTRIES = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class LocalLimits:
    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._counts: dict[str, int] = {}  # daily key -> count as this process knows it
        self._pending: dict[str, int] = {}  # daily key -> counted here, not yet in Redis

    def take_token(self, key: str, rate_per_second: float, capacity: int, now: float) -> float:
        """Take a token from ``key``'s bucket: 0 if taken, else the seconds until one is due."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_ENTRIES:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(float(capacity), now)
        bucket.tokens = min(float(capacity), bucket.tokens + max(0.0, now - bucket.at) * rate_per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate_per_second

    def count(self, counts: list[tuple[str, int, int]]) -> int:
        """Count ``(daily key, n, limit)`` all or none: 0 if counted, else the 1-based index of
        the first counter it would take over its limit."""
        for i, (key, n, limit) in enumerate(counts, 1):
            if self._counts.get(key, 0) + n > limit:
                return i
        for key, n, _ in counts:
            self._counts[key] = self._counts.get(key, 0) + n
            self._pending[key] = self._pending.get(key, 0) + n
        return 0

    def give_back(self, counts: list[tuple[str, int]]) -> None:
        """Undo ``count`` for sends that were not accepted after all."""
        for key, n in counts:
            self._counts[key] = max(0, self._counts.get(key, 0) - n)
            self._pending[key] = self._pending.get(key, 0) - n

    def seen(self, key: str, count: int) -> None:
        """Redis's count for ``key`` (what this process starts from if Redis goes away)."""
        if key not in self._counts and len(self._counts) >= MAX_ENTRIES:
            self._counts.clear()
        self._counts[key] = count + self._pending.get(key, 0)

    def has_pending(self) -> bool:
        return bool(self._pending)

    def take_pending(self) -> dict[str, int]:
        """What was counted here since the last call, to add to Redis's counters."""
        pending, self._pending = self._pending, {}
        return pending

    def put_back(self, pending: dict[str, int]) -> None:
        """Counts ``take_pending`` gave that could not be added to Redis after all."""
        for key, n in pending.items():
            self._pending[key] = self._pending.get(key, 0) + n
