"""One text message is one trace across the real processes: each service exports its spans with
OTLP over HTTP to a small receiver run by this test (decoded with opentelemetry-proto), and the
spans form one tree: api-gateway request → Kafka publish → sms-sender process → provider call →
receipt → projector and callbacks, all with one trace id and no personal data in any attribute."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from notify_common import topics
from notify_common.db import create_engine
from notify_common.provision import provision_topics
from notify_common.settings import CommonSettings
from tests.e2e.clients.conftest import Admin
from tests.e2e.conftest import ADMIN_API_TOKEN
from tests.support import env
from tests.support.lifecycle import add_callback
from tests.support.platform import Platform, running_platform
from tests.support.receiver import Receiver, callback_receiver
from tests.support.statuses import wait_for_status

# The other services (the email and letter senders, the job-splitter, document download) have no
# part in a text message's trace.
TRACED = (
    "provider-simulator",
    "receipts",
    "projector",
    "sms-sender",
    "callbacks",
    "api-gateway",
    "admin-api",
)
PHONE = "07700 900417"
PERSONAL = ("Zephyrine", "4417-8822", "900417")


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, str]
    links: tuple[str, ...]


def _text(value: AnyValue) -> str:
    return str(getattr(value, value.WhichOneof("value") or "string_value"))


class Collector:
    """An OTLP/HTTP trace receiver keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = ExportTraceServiceRequest()
                request.ParseFromString(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                collector.add(request)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, request: ExportTraceServiceRequest) -> None:
        for resource_spans in request.resource_spans:
            resource = {a.key: _text(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    with self.lock:
                        self.spans.append(self._span(resource["service.name"], span))

    @staticmethod
    def _span(service: str, span: SpanProto) -> Span:
        return Span(
            service=service,
            name=span.name,
            kind=span.kind,
            trace_id=span.trace_id.hex(),
            span_id=span.span_id.hex(),
            parent_id=span.parent_span_id.hex(),
            attributes={a.key: _text(a.value) for a in span.attributes},
            links=tuple(link.span_id.hex() for link in span.links),
        )

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    running = Collector()
    yield running
    running.server.shutdown()


@pytest.fixture(scope="module")
def traced(
    database: str, kafka_topics: str, collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """The services a text message and its callback go through, and the admin API, with OTLP
    export on, on topics of their own (so another platform of this run cannot take their records)."""
    prefix = f"{kafka_topics}traced."
    asyncio.run(
        provision_topics(CommonSettings(kafka_bootstrap_servers=env.KAFKA, kafka_topic_prefix=prefix))
    )
    logs = Path(tmp_path_factory.mktemp("traced-logs"))
    with running_platform(
        database,
        logs,
        only=TRACED,
        NOTIFY_KAFKA_TOPIC_PREFIX=prefix,
        NOTIFY_ADMIN_API_TOKEN=ADMIN_API_TOKEN,
        NOTIFY_CALLBACK_CONFIG_REFRESH_SECONDS="0",
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
        OTEL_BSP_SCHEDULE_DELAY="100",
    ) as platform:
        yield platform


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with callback_receiver([]) as running:
        yield running


async def add_loopback_callback(service_id: str, kind: str, url: str) -> None:
    settings = CommonSettings(database_url=env.DATABASE_URL)
    engine = create_engine(settings, pool_size=1)
    try:
        await add_callback(engine, settings, service_id, kind, url, "tracing-bearer-token", None)
    finally:
        await engine.dispose()


def wait_for_spans(collector: Collector, trace_id: str, wanted: set[tuple[str, str]]) -> list[Span]:
    """The trace's spans once every (service, name) of ``wanted`` has arrived and every span's
    parent has too (a callback may first wait out a retry's backoff, behind a busy machine's other
    work, and a span is exported only when it ends, so a parent comes after its children)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        spans = collector.trace(trace_id)
        ids = {s.span_id for s in spans}
        closed = all(not s.parent_id or s.parent_id in ids for s in spans)
        if closed and wanted <= {(s.service, s.name) for s in spans}:
            return spans
        time.sleep(0.2)
    seen = sorted({(s.service, s.name) for s in collector.trace(trace_id)})
    raise AssertionError(f"missing {sorted(wanted - set(seen))}; the trace has {seen}")


def only(spans: list[Span], service: str, name: str) -> Span:
    found = [s for s in spans if s.service == service and s.name == name]
    assert found, f"no {name} span from {service}"
    return found[0]


def test_one_text_message_is_one_trace_from_the_api_to_the_callback_with_no_personal_data(
    traced: Platform, collector: Collector, receiver: Receiver
) -> None:
    admin = Admin(traced)
    run = uuid.uuid4().hex[:8]
    service_id = admin.service(f"Tracing {run}", f"tracing.{run}", permissions=["sms"])
    template_id = str(
        admin.call(
            "POST",
            f"/services/{service_id}/templates",
            {"name": "code", "template_type": "sms", "content": "Hello ((name)), your code is ((code))."},
        )["id"]
    )
    # The admin API takes https callback URLs only; the test's receiver is plain http on loopback.
    asyncio.run(add_loopback_callback(service_id, "delivery_status", receiver.url))
    client = NotificationsAPIClient(admin.key(service_id), base_url=traced.api_url)

    sent = client.send_sms_notification(
        phone_number=PHONE,
        template_id=template_id,
        personalisation={"name": PERSONAL[0], "code": PERSONAL[1]},
    )
    nid = sent["id"]
    wait_for_status(client, nid, "delivered")
    # The trace id the API request started is in the traceparent the simulator was sent, and in
    # every span; find it through the sms-sender's span for this notification.
    deadline = time.monotonic() + 30
    trace_id = None
    while trace_id is None and time.monotonic() < deadline:
        with collector.lock:
            mine = [s for s in collector.spans if s.attributes.get("notify.notification_id") == nid]
        trace_id = next((s.trace_id for s in mine if s.service == "sms-sender"), None)
        time.sleep(0.2)
    assert trace_id is not None, "no sms-sender span for the notification"

    requested = f"{topics.SMS_REQUESTED} "
    status = f"{topics.NOTIFICATION_STATUS} "
    spans = wait_for_spans(
        collector,
        trace_id,
        {
            ("api-gateway", "POST /v2/notifications/sms"),
            ("api-gateway", requested + "publish"),
            ("sms-sender", requested + "process"),
            ("sms-sender", "POST"),
            ("sms-sender", status + "publish"),
            ("receipts", "receipt"),
            ("projector", status + "process"),
            ("callbacks", status + "process"),
            ("callbacks", "POST"),
        },
    )
    by_id = {s.span_id: s for s in spans}

    def parent(span: Span) -> Span:
        assert span.parent_id in by_id, f"{span.service} {span.name}: parent not in the trace"
        return by_id[span.parent_id]

    request = only(spans, "api-gateway", "POST /v2/notifications/sms")
    assert request.parent_id == ""  # the client sent no traceparent: the request starts the trace
    publish = only(spans, "api-gateway", requested + "publish")
    assert parent(publish) is request
    process = only(spans, "sms-sender", requested + "process")
    assert parent(process) is publish
    assert process.attributes["notify.notification_id"] == nid
    assert process.attributes["notify.service_id"] == service_id
    assert process.attributes["notify.template_id"] == template_id
    provider_call = only(spans, "sms-sender", "POST")
    assert parent(provider_call) is process
    assert provider_call.kind == SpanProto.SPAN_KIND_CLIENT
    # The receipt is a new request from the provider: its span joins the notification's trace as
    # a child of the span that claimed the notification, linked to the receipt request's span.
    receipt = only(spans, "receipts", "receipt")
    assert parent(receipt) is process
    assert len(receipt.links) == 1
    # Published at once, or (when it overtook its send event) taken onto the unchecked topic and
    # published by the receipts service's consumer once the send event is learnt.
    receipt_publish = next(
        s
        for s in spans
        if s.service == "receipts" and s.name.endswith(" publish") and s.parent_id == receipt.span_id
    )
    projected = [s for s in spans if s.service == "projector" and s.name == status + "process"]
    assert {parent(s).service for s in projected} >= {"sms-sender", "receipts"}

    def ancestors(span: Span) -> list[Span]:
        chain = []
        while span.parent_id:
            span = parent(span)
            chain.append(span)
        return chain

    # The delivered status's callback, built from the status event.
    callback_posts = [s for s in spans if s.service == "callbacks" and s.name == "POST"]
    assert {parent(s).service for s in callback_posts} == {"callbacks"}
    assert any(receipt_publish in ancestors(s) for s in callback_posts)
    assert all(ancestors(s)[-1] is request for s in spans if s is not request)

    every_value = [v for s in collector.spans for v in (s.name, *s.attributes.values())]
    leaked = [v for v in every_value for p in PERSONAL if p in v]
    assert not leaked, leaked
    assert receiver.calls, "the delivery status callback was not made"
