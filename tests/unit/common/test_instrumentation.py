"""``NOTIFY_INSTRUMENTATION``: one switch that turns the platform's metrics and tracing off for
measurement, while ``/metrics`` still answers with the process's own series."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY

from notify_common import metrics, tracing
from notify_common.consumer_metrics import ConsumerMetrics
from notify_common.events import SmsRequested
from notify_common.instrumentation import instrumentation_on, setup_instrumentation
from notify_common.kafka import TopicNames
from notify_common.metrics_http import HttpMetrics
from notify_common.tracing import TracingMiddleware

OFF = {"NOTIFY_INSTRUMENTATION": "off"}


@pytest.fixture
def instrumentation_off() -> Iterator[None]:
    setup_instrumentation("sms-sender", environ=OFF)
    yield
    metrics.count(True)
    tracing.use(None)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def sms_requested() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type="normal",
        phone_number="07700900457",
        international=False,
        sender="GOVUK",
        body="Hello",
        fragment_count=1,
        created_at=datetime.now(UTC),
    )


def app() -> FastAPI:
    inner = FastAPI()

    @inner.get("/v2/notifications/{notification_id}")
    async def one(notification_id: str) -> JSONResponse:
        return JSONResponse({"id": notification_id})

    return inner


async def call(asgi: object, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, headers=headers)


@pytest.mark.parametrize(
    ("value", "on"),
    [(None, True), ("on", True), ("ON", True), ("off", False), (" Off ", False), ("false", False)],
)
def test_instrumentation_is_on_unless_notify_instrumentation_says_off(value: str | None, on: bool) -> None:
    assert instrumentation_on({} if value is None else {"NOTIFY_INSTRUMENTATION": value}) is on


def test_an_unknown_instrumentation_value_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="NOTIFY_INSTRUMENTATION 'sometimes': use on or off"):
        instrumentation_on({"NOTIFY_INSTRUMENTATION": "sometimes"})


@pytest.mark.usefixtures("instrumentation_off")
def test_with_instrumentation_off_no_application_series_counts() -> None:
    accepted = sample(
        "notify_notifications_accepted_total", channel="sms", key_type="normal", lane="priority"
    )
    calls = sample("notify_provider_calls_total", provider="mmg", channel="sms", outcome="accepted")
    sent = sample("notify_created_to_sent_seconds_count", channel="sms")
    batches = sample("notify_projector_batch_size_count")
    rows = sample("notify_job_rows_split_total")
    metrics.accepted(["sms"], "normal", bulk=False)
    with metrics.provider_call("mmg", "sms"):
        pass
    created = datetime.now(UTC)
    metrics.sent("sms", created, created + timedelta(seconds=1))
    metrics.projected(["SmsRequested"])
    metrics.job_rows_split(3)
    assert (
        sample("notify_notifications_accepted_total", channel="sms", key_type="normal", lane="priority")
        == accepted
    )
    assert sample("notify_provider_calls_total", provider="mmg", channel="sms", outcome="accepted") == calls
    assert sample("notify_created_to_sent_seconds_count", channel="sms") == sent
    assert sample("notify_projector_batch_size_count") == batches
    assert sample("notify_job_rows_split_total") == rows


@pytest.mark.usefixtures("instrumentation_off")
def test_with_instrumentation_off_a_consumer_counts_no_records() -> None:
    group = f"group-{uuid.uuid4().hex[:8]}"
    consumer = ConsumerMetrics(group, TopicNames(""))
    consumer.handled(["sms-requested", "sms-requested"])
    assert sample("notify_consumer_records_total", group=group, topic="sms-requested", outcome="ok") == 0
    assert REGISTRY.get_sample_value("notify_consumer_paused", {"group": group}) is None


@pytest.mark.usefixtures("instrumentation_off")
async def test_with_instrumentation_off_requests_are_not_counted_but_metrics_still_answers() -> None:
    route = "/v2/notifications/{notification_id}"
    before = sample("notify_http_requests_total", route=route, method="GET", status="200")
    asgi = HttpMetrics(TracingMiddleware(app()))
    assert (await call(asgi, "GET", f"/v2/notifications/{uuid.uuid4()}")).status_code == 200
    assert sample("notify_http_requests_total", route=route, method="GET", status="200") == before
    answer = await call(asgi, "GET", "/metrics")
    assert answer.status_code == 200
    assert "process_cpu_seconds_total" in answer.text


@pytest.mark.usefixtures("instrumentation_off")
def test_with_instrumentation_off_records_carry_no_trace_context_and_start_no_span() -> None:
    event = sms_requested()
    assert tracing.record_headers("sms-requested", event) == []
    traceparent = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    assert tracing.consumed("sms-requested", 0, 0, "g", [("traceparent", traceparent)], event) is None
    assert tracing.log_fields(event.notification_id) == {"notification_id": event.notification_id}


def test_with_instrumentation_on_requests_are_counted() -> None:
    """The switch's default: the same calls as above do count."""
    setup_instrumentation("sms-sender", environ={})
    try:
        rows = sample("notify_job_rows_split_total")
        metrics.job_rows_split(3)
        assert sample("notify_job_rows_split_total") == rows + 3
    finally:
        tracing.use(None)
