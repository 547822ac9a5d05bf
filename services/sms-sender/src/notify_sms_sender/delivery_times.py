"""How long each provider takes to deliver, from a sample of our own sends and the receipts that
follow them on the status topic. Pure: times are passed in.

Only one notification in ``sample_every`` is tracked (chosen by its id, so the choice is the same
for the send and its receipt), and at most ``max_tracked`` at once, which bounds memory at any
sending rate.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Tracked:
    provider: str
    sent_at: float
    took: float | None = None


@dataclass
class DeliveryTimes:
    slow_after_s: float = 300.0
    window_s: float = 900.0
    sample_every: int = 8
    max_tracked: int = 200_000
    _tracked: OrderedDict[str, _Tracked] = field(default_factory=OrderedDict)

    def sampled(self, notification_id: str) -> bool:
        return int(notification_id.replace("-", "")[-4:], 16) % self.sample_every == 0

    def record_sent(self, notification_id: str, provider: str, now: float) -> None:
        if not self.sampled(notification_id) or notification_id in self._tracked:
            return
        self._tracked[notification_id] = _Tracked(provider, now)
        while len(self._tracked) > self.max_tracked:
            self._tracked.popitem(last=False)

    def record_receipt(self, notification_id: str, now: float) -> None:
        tracked = self._tracked.get(notification_id)
        if tracked is not None and tracked.took is None:
            tracked.took = now - tracked.sent_at

    def slow_ratios(self, now: float) -> dict[str, float]:
        """Per provider, the share of its messages sent within the window (and old enough to
        judge) that took longer than ``slow_after_s`` to be delivered, or still have no receipt."""
        while self._tracked:
            oldest = next(iter(self._tracked.values()))
            if oldest.sent_at >= now - self.window_s:
                break
            self._tracked.popitem(last=False)
        totals: dict[str, int] = {}
        slow: dict[str, int] = {}
        for t in self._tracked.values():
            age = now - t.sent_at
            if t.took is None and age <= self.slow_after_s:
                continue  # too young to tell
            totals[t.provider] = totals.get(t.provider, 0) + 1
            if (t.took if t.took is not None else age) > self.slow_after_s:
                slow[t.provider] = slow.get(t.provider, 0) + 1
        return {p: slow.get(p, 0) / n for p, n in totals.items() if n}
