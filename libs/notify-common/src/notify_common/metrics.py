"""The platform's Prometheus series: every name, label and bucket in one place (docs/observability.md
lists them), and the helpers the services count through.

Labels carry only small closed sets (route templates, channels, key types, providers, outcomes,
topics, groups): never a recipient, a notification, job or service id, or personal data. Prometheus
adds the ``job`` label (the service), so no series repeats it. Label children are cached where a
hot path counts, so a count is a dictionary lookup and a locked add. With counting off
(``notify_common.instrumentation``: ``NOTIFY_INSTRUMENTATION=off``) every helper here does nothing.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from notify_common.errors import PermanentError
from notify_common.events import (
    ComplaintReceived,
    Event,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
)

# One series per counter, not a second ``_created`` one beside it.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The 10-second promise is bucket{le="10"} / count of the created-to-sent histogram.
SEND_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
DELIVERY_BUCKETS = (*SEND_BUCKETS, 600, 1800, 3600)
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)

# Every HTTP service (notify_common.metrics_http).
HTTP_REQUESTS = Counter(
    "notify_http_requests_total", "HTTP requests answered, by route template", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    "notify_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["route", "method"],
    buckets=CALL_BUCKETS,
)

# api-gateway.
ACCEPTED = Counter(
    "notify_notifications_accepted_total",
    "Notifications accepted (answered 201) by the API",
    ["channel", "key_type", "lane"],
)
LIMIT_REFUSALS = Counter("notify_limit_refusals_total", "Requests refused 429 by a limit", ["limit"])
DEPENDENCY_UNAVAILABLE = Counter(
    "notify_dependency_unavailable_total",
    "Requests answered 503 because a dependency was unavailable",
    ["dependency"],
)
REQUESTS_SHED = Counter(
    "notify_http_requests_shed_total",
    "Requests answered 503 at once because the process had its bound of requests in progress",
)

# Senders.
PROVIDER_CALLS = Counter(
    "notify_provider_calls_total", "Calls to a provider, by outcome", ["provider", "channel", "outcome"]
)
PROVIDER_CALL_DURATION = Histogram(
    "notify_provider_call_duration_seconds",
    "Time a provider took to answer",
    ["provider", "channel"],
    buckets=CALL_BUCKETS,
)
CREATED_TO_SENT = Histogram(
    "notify_created_to_sent_seconds",
    "From a notification's creation to its hand-over to the provider",
    ["channel"],
    buckets=SEND_BUCKETS,
)

# receipts and projector.
RECEIPTS = Counter("notify_receipts_total", "Provider receipts recorded, by status", ["provider", "status"])
SENT_TO_DELIVERED = Histogram(
    "notify_sent_to_delivered_seconds",
    "From hand-over to the provider to delivery, observed where delivered is applied (projector)",
    ["channel"],
    buckets=DELIVERY_BUCKETS,
)

# Every Kafka consumer (notify_common.kafka, notify_common.consumer_metrics).
CONSUMER_LAG = Gauge(
    "notify_consumer_lag",
    "Records behind the high-water mark, as the consumer itself sees them",
    ["group", "topic", "partition"],
)
CONSUMER_RECORDS = Counter(
    "notify_consumer_records_total", "Records consumed, by outcome", ["group", "topic", "outcome"]
)
RETRY_RECORDS = Counter(
    "notify_retry_records_total", "Records sent to a retry topic, by the topic first read from", ["topic"]
)
DEAD_LETTERS = Counter(
    "notify_dead_letters_total",
    "Records sent to a dead-letter topic, by the topic first read from",
    ["topic"],
)
CONSUMER_PAUSED = Gauge(
    "notify_consumer_paused", "1 while the consumer is paused for an unavailable dependency", ["group"]
)

# callbacks.
CALLBACKS = Counter("notify_callbacks_total", "Callback attempts, by outcome", ["callback_type", "outcome"])

# job-splitter.
JOB_ROWS_SPLIT = Counter("notify_job_rows_split_total", "Job rows published as notifications")
JOBS = Counter("notify_jobs_total", "Jobs reaching each status", ["state"])

# projector.
PROJECTOR_BATCH_SIZE = Histogram(
    "notify_projector_batch_size", "Events per projected batch", buckets=BATCH_BUCKETS
)
PROJECTOR_EVENTS = Counter("notify_projector_events_total", "Events projected, by type", ["event"])


_counting = True


def count(on: bool) -> None:
    """Count from now on (the default), or not at all (see ``notify_common.instrumentation``)."""
    global _counting
    _counting = on


def counting() -> bool:
    return _counting


class _Uncounted:
    """What a label child is while counting is off: every operation does nothing."""

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


UNCOUNTED = _Uncounted()


class Children:
    """``metric.labels(*values)`` cached per distinct label values (a closed, small set); with
    counting off, a child that counts nothing."""

    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        if not _counting:
            return UNCOUNTED
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


_accepted = Children(ACCEPTED)
_refusals = Children(LIMIT_REFUSALS)
_unavailable = Children(DEPENDENCY_UNAVAILABLE)
_calls = Children(PROVIDER_CALLS)
_call_seconds = Children(PROVIDER_CALL_DURATION)
_created_to_sent = Children(CREATED_TO_SENT)
_receipts = Children(RECEIPTS)
_sent_to_delivered = Children(SENT_TO_DELIVERED)
_callbacks = Children(CALLBACKS)
_jobs = Children(JOBS)
_events = Children(PROJECTOR_EVENTS)


def start_api_series() -> None:
    """The api-gateway's series at zero from the start, so the first sends after a (re)start show as
    an increase to ``rate()`` and ``increase()`` rather than as a series appearing already counted."""
    if not _counting:
        return
    for channel in ("sms", "email", "letter"):
        for key_type in ("normal", "team", "test"):
            for lane in ("priority", "bulk"):
                _accepted(channel, key_type, lane)
    for limit in ("rate", "daily", "annual"):
        _refusals(limit)
    for dependency in ("kafka", "postgres", "redis"):
        _unavailable(dependency)


def start_sender_series(channel: str) -> None:
    """A sender's created→sent series at zero from the start (see ``start_api_series``)."""
    if _counting:
        _created_to_sent(channel)


def accepted(channels: Sequence[str], key_type: str, *, bulk: bool) -> None:
    """Sends accepted together (``channels``: the channel of each)."""
    if not _counting:
        return
    lane = "bulk" if bulk else "priority"
    if len(channels) == 1:
        _accepted(channels[0], key_type, lane).inc()
        return
    for channel, count in collections.Counter(channels).items():
        _accepted(channel, key_type, lane).inc(count)


def limit_refused(limit: str) -> None:
    _refusals(limit).inc()


def dependency_unavailable(dependency: str) -> None:
    _unavailable(dependency).inc()


def request_shed() -> None:
    if _counting:
        REQUESTS_SHED.inc()


def provider_outcome(exc: BaseException | None) -> str:
    """accepted, rejected (refused for good), timeout, or error (anything else, throttling too)."""
    if exc is None:
        return "accepted"
    if isinstance(exc, PermanentError):
        return "rejected"
    if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
        return "timeout"
    return "error"


@contextmanager
def provider_call(provider: str, channel: str) -> Iterator[None]:
    """Counts the call made inside the block by its outcome and times it."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "accepted"
    except Exception as exc:
        outcome = provider_outcome(exc)
        raise
    finally:
        _call_seconds(provider, channel).observe(time.perf_counter() - started)
        _calls(provider, channel, outcome).inc()


def sent(channel: str, created_at: datetime, sent_at: datetime) -> None:
    _created_to_sent(channel).observe(max(0.0, (sent_at - created_at).total_seconds()))


def receipt_status(event: Event) -> str:
    """The status a receipt's event records: delivered, pending, the failure's kind, or complaint."""
    if isinstance(event, NotificationDelivered):
        return "delivered"
    if isinstance(event, NotificationPending):
        return "pending"
    if isinstance(event, NotificationFailed):
        return str(event.failure_kind)
    return "complaint" if isinstance(event, ComplaintReceived) else "other"


def receipts(events: Iterable[Event]) -> None:
    """Receipts recorded (``events``: the event each was recorded as, which names its provider;
    complaints come from SES only)."""
    if not _counting:
        return
    counts = collections.Counter((getattr(e, "provider", None) or "ses", receipt_status(e)) for e in events)
    for (provider, status), count in counts.items():
        _receipts(provider, status).inc(count)


def delivered_after(channel: str, seconds: float) -> None:
    _sent_to_delivered(channel).observe(max(0.0, seconds))


def delivered_durations(
    before: Iterable[Mapping[Any, Any]],
    after: Iterable[Mapping[Any, Any]],
    delivered_at: Mapping[str, datetime],
) -> list[tuple[str, float]]:
    """(channel, seconds from sent to delivered) of each notification row that became delivered
    (``before`` and ``after`` are its row before and after a batch; ``delivered_at`` the delivery
    time of each notification delivered in the batch). A row delivered before, or without a sent
    time, gives nothing, so a replayed batch observes nothing twice."""
    was = {str(row["id"]): row["status"] for row in before}
    out: list[tuple[str, float]] = []
    for row in after:
        nid = str(row["id"])
        if row["status"] != "delivered" or was.get(nid) == "delivered":
            continue
        at, sent_at = delivered_at.get(nid), row.get("sent_at")
        if at is None or sent_at is None:
            continue
        out.append((str(row["notification_type"]), (at - sent_at).total_seconds()))
    return out


# How the callbacks service names an attempt's outcome, in the series' words.
CALLBACK_OUTCOMES = {"succeeded": "delivered", "retrying": "retrying", "failed": "failed"}


def callback_attempted(callback_type: str, outcome: str) -> None:
    _callbacks(callback_type, CALLBACK_OUTCOMES.get(outcome, outcome)).inc()


def job_state(state: str) -> None:
    _jobs(state).inc()


def job_rows_split(rows: int) -> None:
    if _counting:
        JOB_ROWS_SPLIT.inc(rows)


def projected(event_types: Sequence[str]) -> None:
    if not _counting:
        return
    PROJECTOR_BATCH_SIZE.observe(len(event_types))
    counts: dict[str, int] = {}
    for name in event_types:
        counts[name] = counts.get(name, 0) + 1
    for name, count in counts.items():
        _events(name).inc(count)
