"""The local Prometheus (deploy/local/infra.sh, as ``make up`` starts it) scraping the whole platform
run as real processes: every service is scraped as a job named after it, and when the sms-sender
stops while texts keep being sent, NotifyServiceDown fires for it (and for no other service), and
so does the 10-second promise's NotifySendingStalled for text messages (accepted, none handed to a
provider), seen through Prometheus' HTTP API. The rules are the platform's own with every ``for:``
shortened to 10 s, so that an alert fires within the test rather than minutes later. The platform is
the package's (``platform`` of tests/e2e/conftest.py): the test starts the sms-sender again, and
waits until it is ready, before it ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from tests.support.env import ROOT
from tests.support.local_prometheus import LocalPrometheus, local_prometheus, wait_until
from tests.support.platform import SERVICES, Platform

RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    targets = {name: s.port for name, s in platform.services.items() if name != "provider-simulator"}
    rules = quick_rules(tmp_path_factory.mktemp("rules"))
    with local_prometheus(tmp_path_factory.mktemp("prometheus-state"), targets, rules) as running:
        yield running


def quick_rules(folder: Path) -> list[Path]:
    copies = []
    for rule in RULES:
        copy = folder / rule.name
        copy.write_text(re.sub(r"(?m)^(\s*for:) .*$", r"\1 10s", rule.read_text()))
        copies.append(copy)
    return copies


def up(prometheus: LocalPrometheus) -> dict[str, str]:
    return {r["metric"]["job"]: r["value"][1] for r in prometheus.query("up")}


def alerting(
    prometheus: LocalPrometheus,
    alertname: str,
    label: str = "job",
    states: tuple[str, ...] = ("pending", "firing"),
) -> set[str]:
    return {
        a["labels"].get(label, "")
        for a in prometheus.alerts()
        if a["labels"]["alertname"] == alertname and a["state"] in states
    }


def test_stopping_the_sms_sender_under_sends_raises_service_down_for_it(
    platform: Platform, prometheus: LocalPrometheus
) -> None:
    scraped = set(SERVICES) - {"provider-simulator"}
    wait_until("every service scraped", lambda: all(up(prometheus).get(c) == "1" for c in scraped))
    assert set(up(prometheus)) == scraped
    assert alerting(prometheus, "NotifyServiceDown") == set()
    assert alerting(prometheus, "NotifySendingStalled", "channel") == set()

    client = NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)
    template = platform.credentials["NOTIFY_SMS_TEMPLATE_ID"]
    sms_sender = platform.services["sms-sender"]
    assert sms_sender.stop() == 0
    try:
        texts_sent_while_it_is_down_raise_both_alerts(prometheus, client, template)
    finally:
        # The platform is shared by every end-to-end test: leave it running as found.
        sms_sender.start()
        sms_sender.wait_ready()


def texts_sent_while_it_is_down_raise_both_alerts(
    prometheus: LocalPrometheus, client: NotificationsAPIClient, template: str
) -> None:
    for _ in range(20):
        client.send_sms_notification(
            phone_number="07700900123", template_id=template, personalisation={"name": "Ada"}
        )

    wait_until("the sms-sender seen down", lambda: up(prometheus).get("sms-sender") == "0")
    down = wait_until(
        "NotifyServiceDown firing for the sms-sender",
        lambda: alerting(prometheus, "NotifyServiceDown", states=("firing",)),
    )
    assert down == {"sms-sender"}
    stalled = wait_until(
        "NotifySendingStalled firing for text messages",
        lambda: alerting(prometheus, "NotifySendingStalled", "channel", states=("firing",)),
    )
    assert stalled == {"sms"}
    # Texts keep being accepted while it is down: they wait in Kafka for it.
    sent = client.send_sms_notification(
        phone_number="07700900123", template_id=template, personalisation={"name": "Ada"}
    )
    assert sent["id"]
