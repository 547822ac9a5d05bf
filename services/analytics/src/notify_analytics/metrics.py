"""The analytics workers' own series, beside the common ones of ``notify_common.metrics``."""

from __future__ import annotations

from prometheus_client import Counter

EVENTS = Counter(
    "notify_analytics_events_total",
    "Lifecycle events read by the analytics workers, by source and outcome",
    ["source", "outcome"],
)


def events(source: str, outcomes: dict[str, int]) -> None:
    for outcome, count in outcomes.items():
        if count:
            EVENTS.labels(source=source, outcome=outcome).inc(count)


def start(sources: list[str]) -> None:
    """Every series at zero, so a first increase counts to rate()."""
    for source in sources:
        for outcome in ("counted", "duplicate", "ignored", "undecodable"):
            EVENTS.labels(source=source, outcome=outcome)
