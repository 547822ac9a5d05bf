"""The local Prometheus of ``make up`` (deploy/local/infra.sh), started in a private state folder on a
free port: it runs, scrapes the services it is given by job name, loads the platform's rule files,
and its alerts trip on live series shaped as the services export them (Python's prometheus-client,
as the platform uses). Stopping it ends the process; status says so.

The exporters here play the sms-sender and the api-gateway with the platform's own metric names;
a third job points at a port nobody listens on, as a stopped service would."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from tests.support.env import ROOT
from tests.support.local_prometheus import LocalPrometheus, local_prometheus, wait_until
from tests.support.platform import free_ports

RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
CREATED_TO_SENT_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)

pytestmark = pytest.mark.timeout(240)


class Exporter:
    """A /metrics endpoint whose series move on their own, as a busy service's do."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.port = free_ports(1)[0]
        self._stop = threading.Event()
        self._server: Any = None

    def start(self, tick: Any) -> None:
        self._server, _ = start_http_server(self.port, addr="127.0.0.1", registry=self.registry)

        def run() -> None:
            while not self._stop.wait(0.5):
                tick()

        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture(scope="module")
def exporters() -> Iterator[dict[str, int]]:
    # The sms-sender: nine texts in ten take 15 s to reach the provider (the promise broken).
    sms_sender = Exporter()
    created_to_sent = Histogram(
        "notify_created_to_sent_seconds",
        "Accepted to handed to the provider.",
        ["channel"],
        buckets=CREATED_TO_SENT_BUCKETS,
        registry=sms_sender.registry,
    )

    def send_texts() -> None:
        for _ in range(9):
            created_to_sent.labels("sms").observe(15)
        created_to_sent.labels("sms").observe(2)

    # The api-gateway accepts texts and emails; no email-sender sends any (it is stopped).
    api_gateway = Exporter()
    accepted = Counter(
        "notify_notifications_accepted",
        "Notifications accepted.",
        ["channel", "key_type", "lane"],
        registry=api_gateway.registry,
    )

    def accept() -> None:
        accepted.labels("sms", "normal", "normal").inc(10)
        accepted.labels("email", "normal", "normal").inc(10)

    sms_sender.start(send_texts)
    api_gateway.start(accept)
    (nobody,) = free_ports(1)
    try:
        yield {"sms-sender": sms_sender.port, "api-gateway": api_gateway.port, "email-sender": nobody}
    finally:
        sms_sender.stop()
        api_gateway.stop()


@pytest.fixture(scope="module")
def prometheus(
    exporters: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPrometheus]:
    with local_prometheus(tmp_path_factory.mktemp("state"), exporters, RULES) as running:
        yield running


def alert_states(prometheus: LocalPrometheus) -> dict[tuple[str, str], str]:
    return {
        (a["labels"]["alertname"], a["labels"].get("channel") or a["labels"].get("job", "")): a["state"]
        for a in prometheus.alerts()
    }


def test_it_runs_on_its_port_under_the_state_folder_and_status_says_so(prometheus: LocalPrometheus) -> None:
    assert wait_until("ready", lambda: prometheus.api("status/runtimeinfo")["status"] == "success")
    assert (prometheus.state / "prometheus" / "data").is_dir()
    assert (prometheus.state / "run" / "prometheus.pid").is_file()
    status = prometheus.infra("status")
    assert "prometheus running" in status.stdout
    assert prometheus.url in status.stdout


def test_it_scrapes_each_service_as_a_job_named_after_it(prometheus: LocalPrometheus) -> None:
    def up() -> dict[str, str]:
        return {r["metric"]["job"]: r["value"][1] for r in prometheus.query("up")}

    assert wait_until("every target scraped", lambda: len(up()) == 3 and up()) == {
        "sms-sender": "1",
        "api-gateway": "1",
        "email-sender": "0",
    }
    series = prometheus.query('notify_created_to_sent_seconds_bucket{job="sms-sender",channel="sms"}')
    assert {s["metric"]["le"] for s in series} >= {"10.0", "+Inf"}


def test_it_loads_every_rule_file_of_the_platform(prometheus: LocalPrometheus) -> None:
    loaded = {g["name"] for g in prometheus.api("rules")["data"]["groups"]}
    in_files = {g["name"] for path in RULES for g in yaml.safe_load(path.read_text())["groups"]}
    assert loaded == in_files


def test_the_ten_second_promise_alert_trips_on_the_sms_senders_series(prometheus: LocalPrometheus) -> None:
    ratio = wait_until(
        "the 5-minute ratio of slow texts",
        lambda: prometheus.query('notify:created_to_sent_over_10s:ratio_rate5m{channel="sms"}'),
    )
    assert float(ratio[0]["value"][1]) == pytest.approx(0.9)
    wait_until(
        "NotifyTenSecondPromiseFastBurn pending for sms",
        lambda: (
            alert_states(prometheus).get(("NotifyTenSecondPromiseFastBurn", "sms")) in ("pending", "firing")
        ),
    )


def test_sends_accepted_with_no_sender_sending_trip_the_stalled_alert(prometheus: LocalPrometheus) -> None:
    wait_until(
        "NotifySendingStalled pending for email",
        lambda: alert_states(prometheus).get(("NotifySendingStalled", "email")) in ("pending", "firing"),
    )
    wait_until(
        "NotifyServiceDown pending for the email-sender",
        lambda: alert_states(prometheus).get(("NotifyServiceDown", "email-sender")) in ("pending", "firing"),
    )
    # Texts are being sent (slowly): they are not stalled.
    assert ("NotifySendingStalled", "sms") not in alert_states(prometheus)


def test_without_targets_given_it_scrapes_every_platform_service_on_its_port(tmp_path: Path) -> None:
    listed = re.search(r"SERVICES=\(\s*(.*?)\)", (ROOT / "deploy/local/services.sh").read_text(), re.S)
    assert listed
    services = dict(entry.split(":") for entry in listed.group(1).split())
    with local_prometheus(tmp_path, {}, RULES) as running:
        running.infra("stop")
        config = yaml.safe_load((tmp_path / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    expected = {
        name: [f"127.0.0.1:{port}"] for name, port in services.items() if name != "provider-simulator"
    }
    assert jobs == expected
    assert config["rule_files"] == [str(path) for path in RULES]


def test_stop_ends_the_process_and_status_says_it_is_not_running(tmp_path: Path) -> None:
    with local_prometheus(tmp_path, {}, RULES) as running:
        pid = int((tmp_path / "run" / "prometheus.pid").read_text())
        stopped = running.infra("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert f"stopped prometheus (pid {pid})" in stopped.stdout
        assert not Path(f"/proc/{pid}").exists()
        assert "prometheus not running" in running.infra("status").stderr


# Grafana's own variables, replaced as Grafana would before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def dashboard_queries() -> list[tuple[str, str]]:
    board = json.loads((ROOT / "deploy" / "grafana" / "notify-platform.json").read_text())
    return [
        (panel["title"], target["expr"])
        for panel in board["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    ]


def test_every_dashboard_query_parses_and_runs(prometheus: LocalPrometheus) -> None:
    assert len(dashboard_queries()) >= 20
    for title, expr in dashboard_queries():
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, (title, expr)
        answer = prometheus.api("query", query=expr)
        assert answer["status"] == "success", (title, expr, answer.get("error"))


def test_a_malformed_query_is_refused_so_the_check_above_can_fail(prometheus: LocalPrometheus) -> None:
    answer = prometheus.api("query", query="sum by (channel (rate(notify_callbacks_total[1m]))")
    assert answer["status"] == "error"
    assert answer["errorType"] == "bad_data"
