"""What the platform health page shows: a fixed catalogue of charts, each a few PromQL queries over
the platform's own series, and the report built from Prometheus' answers (the last hour, one point
every 15 seconds, with each series' latest value written out for people).

Nobody can pass a query in: the page and its JSON run these queries only. The series' names and
labels are the platform's metrics (``notify_…``; Prometheus adds ``job``, the service's name).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from notify_admin_console.prometheus import PrometheusClient, PrometheusUnavailable, Series

WINDOW_SECONDS = 3600
STEP_SECONDS = 15
REFRESH_SECONDS = 15


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str  # a fixed name, or label names in braces: "{provider} {outcome}"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    unit: str  # per_second | seconds | ratio | records
    queries: tuple[Query, ...]


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate(notify_created_to_sent_seconds_bucket[5m])))"


CHARTS = (
    Chart(
        "accepted",
        "Notifications accepted",
        "Sends the API accepted each second, by channel.",
        "per_second",
        (Query("sum by (channel) (rate(notify_notifications_accepted_total[1m]))", "{channel}"),),
    ),
    Chart(
        "created-to-sent",
        "Time from created to sent",
        "How long notifications took from being accepted to being handed to a provider: "
        "the median (p50) and the slowest 1% (p99).",
        "seconds",
        (Query(_quantile(0.5), "p50"), Query(_quantile(0.99), "p99")),
    ),
    Chart(
        "sent-within-10s",
        "Sent within 10 seconds",
        "The share of notifications handed to a provider within 10 seconds of being accepted.",
        "ratio",
        (
            # Python's client writes the bound as "10.0", Go's as "10"; Prometheus 2 keeps either.
            Query(
                'sum(rate(notify_created_to_sent_seconds_bucket{le=~"10|10.0"}[5m]))'
                " / sum(rate(notify_created_to_sent_seconds_count[5m]))",
                "within 10 seconds",
            ),
        ),
    ),
    Chart(
        "provider-calls",
        "Provider calls",
        "Calls to SMS, email and letter providers each second, by provider and outcome.",
        "per_second",
        (
            Query(
                "sum by (provider, outcome) (rate(notify_provider_calls_total[1m]))", "{provider} {outcome}"
            ),
        ),
    ),
    Chart(
        "consumer-lag",
        "Consumer lag",
        "Records each consumer group has still to read, summed over its topics and partitions.",
        "records",
        (Query("sum by (group) (notify_consumer_lag)", "{group}"),),
    ),
    Chart(
        "server-errors",
        "Server errors",
        "The share of HTTP requests answered with a 5xx status, by service.",
        "ratio",
        (
            Query(
                'sum by (job) (rate(notify_http_requests_total{status=~"5.."}[5m]))'
                " / sum by (job) (rate(notify_http_requests_total[5m]))",
                "{job}",
            ),
        ),
    ),
    Chart(
        "callbacks",
        "Callbacks",
        "Callbacks to services each second, by outcome.",
        "per_second",
        (Query("sum by (outcome) (rate(notify_callbacks_total[1m]))", "{outcome}"),),
    ),
)
UP_QUERY = "up"


def legend(template: str, labels: dict[str, str]) -> str:
    """A series' name from its labels; a label the series lacks reads as ``other``."""
    out = template
    for name in [part.split("}")[0] for part in template.split("{")[1:]]:
        out = out.replace("{" + name + "}", labels.get(name) or "other")
    return out


def describe(value: float | None, unit: str) -> str:
    """A value as people read it in the page's text alternative."""
    if value is None:
        return "No data"
    if unit == "per_second":
        return f"{value:,.2f} per second"
    if unit == "seconds":
        return f"{value:,.2f} seconds"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    return f"{value:,.0f} records"


def _aligned(series: Series, start: float, count: int) -> list[float | None]:
    values: list[float | None] = [None] * count
    for at, value in series.points:
        index = round((at - start) / STEP_SECONDS)
        if 0 <= index < count:
            values[index] = value
    return values


def _latest(values: list[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


async def _chart(prometheus: PrometheusClient, chart: Chart, start: float, end: float) -> dict[str, Any]:
    count = int((end - start) // STEP_SECONDS) + 1
    answers = await asyncio.gather(
        *(prometheus.query_range(q.expr, start, end, STEP_SECONDS) for q in chart.queries)
    )
    series = []
    for query, found in zip(chart.queries, answers, strict=True):
        for one in found:
            values = _aligned(one, start, count)
            latest = _latest(values)
            series.append(
                {
                    "name": legend(query.legend, one.labels),
                    "values": values,
                    "latest": latest,
                    "latest_text": describe(latest, chart.unit),
                }
            )
    series.sort(key=lambda s: str(s["name"]))
    return {
        "id": chart.id,
        "title": chart.title,
        "description": chart.description,
        "unit": chart.unit,
        "times": [start + i * STEP_SECONDS for i in range(count)],
        "series": series,
    }


def _empty(chart: Chart) -> dict[str, Any]:
    return {
        "id": chart.id,
        "title": chart.title,
        "description": chart.description,
        "unit": chart.unit,
        "times": [],
        "series": [],
    }


def _targets(found: list[Series]) -> list[dict[str, Any]]:
    targets = [
        {
            "job": one.labels.get("job", "unknown"),
            "instance": one.labels.get("instance", ""),
            "up": bool(one.points and one.points[-1][1] == 1),
        }
        for one in found
    ]
    return sorted(targets, key=lambda t: (str(t["job"]), str(t["instance"])))


async def report(prometheus: PrometheusClient, now: float | None = None) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data; ``available`` is false, with a ``message``,
    when Prometheus cannot answer (the charts are then empty)."""
    end = float(int(now if now is not None else time.time()) // STEP_SECONDS * STEP_SECONDS)
    start = end - WINDOW_SECONDS
    base: dict[str, Any] = {
        "prometheus_url": prometheus.url,
        "refresh_seconds": REFRESH_SECONDS,
        "window_seconds": WINDOW_SECONDS,
    }
    try:
        charts = await asyncio.gather(*(_chart(prometheus, c, start, end) for c in CHARTS))
        targets = _targets(await prometheus.query(UP_QUERY))
    except PrometheusUnavailable as exc:
        return {
            **base,
            "available": False,
            "message": exc.message,
            "charts": [_empty(c) for c in CHARTS],
            "targets": [],
        }
    return {**base, "available": True, "message": None, "charts": list(charts), "targets": targets}
