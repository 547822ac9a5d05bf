"""The Grafana dashboard, deploy/grafana/notify-platform.json: valid JSON Grafana can import (a
Prometheus data source chosen as a variable, panels laid out on the 24-column grid without
overlapping), reading only the platform's metrics and labels (tests/support/metric_names.py) and
the recording rules of deploy/prometheus/rules, and covering what an operator looks at first.
That every query parses is checked against a real Prometheus in
tests/integration/test_prometheus_local.py."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.support.env import ROOT
from tests.support.metric_names import grouping_labels, labels_of, labels_used, metrics_used, unknown_metrics

DASHBOARD = ROOT / "deploy" / "grafana" / "notify-platform.json"
RULES = ROOT / "deploy" / "prometheus" / "rules"
GRID_COLUMNS = 24


def dashboard() -> dict[str, Any]:
    loaded = json.loads(DASHBOARD.read_text())
    assert isinstance(loaded, dict)
    return loaded


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def expressions() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def recorded() -> set[str]:
    names: set[str] = set()
    for path in RULES.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return names


def test_the_dashboard_is_json_with_a_title_a_uid_and_a_prometheus_data_source_variable() -> None:
    board = dashboard()
    assert board["title"] == "Notify platform"
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    (variable,) = board["templating"]["list"]
    assert variable["type"] == "datasource"
    assert variable["query"] == "prometheus"
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]


def test_panels_have_unique_ids_and_tile_the_grid_without_overlapping() -> None:
    every = dashboard()["panels"]
    assert len({p["id"] for p in every}) == len(every)
    taken: set[tuple[int, int]] = set()
    for panel in every:
        pos = panel["gridPos"]
        assert pos["x"] >= 0, panel["title"]
        assert pos["x"] + pos["w"] <= GRID_COLUMNS, panel["title"]
        cells = {
            (x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_every_query_reads_only_the_platforms_metrics_labels_and_recording_rules() -> None:
    for expr in expressions():
        assert not unknown_metrics(expr), (expr, unknown_metrics(expr))
        for name, labels in labels_used(expr).items():
            assert labels <= labels_of(name), (expr, labels - labels_of(name))
        everything = set().union(*(labels_of(name) for name in metrics_used(expr)))
        rule_labels = {"channel"} if "notify:" in expr else set()
        assert grouping_labels(expr) <= everything | rule_labels | {"le"}, expr
        for rule in re.findall(r"\bnotify:[a-z0-9_:]+", expr):
            assert rule in recorded(), rule
        other = set(re.findall(r"\b([a-z_]+)\s*[{(\[]", expr)) - {"by", "without", "on", "ignoring"}
        functions = {"sum", "max", "count", "rate", "increase", "histogram_quantile"}
        assert other <= functions | {"up"} | metrics_used(expr), (expr, other)


def test_it_shows_what_an_operator_looks_at_first() -> None:
    used = set().union(*(metrics_used(expr) for expr in expressions()))
    assert {
        "notify_notifications_accepted_total",  # volumes by channel
        "notify_http_request_duration_seconds_bucket",  # API latency percentiles
        "notify_consumer_lag",
        "notify_provider_calls_total",  # provider split and error rate
        "notify_callbacks_total",
        "notify_dead_letters_total",
        "notify_http_requests_total",  # errors
    } <= used
    joined = "\n".join(expressions())
    assert "notify:created_to_sent_over_10s:ratio_rate" in joined  # the 10-second ratio
    for quantile in ("0.5", "0.95", "0.99"):
        assert (
            f"histogram_quantile({quantile}, sum by (le) (rate(notify_http_request_duration_seconds_bucket"
            in joined
        )
    assert 'outcome=~"error|timeout"' in joined
