"""The alert and recording rules of deploy/prometheus/rules: promtool checks them and runs their unit
tests (deploy/prometheus/tests), every alert has a case where it fires and one where it does not,
each carries a severity, a summary and a runbook that exists in docs/observability.md, and they read
only the platform's metrics (tests/support/metric_names.py).

promtool comes from Debian's prometheus package, installed by deploy/local/install.sh; a machine
without it fails these tests rather than skipping them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.env import ROOT
from tests.support.metric_names import (
    grouping_labels,
    labels_of,
    labels_used,
    metrics_used,
    unknown_metrics,
)

RULES = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
DOCS = ROOT / "docs" / "observability.md"
SEVERITIES = {"critical", "warning"}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: deploy/local/install.sh installs Debian's prometheus package"
    return found


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.yml"))


def rule_test_files() -> list[Path]:
    return sorted(RULE_TESTS.glob("*.test.yml"))


def rules() -> list[dict[str, Any]]:
    found = []
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.extend(group["rules"])
    return found


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


def runbook_anchors() -> set[str]:
    """GitHub's anchors of the headings of docs/observability.md."""
    anchors = set()
    for line in DOCS.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return anchors


def test_promtool_checks_every_rule_file() -> None:
    assert len(rule_files()) >= 2
    result = run_promtool("check", "rules", *map(str, rule_files()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_promtool_unit_tests() -> None:
    assert rule_test_files()
    result = run_promtool("test", "rules", *map(str, rule_test_files()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_file_has_unit_tests() -> None:
    tested: set[str] = set()
    for path in rule_test_files():
        tested.update(Path(f).name for f in yaml.safe_load(path.read_text())["rule_files"])
    assert tested == {path.name for path in rule_files()}


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in rule_test_files():
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert set(alerts()) == firing
    assert set(alerts()) == quiet


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_the_unit_tests_fail_when_the_alert_never_fires(alert: str, tmp_path: Path) -> None:
    """Each alert's 'fires' case really depends on the rule: with its expression replaced by one
    that is never true, promtool's tests fail."""
    copy = tmp_path / "prometheus"
    shutil.copytree(RULES, copy / "rules")
    shutil.copytree(RULE_TESTS, copy / "tests")
    for path in (copy / "rules").glob("*.yml"):
        document = yaml.safe_load(path.read_text())
        for group in document["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alert:
                    rule["expr"] = "vector(1) == 0"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    tests = sorted(str(p) for p in (copy / "tests").glob("*.test.yml"))
    result = run_promtool("test", "rules", *tests)
    assert result.returncode != 0
    assert f"alertname: {alert}," in result.stdout + result.stderr


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_every_alert_has_a_severity_a_summary_and_a_runbook_in_the_docs(alert: str) -> None:
    rule = alerts()[alert]
    assert rule["labels"]["severity"] in SEVERITIES
    assert rule["annotations"]["summary"].strip()
    assert rule["annotations"]["description"].strip()
    runbook = rule["annotations"]["runbook_url"]
    page, _, anchor = runbook.partition("#")
    assert page == "docs/observability.md"
    assert anchor == alert.lower()
    assert anchor in runbook_anchors(), f"docs/observability.md has no heading for #{anchor}"


def test_the_rules_read_only_the_platforms_metrics_and_their_labels() -> None:
    assert rules()
    for rule in rules():
        expr = rule["expr"]
        assert not unknown_metrics(expr), (rule.get("alert") or rule.get("record"), unknown_metrics(expr))
        for name, labels in labels_used(expr).items():
            assert labels <= labels_of(name), (name, labels - labels_of(name))
        everything = set().union(*(labels_of(name) for name in metrics_used(expr)))
        assert grouping_labels(expr) <= everything, expr


def test_the_ten_second_promise_is_alerted_on_with_multiple_windows_and_burn_rates() -> None:
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    windows = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    assert recorded >= {f"notify:created_to_sent_over_10s:ratio_rate{w}" for w in windows}
    fast = alerts()["NotifyTenSecondPromiseFastBurn"]["expr"]
    slow = alerts()["NotifyTenSecondPromiseSlowBurn"]["expr"]
    for expr, pairs in ((fast, [("1h", "5m"), ("6h", "30m")]), (slow, [("1d", "2h"), ("3d", "6h")])):
        for long, short in pairs:
            assert f"ratio_rate{long}" in expr
            assert f"ratio_rate{short}" in expr


def test_the_service_down_alert_covers_every_platform_service_but_the_simulator() -> None:
    services = re.search(r"SERVICES=\(\s*(.*?)\)", (ROOT / "deploy/local/services.sh").read_text(), re.S)
    assert services
    names = {entry.split(":")[0] for entry in services.group(1).split()}
    selector = re.search(r'up\{job=~"([^"]+)"\}', alerts()["NotifyServiceDown"]["expr"])
    assert selector
    assert set(selector.group(1).split("|")) == names - {"provider-simulator"}
