"""Metrics end to end: a text message and an email sent through the whole platform move the series
of every service on the way (accepted, provider call, created-to-sent, receipt, consumer records,
projected events, sent-to-delivered), scraped from each process's own ``/metrics``; and no label
value anywhere holds the recipient, the personalisation or the notification id of those sends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Platform
from tests.support.statuses import wait_for_status

Scrape = dict[str, list[tuple[str, dict[str, str], float]]]  # service -> (name, labels, value)


def scrape(platform: Platform) -> tuple[Scrape, dict[str, str]]:
    """Every service's samples, and every service's raw exposition text."""
    samples: Scrape = {}
    texts: dict[str, str] = {}
    for name, service in platform.services.items():
        response = httpx.get(f"{service.url}/metrics", timeout=10)
        assert response.status_code == 200, f"{name} does not serve /metrics"
        texts[name] = response.text
        samples[name] = [
            (s.name, dict(s.labels), s.value)
            for family in text_string_to_metric_families(response.text)
            for s in family.samples
        ]
    return samples, texts


def total(samples: Scrape, service: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples in ``service`` whose labels include ``labels``."""
    return sum(
        value
        for sample, got, value in samples[service]
        if sample == name and all(got.get(k) == v for k, v in labels.items())
    )


@dataclass(frozen=True)
class Check:
    service: str
    name: str
    labels: dict[str, str]

    def moved(self, before: Scrape, after: Scrape) -> bool:
        return total(after, self.service, self.name, **self.labels) > total(
            before, self.service, self.name, **self.labels
        )


def check(service: str, name: str, **labels: str) -> Check:
    return Check(service, name, labels)


CHECKS = [
    check(
        "api-gateway",
        "notify_notifications_accepted_total",
        channel="sms",
        key_type="normal",
        lane="priority",
    ),
    check(
        "api-gateway",
        "notify_notifications_accepted_total",
        channel="email",
        key_type="normal",
        lane="priority",
    ),
    check(
        "api-gateway",
        "notify_http_requests_total",
        route="/v2/notifications/sms",
        method="POST",
        status="201",
    ),
    check(
        "api-gateway",
        "notify_http_requests_total",
        route="/v2/notifications/email",
        method="POST",
        status="201",
    ),
    check(
        "api-gateway",
        "notify_http_request_duration_seconds_count",
        route="/v2/notifications/{notification_id}",
        method="GET",
    ),
    check("sms-sender", "notify_provider_calls_total", channel="sms", outcome="accepted"),
    check("sms-sender", "notify_provider_call_duration_seconds_count", channel="sms"),
    check("sms-sender", "notify_created_to_sent_seconds_count", channel="sms"),
    check("sms-sender", "notify_consumer_records_total", group="sms-sender", outcome="ok"),
    check("email-sender", "notify_provider_calls_total", channel="email", outcome="accepted"),
    check("email-sender", "notify_created_to_sent_seconds_count", channel="email"),
    check("email-sender", "notify_consumer_records_total", group="email-sender", outcome="ok"),
    check("receipts", "notify_receipts_total", status="delivered"),
    check("receipts", "notify_http_requests_total", method="POST", status="200"),
    check("projector", "notify_projector_events_total", event="SmsRequested"),
    check("projector", "notify_projector_events_total", event="EmailRequested"),
    check("projector", "notify_projector_events_total", event="NotificationSentToProvider"),
    check("projector", "notify_projector_events_total", event="NotificationDelivered"),
    check("projector", "notify_projector_batch_size_count"),
    check("projector", "notify_sent_to_delivered_seconds_count", channel="sms"),
    check("projector", "notify_consumer_records_total", group="projector", outcome="ok"),
]


@dataclass(frozen=True)
class Sent:
    ids: list[str]
    secrets: list[str]  # what must never be a label value: recipients, personalisation, ids


@pytest.fixture(scope="module")
def before_and_after(platform: Platform) -> tuple[Scrape, Scrape, dict[str, str], Sent]:
    client = NotificationsAPIClient(platform.credentials["NOTIFY_API_KEY_LIVE"], base_url=platform.api_url)
    before, _ = scrape(platform)
    name = f"Metric{uuid.uuid4().hex[:8]}"
    sms = client.send_sms_notification(
        phone_number="07700 900765",
        template_id=platform.credentials["NOTIFY_SMS_TEMPLATE_ID"],
        personalisation={"name": name},
    )
    email_address = f"metrics.{uuid.uuid4().hex[:8]}@example.com"
    email = client.send_email_notification(
        email_address=email_address,
        template_id=platform.credentials["NOTIFY_EMAIL_TEMPLATE_ID"],
        personalisation={"name": name},
    )
    wait_for_status(client, sms["id"], "delivered")
    wait_for_status(client, email["id"], "delivered", timeout=60.0)
    after, texts = scrape_until(platform, lambda s: all(c.moved(before, s) for c in CHECKS))
    secrets = [sms["id"], email["id"], name, email_address, "07700900765", "447700900765", "7700900765"]
    return before, after, texts, Sent([sms["id"], email["id"]], secrets)


def scrape_until(platform: Platform, done: Callable[[Scrape], bool]) -> tuple[Scrape, dict[str, str]]:
    """A scrape once ``done`` holds (a service counts just after it commits, so the read-back of a
    status can come a moment before its count), or the last one after a few seconds."""
    deadline = time.monotonic() + 10
    samples, texts = scrape(platform)
    while not done(samples) and time.monotonic() < deadline:
        time.sleep(0.2)
        samples, texts = scrape(platform)
    return samples, texts


@pytest.mark.parametrize(
    "expected", CHECKS, ids=lambda c: f"{c.service}:{c.name}:{','.join(c.labels.values())}"
)
def test_a_send_moves_the_series_of_every_service_on_its_way(
    before_and_after: tuple[Scrape, Scrape, dict[str, str], Sent], expected: Check
) -> None:
    before, after, _, _ = before_and_after
    assert expected.moved(before, after), (
        f"{expected.name}{expected.labels} in {expected.service} did not move: "
        f"{total(before, expected.service, expected.name, **expected.labels)} -> "
        f"{total(after, expected.service, expected.name, **expected.labels)}"
    )


def test_every_consumer_reports_its_lag_per_partition(
    before_and_after: tuple[Scrape, Scrape, dict[str, str], Sent],
) -> None:
    _, after, _, _ = before_and_after
    for service in ("sms-sender", "email-sender", "letter-sender", "projector", "callbacks", "job-splitter"):
        lags = [labels for name, labels, _ in after[service] if name == "notify_consumer_lag"]
        assert lags, f"{service} reports no consumer lag"
        assert all(labels["partition"].isdigit() for labels in lags)


def test_no_label_value_holds_a_recipient_personalisation_or_notification_id(
    before_and_after: tuple[Scrape, Scrape, dict[str, str], Sent],
) -> None:
    _, after, texts, sent = before_and_after
    values = {value for samples in after.values() for _, labels, _ in samples for value in labels.values()}
    assert len(values) > 20  # there is something to look through
    assert [v for v in values if any(secret in v for secret in sent.secrets)] == []
    for service, text in texts.items():
        assert [s for s in sent.secrets if s in text] == [], (
            f"{service}'s /metrics holds personal data or ids"
        )
