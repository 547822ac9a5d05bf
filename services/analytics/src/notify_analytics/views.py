"""Answers to the HTTP views, from the results of every partition: pure but for a warning logged
for a record that does not decode.

``Results`` holds the latest record of each results key (one cell of one source partition) and
adds partitions up when asked.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from notify_analytics.results import decode_result
from notify_analytics.windows import TEN_SECONDS_MS, WindowKey, WindowStats, iso, window_start

log = logging.getLogger(__name__)
FAILED_PREFIXES = ("permanent-failure", "temporary-failure", "technical-failure")


class Results:
    """The merged results: cell -> statistics, summed over source partitions.

    Records read from the results topic are kept encoded and decoded when a view first needs
    them: while workers catch up most records are replaced before anyone asks."""

    def __init__(self) -> None:
        self._parts: dict[bytes, tuple[WindowKey, WindowStats]] = {}
        self._encoded: dict[bytes, bytes] = {}

    def put(self, key: bytes, cell: WindowKey, stats: WindowStats) -> None:
        self._encoded.pop(key, None)
        self._parts[key] = (cell, stats)

    def put_encoded(self, key: bytes, value: bytes) -> None:
        """Keep a results record (``notify_analytics.results``) to decode when asked."""
        self._parts.pop(key, None)
        self._encoded[key] = value

    def delete(self, key: bytes) -> None:
        self._parts.pop(key, None)
        self._encoded.pop(key, None)

    def _decode_pending(self) -> None:
        for key, value in self._encoded.items():
            try:
                self._parts[key] = decode_result(value)
            except (ValueError, EOFError):
                log.warning("undecodable analytics result", extra={"key": key.decode(errors="replace")})
        self._encoded.clear()

    def cells(self, keep: Callable[[WindowKey], bool]) -> dict[WindowKey, WindowStats]:
        self._decode_pending()
        merged: dict[WindowKey, WindowStats] = {}
        for cell, stats in self._parts.values():
            if keep(cell):
                merged.setdefault(cell, WindowStats()).merge(stats)
        return merged


def _summary(cells: dict[WindowKey, WindowStats]) -> dict[str, Any]:
    by_status: dict[str, int] = defaultdict(int)
    sent = WindowStats()
    delivered = WindowStats()
    for cell, stats in cells.items():
        by_status[cell.status] += stats.count
        if cell.status == "sending":
            sent.merge(stats)
        if cell.status == "delivered":
            delivered.merge(stats)
    requested = by_status.get("created", 0)
    failures = {s: n for s, n in by_status.items() if s not in ("created", "sending", "pending", "delivered")}
    timed = sent.created_to_sent
    return {
        "requested": requested,
        "sent": by_status.get("sending", 0),
        "delivered": by_status.get("delivered", 0),
        "failed": sum(failures.values()),
        "failures_by_kind": dict(sorted(failures.items())),
        "by_status": dict(sorted(by_status.items())),
        "sent_within_10_seconds": timed.within(TEN_SECONDS_MS),
        "timed_sends": timed.count,
        "share_sent_within_10_seconds": round(timed.within(TEN_SECONDS_MS) / timed.count, 4)
        if timed.count
        else None,
        "created_to_sent_mean_ms": timed.total_ms // timed.count if timed.count else None,
        "sent_to_delivered_mean_ms": delivered.sent_to_delivered.total_ms // delivered.sent_to_delivered.count
        if delivered.sent_to_delivered.count
        else None,
    }


def daily(results: Results, *, channel: str | None, days: int, now_ms: int) -> dict[str, Any]:
    """Per UTC day of the last ``days`` days (today included), by channel."""
    first = window_start("day", now_ms) - (days - 1) * 86_400_000
    cells = results.cells(
        lambda c: c.granularity == "day" and c.start_ms >= first and (channel is None or c.channel == channel)
    )
    grouped: dict[tuple[int, str], dict[WindowKey, WindowStats]] = defaultdict(dict)
    services: dict[int, set[str]] = defaultdict(set)
    for cell, stats in cells.items():
        grouped[(cell.start_ms, cell.channel)][cell] = stats
        services[cell.start_ms].add(cell.service_id)
    out: list[dict[str, Any]] = []
    for start in range(first, window_start("day", now_ms) + 1, 86_400_000):
        channels = {ch: _summary(g) for (day, ch), g in sorted(grouped.items()) if day == start}
        total = _summary({k: v for (day, _), g in grouped.items() if day == start for k, v in g.items()})
        out.append(
            {"date": iso(start)[:10], "channels": channels, "total": total, "services": len(services[start])}
        )
    return {"channel": channel, "days": out}


def service_days(results: Results, service_id: str, *, days: int, now_ms: int) -> dict[str, Any]:
    """One service's last ``days`` UTC days (today included), in total and by channel."""
    today = window_start("day", now_ms)
    first = today - (days - 1) * 86_400_000
    cells = results.cells(
        lambda c: c.granularity == "day" and c.service_id == service_id and c.start_ms >= first
    )
    by_channel: dict[str, dict[WindowKey, WindowStats]] = defaultdict(dict)
    for cell, stats in cells.items():
        by_channel[cell.channel][cell] = stats
    return {
        "service_id": service_id,
        "days": days,
        "from": iso(first)[:10],
        "to": iso(today)[:10],
        "total": _summary(cells),
        "channels": {ch: _summary(g) for ch, g in sorted(by_channel.items())},
    }


def service_today(results: Results, service_id: str, *, now_ms: int) -> dict[str, Any]:
    """One service's day so far, by channel, and its minutes of the last hour."""
    today = window_start("day", now_ms)
    cells = results.cells(lambda c: c.service_id == service_id and c.start_ms >= today - 3_600_000)
    day = {k: v for k, v in cells.items() if k.granularity == "day" and k.start_ms == today}
    by_channel: dict[str, dict[WindowKey, WindowStats]] = defaultdict(dict)
    for cell, stats in day.items():
        by_channel[cell.channel][cell] = stats
    minutes: dict[int, dict[WindowKey, WindowStats]] = defaultdict(dict)
    for cell, stats in cells.items():
        if cell.granularity == "minute" and cell.start_ms >= now_ms - 3_600_000:
            minutes[cell.start_ms][cell] = stats
    return {
        "service_id": service_id,
        "date": iso(today)[:10],
        "total": _summary(day),
        "channels": {ch: _summary(g) for ch, g in sorted(by_channel.items())},
        "minutes": [{"start": iso(m), **_summary(g)} for m, g in sorted(minutes.items())],
    }


def providers(results: Results, *, granularity: str, now_ms: int) -> dict[str, Any]:
    """Each provider's success rate in the current window: delivered / (delivered + failed)."""
    current = window_start(granularity, now_ms)
    cells = results.cells(lambda c: c.granularity == granularity and c.start_ms == current)
    by_provider: dict[tuple[str, str], dict[WindowKey, WindowStats]] = defaultdict(dict)
    for cell, stats in cells.items():
        if cell.provider != "none":
            by_provider[(cell.provider, cell.channel)][cell] = stats
    rows = []
    for (provider, channel), group in sorted(by_provider.items()):
        summary = _summary(group)
        settled = summary["delivered"] + summary["failed"]
        rows.append(
            {
                "provider": provider,
                "channel": channel,
                **summary,
                "success_rate": round(summary["delivered"] / settled, 4) if settled else None,
            }
        )
    return {"granularity": granularity, "window_start": iso(current), "providers": rows}
