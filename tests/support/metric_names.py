"""The platform's metric names and labels as the services export them, for the tests of what reads
them (the alert rules in deploy/prometheus/rules and the Grafana dashboard in deploy/grafana), and
helpers that find the metric names and label names a PromQL expression uses.

Prometheus adds ``job`` (the service's name) and ``instance`` to every series; histograms add
``le`` to their buckets.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]

METRICS: dict[str, tuple[Kind, frozenset[str]]] = {
    "notify_http_requests_total": ("counter", frozenset({"route", "method", "status"})),
    "notify_http_request_duration_seconds": ("histogram", frozenset({"route", "method"})),
    "notify_notifications_accepted_total": ("counter", frozenset({"channel", "key_type", "lane"})),
    "notify_limit_refusals_total": ("counter", frozenset({"limit"})),
    "notify_dependency_unavailable_total": ("counter", frozenset({"dependency"})),
    "notify_provider_calls_total": ("counter", frozenset({"provider", "channel", "outcome"})),
    "notify_provider_call_duration_seconds": ("histogram", frozenset({"provider", "channel"})),
    "notify_created_to_sent_seconds": ("histogram", frozenset({"channel"})),
    "notify_receipts_total": ("counter", frozenset({"provider", "status"})),
    "notify_sent_to_delivered_seconds": ("histogram", frozenset({"channel"})),
    "notify_consumer_lag": ("gauge", frozenset({"group", "topic", "partition"})),
    "notify_consumer_records_total": ("counter", frozenset({"group", "topic", "outcome"})),
    "notify_retry_records_total": ("counter", frozenset({"topic"})),
    "notify_dead_letters_total": ("counter", frozenset({"topic"})),
    "notify_consumer_paused": ("gauge", frozenset({"group"})),
    "notify_callbacks_total": ("counter", frozenset({"callback_type", "outcome"})),
    "notify_job_rows_split_total": ("counter", frozenset()),
    "notify_jobs_total": ("counter", frozenset({"state"})),
    "notify_projector_batch_size": ("histogram", frozenset()),
    "notify_projector_events_total": ("counter", frozenset({"event"})),
}

# Labels Prometheus adds to every scraped series, and the bucket bound of histograms.
TARGET_LABELS = frozenset({"job", "instance"})
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_METRIC = re.compile(r"\b(notify_[a-z0-9_]+)\b")
_SELECTOR = re.compile(r"\b(notify_[a-z0-9_]+)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def series_name(name: str) -> str:
    """The metric a series name belongs to: a histogram's buckets, count and sum are its own."""
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and METRICS.get(base, ("counter", frozenset()))[0] == "histogram":
            return base
    return name


def metrics_used(expr: str) -> set[str]:
    """Every ``notify_*`` series name in a PromQL expression (not within quoted strings)."""
    return set(_METRIC.findall(_STRINGS.sub('""', expr)))


def labels_used(expr: str) -> dict[str, set[str]]:
    """For each ``notify_*`` selector in the expression, the label names its matchers use."""
    used: dict[str, set[str]] = {}
    for name, matchers in _SELECTOR.findall(expr):
        used.setdefault(name, set()).update(_MATCHER.findall(_STRINGS.sub('""', matchers)))
    return used


def grouping_labels(expr: str) -> set[str]:
    """The label names of every by/without/on/ignoring/group_left/group_right clause."""
    names: set[str] = set()
    for group in _GROUPING.findall(expr):
        names.update(part.strip() for part in group.split(",") if part.strip())
    return names


def labels_of(name: str) -> frozenset[str]:
    """The labels a series of this name can carry, with Prometheus' own."""
    base = series_name(name)
    kind, labels = METRICS[base]
    extra = {"le"} if kind == "histogram" and name.endswith("_bucket") else set()
    return labels | TARGET_LABELS | extra


def unknown_metrics(expr: str) -> set[str]:
    """``notify_*`` names in the expression that are no metric of the platform (nor a histogram's
    series), nor a recording rule's output (those are ``notify:...``, which the pattern skips)."""
    unknown = set()
    for name in metrics_used(expr):
        base = series_name(name)
        if base not in METRICS or (base == name and METRICS[base][0] == "histogram"):
            unknown.add(name)
    return unknown
