"""Tracing: trace context carried in Kafka record headers and HTTP headers, consumer spans children
of the producer's, log lines tied to the trace, and no personal data in any span."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind

from notify_common import tracing
from notify_common.events import SmsRequested
from notify_common.kafka import Received, RetryPolicy
from notify_common.logs import JsonFormatter
from notify_common.send_retries import Rescheduler

PHONE = "07700900457"
BODY = "Your secret code is 918273"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield exporter
    tracing.use(None)


def sms_requested() -> SmsRequested:
    return SmsRequested(
        notification_id=str(uuid.uuid4()),
        service_id=str(uuid.uuid4()),
        template_id=str(uuid.uuid4()),
        template_version=1,
        key_type="normal",
        phone_number=PHONE,
        international=False,
        sender="GOVUK",
        body=BODY,
        fragment_count=1,
        created_at=datetime.now(UTC),
    )


def traceparent(headers: list[tuple[str, bytes]]) -> tuple[int, int]:
    """The trace id and parent span id a ``traceparent`` header names."""
    values = [v.decode() for k, v in headers if k == "traceparent"]
    assert len(values) == 1, headers
    _, trace_id, span_id, _ = values[0].split("-")
    return int(trace_id, 16), int(span_id, 16)


def by_name(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]


def test_a_produced_record_carries_a_traceparent_of_a_producer_span_child_of_the_current_span(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.tracer().start_as_current_span("request") as request:
        headers = tracing.record_headers("sms-requested", sms_requested())
    trace_id, span_id = traceparent(headers)
    publish = by_name(spans, "sms-requested publish")
    assert publish.kind is SpanKind.PRODUCER
    assert trace_id == request.get_span_context().trace_id == publish.context.trace_id
    assert span_id == publish.context.span_id
    assert publish.parent is not None
    assert publish.parent.span_id == request.get_span_context().span_id


def test_a_consumed_records_span_is_a_child_of_the_span_that_produced_it(
    spans: InMemorySpanExporter,
) -> None:
    event = sms_requested()
    headers = tracing.record_headers("sms-requested", event)
    trace_id, producer_span_id = traceparent(headers)
    span = tracing.consumed("sms-requested", 3, 42, "sms-sender", headers, event)
    tracing.finish(span, event.notification_id)
    process = by_name(spans, "sms-requested process")
    assert process.kind is SpanKind.CONSUMER
    assert process.context.trace_id == trace_id
    assert process.parent is not None
    assert process.parent.span_id == producer_span_id
    assert process.attributes is not None
    assert process.attributes["notify.notification_id"] == event.notification_id
    assert process.attributes["messaging.consumer.group.name"] == "sms-sender"


def test_work_and_events_about_a_notification_join_the_span_that_is_handling_it(
    spans: InMemorySpanExporter,
) -> None:
    event = sms_requested()
    incoming = tracing.record_headers("sms-requested", event)
    span = tracing.consumed("sms-requested", 0, 0, "sms-sender", incoming, event)
    assert span is not None
    # Published from outside any scope (a batch handler's publish_many): still the notification's.
    outgoing = tracing.record_headers("notification-status", event)
    with (
        tracing.handling(event.notification_id),
        tracing.http_client_span("POST", "provider.example", 443, "/send?key=x") as call,
    ):
        call.answered(200)
    tracing.finish(span, event.notification_id)
    trace_id, _parent_id = traceparent(outgoing)
    assert trace_id == span.get_span_context().trace_id
    publish = by_name(spans, "notification-status publish")
    assert publish.parent is not None
    assert publish.parent.span_id == span.get_span_context().span_id
    post = by_name(spans, "POST")
    assert post.kind is SpanKind.CLIENT
    assert post.parent is not None
    assert post.parent.span_id == span.get_span_context().span_id
    assert post.attributes is not None
    assert post.attributes["url.path"] == "/send"
    assert call.header.startswith(b"traceparent: 00-%032x-" % trace_id)
    assert call.header.endswith(b"\r\n")


def test_finished_notifications_are_forgotten_so_later_events_start_from_the_current_span(
    spans: InMemorySpanExporter,
) -> None:
    event = sms_requested()
    span = tracing.consumed("sms-requested", 0, 0, "sms-sender", [], event)
    tracing.finish(span, event.notification_id)
    assert tracing.context_of(event.notification_id) is None
    tracing.finish(span, event.notification_id)  # a second finish is harmless
    assert len([s for s in spans.get_finished_spans() if s.name == "sms-requested process"]) == 1


def test_spans_never_carry_a_recipient_or_content(spans: InMemorySpanExporter) -> None:
    event = sms_requested()
    headers = tracing.record_headers("sms-requested", event)
    tracing.finish(tracing.consumed("sms-requested", 0, 0, "g", headers, event), event.notification_id)
    values = [str(v) for s in spans.get_finished_spans() for v in (s.attributes or {}).values()]
    assert values
    assert not [v for v in values if PHONE in v or "918273" in v or "GOVUK" in v]


def test_without_a_tracer_nothing_is_added_to_records_or_started() -> None:
    tracing.use(None)
    event = sms_requested()
    assert tracing.record_headers("sms-requested", event) == []
    assert tracing.consumed("sms-requested", 0, 0, "g", [], event) is None


def test_with_export_off_ids_are_still_made_and_carried_but_nothing_is_recorded() -> None:
    provider = tracing.setup_tracing("sms-sender", environ={})
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        event = sms_requested()
        assert tracing.record_headers("sms-requested", event) == []  # no trace to carry
        with tracing.tracer().start_as_current_span("request") as request:
            assert not request.is_recording()
            headers = tracing.record_headers("sms-requested", event)
        trace_id, parent_id = traceparent(headers)
        assert trace_id == request.get_span_context().trace_id
        assert parent_id == request.get_span_context().span_id
        span = tracing.consumed("sms-requested", 0, 0, "g", headers, event)
        assert span is not None
        assert span.get_span_context().trace_id == trace_id
        assert not span.is_recording()
        assert span.get_span_context().span_id != parent_id
        with tracing.handling(event.notification_id):
            line = log_line("sent")
        assert line["trace_id"] == f"{trace_id:032x}"
        tracing.finish(span, event.notification_id)
        assert exporter.get_finished_spans() == ()
    finally:
        tracing.use(None)


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        ({}, None),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, OTLPSpanExporter),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, OTLPSpanExporter),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, OTLPSpanExporter),
        ({"OTEL_TRACES_EXPORTER": "console"}, ConsoleSpanExporter),
    ],
)
def test_export_is_off_unless_the_standard_variables_ask_for_it(
    environ: dict[str, str], kind: type | None
) -> None:
    exporter = tracing.exporter_from_env(environ)
    if kind is None:
        assert exporter is None
    else:
        assert isinstance(exporter, kind)


def test_an_unknown_exporter_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported OTEL_TRACES_EXPORTER 'jaeger'"):
        tracing.exporter_from_env({"OTEL_TRACES_EXPORTER": "jaeger"})


def test_an_http_request_is_a_server_span_named_by_its_route_child_of_the_callers_traceparent(
    spans: InMemorySpanExporter,
) -> None:
    app = FastAPI()

    @app.get("/v2/notifications/{notification_id}")
    async def read(notification_id: str) -> dict[str, str]:
        return {"id": notification_id}

    caller_trace, caller_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    with TestClient(tracing.TracingMiddleware(app)) as client:
        answer = client.get(
            f"/v2/notifications/{uuid.uuid4()}",
            headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"},
        )
        assert answer.status_code == 200
        assert client.get("/no/such/path").status_code == 404
    served = by_name(spans, "GET /v2/notifications/{notification_id}")
    assert served.kind is SpanKind.SERVER
    assert served.context.trace_id == int(caller_trace, 16)
    assert served.parent is not None
    assert served.parent.span_id == int(caller_span, 16)
    assert served.attributes is not None
    assert served.attributes["http.response.status_code"] == 200
    assert by_name(spans, "GET other").attributes == {
        "http.request.method": "GET",
        "http.response.status_code": 404,
        "http.route": "other",
    }


def test_with_export_off_a_requests_records_and_log_lines_carry_the_callers_trace_or_a_new_one() -> None:
    provider = tracing.setup_tracing("api-gateway", environ={})
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()
    published: list[list[tuple[str, bytes]]] = []
    logged: list[dict[str, object]] = []

    @app.post("/v2/notifications/sms")
    async def send() -> dict[str, str | None]:
        event = sms_requested()
        published.append(tracing.record_headers("sms-requested", event))
        logged.append(log_line("accepted"))
        return {"id": event.notification_id}

    caller_trace, caller_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    try:
        with TestClient(tracing.TracingMiddleware(app)) as client:
            headers = {"traceparent": f"00-{caller_trace}-{caller_span}-00"}
            assert client.post("/v2/notifications/sms", headers=headers).status_code == 200
            assert client.post("/v2/notifications/sms").status_code == 200
            malformed = {"traceparent": f"00-{caller_trace}-b7ad6b71-00"}
            assert client.post("/v2/notifications/sms", headers=malformed).status_code == 200
    finally:
        tracing.use(None)
    first_trace, first_parent = traceparent(published[0])
    assert first_trace == int(caller_trace, 16)
    assert first_parent != int(caller_span, 16)  # the request's own span, child of the caller's
    assert logged[0]["trace_id"] == caller_trace
    # No header, or a bad one: a new trace, which a record about a notification does not carry
    # (its trace is named by its id, see the next test).
    assert published[1:] == [[], []]
    assert len({caller_trace, logged[1]["trace_id"], logged[2]["trace_id"]}) == 3
    assert exporter.get_finished_spans() == ()


def test_with_export_off_a_notification_without_a_callers_trace_is_traced_by_its_id_carrying_nothing() -> (
    None
):
    """A notification whose API request named no trace is in the trace its id's 128 bits name, so
    every service's log lines about it share a trace id with no ``traceparent`` on its records or
    on the requests made about it."""
    tracing.setup_tracing("api-gateway", environ={})
    event = sms_requested()
    trace_id = uuid.UUID(event.notification_id).hex
    app = FastAPI()
    published: list[list[tuple[str, bytes]]] = []
    logged: list[dict[str, object]] = []

    @app.post("/v2/notifications/sms")
    async def send() -> dict[str, str | None]:
        published.append(tracing.record_headers("sms-requested", event))
        logged.append(log_line("accepted", notification_id=event.notification_id))
        return {"id": event.notification_id}

    try:
        with TestClient(tracing.TracingMiddleware(app)) as client:
            assert client.post("/v2/notifications/sms").status_code == 200
        # Another service consumes the record, calls the provider and publishes what happened.
        span = tracing.consumed("sms-requested", 0, 0, "sms-sender", published[0], event)
        with tracing.handling(event.notification_id):
            logged.append(log_line("sending"))
            with tracing.http_client_span("POST", "provider.example", 443, "/send") as call:
                call.answered(200)
        published.append(tracing.record_headers("notification-status", event))
        tracing.finish(span, event.notification_id)
    finally:
        tracing.use(None)
    assert published == [[], []]
    assert call.header == b""
    assert [line["trace_id"] for line in logged] == [trace_id, trace_id]
    assert all(len(str(line["span_id"])) == 16 for line in logged)


def test_with_export_off_an_outgoing_request_carries_the_trace_of_the_record_being_handled() -> None:
    provider = tracing.setup_tracing("sms-sender", environ={})
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        event = sms_requested()
        with tracing.http_client_span("POST", "provider.example", 443, "/send") as call:
            assert call.header == b""  # nothing being handled: no trace to carry
        header = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
        span = tracing.consumed("sms-requested", 0, 0, "g", [("traceparent", header)], event)
        with (
            tracing.handling(event.notification_id),
            tracing.http_client_span("POST", "provider.example", 443, "/send?key=x") as call,
        ):
            call.answered(503)
        name, value = call.header.decode().rstrip("\r\n").split(": ")
        assert name == "traceparent"
        assert value.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
        tracing.finish(span, event.notification_id)
        assert exporter.get_finished_spans() == ()
    finally:
        tracing.use(None)


@pytest.mark.parametrize(
    "value", [None, 42, "", "not-a-uuid", "0" * 36, "f" * 36, "00000000-0000-0000-0000-00000000000g"]
)
def test_only_a_uuid_names_a_notifications_trace(value: object) -> None:
    assert tracing.trace_id_of(value) is None
    notification_id = str(uuid.uuid4())
    assert tracing.trace_id_of(notification_id) == uuid.UUID(notification_id).int


def log_line(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    parsed: dict[str, object] = json.loads(JsonFormatter("sms-sender").format(record))
    return parsed


def test_a_log_line_written_while_handling_a_notification_carries_its_trace_and_its_id(
    spans: InMemorySpanExporter,
) -> None:
    event = sms_requested()
    assert event.notification_id is not None
    span = tracing.consumed("sms-requested", 0, 0, "g", [], event)
    assert span is not None
    expected_trace = format(span.get_span_context().trace_id, "032x")
    with tracing.handling(event.notification_id):
        inside = log_line("provider call failed")
    # A batch handler's line that names the notification is tied to its trace too.
    named = log_line("sent", notification_id=event.notification_id)
    tracing.finish(span, event.notification_id)
    for line in (inside, named):
        assert line["notification_id"] == event.notification_id
        assert line["trace_id"] == expected_trace
        assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    outside = log_line("consuming")
    assert "trace_id" not in outside
    assert "notification_id" not in outside


def test_a_log_line_in_a_span_carries_its_ids(spans: InMemorySpanExporter) -> None:
    with tracing.tracer().start_as_current_span("request") as span:
        line = log_line("hello")
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_the_trace_context_stored_with_a_claim_is_that_of_the_span_handling_the_notification(
    spans: InMemorySpanExporter,
) -> None:
    event = sms_requested()
    assert event.notification_id is not None
    assert tracing.traceparent_of(event.notification_id) is None
    span = tracing.consumed("sms-requested", 0, 0, "sms-sender", [], event)
    assert span is not None
    stored = tracing.traceparent_of(event.notification_id)
    tracing.finish(span, event.notification_id)
    context = span.get_span_context()
    assert stored is not None
    assert stored.startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")


def test_a_receipt_joins_the_stored_trace_and_links_the_request_that_brought_it(
    spans: InMemorySpanExporter,
) -> None:
    stored = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with tracing.tracer().start_as_current_span("POST /notifications/sms/mmg") as request:
        with tracing.linked_span("receipt", stored, {"notify.provider": "mmg"}):
            headers = tracing.record_headers("notification-status", sms_requested())
        with tracing.linked_span("receipt", None):
            pass
    receipt, unlinked = (s for s in spans.get_finished_spans() if s.name == "receipt")
    assert receipt.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert receipt.parent is not None
    assert receipt.parent.span_id == 0xB7AD6B7169203331
    assert [link.context.span_id for link in receipt.links] == [request.get_span_context().span_id]
    assert traceparent(headers)[0] == receipt.context.trace_id
    # Nothing stored: a child of the request.
    assert unlinked.context.trace_id == request.get_span_context().trace_id


def test_what_a_receipt_publishes_is_its_child_even_while_the_consumer_handles_that_notification(
    spans: InMemorySpanExporter,
) -> None:
    # A receipt that overtook its send event is woken while this process's consumer is handling
    # that event: the record it publishes still belongs to the receipt's span.
    event = sms_requested()
    consuming = tracing.consumed("notification-status", 0, 0, "receipts", [], event)
    stored = tracing.traceparent_of(str(event.notification_id))
    with tracing.linked_span("receipt", stored):
        tracing.record_headers("notification-status", event)
    tracing.finish(consuming, event.notification_id)
    receipt = by_name(spans, "receipt")
    publish = by_name(spans, "notification-status publish")
    assert publish.parent is not None
    assert publish.parent.span_id == receipt.context.span_id


def test_a_route_served_by_a_fast_path_before_the_framework_routes_is_named_by_its_path(
    spans: InMemorySpanExporter,
) -> None:
    app = FastAPI()

    @app.post("/mmg")
    async def mmg() -> dict[str, str]:
        return {}

    class FastPath:
        """Answers ``POST /mmg`` itself, as the simulator's and the gateway's hot paths do."""

        def __init__(self, app: FastAPI) -> None:
            self.app = app
            self.routes = {"/hot": None}  # a route only the fast path knows

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"] in ("/mmg", "/hot"):
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"{}"})
                return
            await self.app(scope, receive, send)

    with TestClient(tracing.TracingMiddleware(FastPath(app))) as client:
        assert client.post("/mmg").status_code == 200
        assert client.post("/hot").status_code == 200
        assert client.post(f"/{PHONE}").status_code == 404
    assert by_name(spans, "POST /mmg").attributes == {
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "http.route": "/mmg",
    }
    assert by_name(spans, "POST /hot").attributes is not None
    assert by_name(spans, "POST other").attributes is not None


@pytest.mark.parametrize(
    "value",
    [
        b"00-0af7651916cd43dd8448eb211c80319c",
        b"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        b"00-00000000000000000000000000000000-b7ad6b7169203331-01",
        b"00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01",
        b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01",
    ],
)
def test_with_export_off_a_malformed_traceparent_starts_a_new_trace(value: bytes) -> None:
    tracing.setup_tracing("sms-sender", environ={})
    try:
        span = tracing.consumed("sms-requested", 0, 0, "g", [("traceparent", value)], sms_requested())
        assert span is not None
        assert span.get_span_context().is_valid
        assert f"{span.get_span_context().trace_id:032x}" != "0af7651916cd43dd8448eb211c80319c"
    finally:
        tracing.use(None)


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[str, bytes]]]] = []

    async def send_raw(
        self, topic: str, value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append((topic, headers))


async def test_a_senders_retry_of_a_notification_stays_in_its_trace(spans: InMemorySpanExporter) -> None:
    event = sms_requested()
    span = tracing.consumed("sms-requested", 0, 0, "sms-sender", [], event)
    assert span is not None
    item = Received(topic="sms-requested", partition=0, offset=0, key=None, event=event, span=span)
    producer = RecordingProducer()
    rescheduler = Rescheduler(producer, "sms-sender", RetryPolicy())  # type: ignore[arg-type]
    await rescheduler.send([rescheduler.after_failure(item, "ProviderError")])
    tracing.finish(span, event.notification_id)
    [(_, headers)] = producer.sent
    trace_id, _ = traceparent(headers)
    assert trace_id == span.get_span_context().trace_id


class CountingIds(RandomIdGenerator):
    """The id generator, counting the ids it makes."""

    def __init__(self) -> None:
        self.made = 0

    def generate_span_id(self) -> int:
        self.made += 1
        return super().generate_span_id()

    def generate_trace_id(self) -> int:
        self.made += 1
        return super().generate_trace_id()


@pytest.fixture
def export_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CountingIds, list[object]]]:
    """Tracing with export off (the default), counting the ids made and the OpenTelemetry contexts
    attached."""
    tracing.setup_tracing("callbacks", environ={})
    ids = CountingIds()
    monkeypatch.setattr(tracing, "_ids", ids)
    attached: list[object] = []
    attach = otel_context.attach

    def counting_attach(ctx: Context) -> object:
        attached.append(ctx)
        return attach(ctx)

    monkeypatch.setattr(otel_context, "attach", counting_attach)
    yield ids, attached
    tracing.use(None)


def test_with_export_off_a_record_nobody_asks_the_trace_of_costs_no_ids_and_attaches_no_context(
    export_off: tuple[CountingIds, list[object]],
) -> None:
    ids, attached = export_off
    event = sms_requested()
    header = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    span = tracing.consumed("notification-status", 0, 0, "callbacks", header, event)
    with tracing.handling(event.notification_id):
        pass
    tracing.finish(span, event.notification_id)
    assert (ids.made, attached) == (0, [])
    # Asked for (a record published about it), the ids are made then, in the record's trace.
    span = tracing.consumed("notification-status", 0, 0, "callbacks", header, event)
    with tracing.handling(event.notification_id):
        published = tracing.record_headers("sms-sent", event)
    tracing.finish(span, event.notification_id)
    assert traceparent(published)[0] == 0x0AF7651916CD43DD8448EB211C80319C
    assert (ids.made, attached) == (1, [])


def test_with_export_off_a_request_nobody_asks_the_trace_of_costs_no_ids_and_attaches_no_context(
    export_off: tuple[CountingIds, list[object]],
) -> None:
    ids, attached = export_off
    app = FastAPI()

    @app.get("/_status")
    async def status() -> dict[str, str]:
        return {"status": "ok"}

    caller = {"traceparent": f"00-{'1' * 32}-{'2' * 16}-01"}
    with TestClient(tracing.TracingMiddleware(app)) as client:
        assert client.get("/_status", headers=caller).status_code == 200
        assert client.get("/_status").status_code == 200
    assert (ids.made, attached) == (0, [])
