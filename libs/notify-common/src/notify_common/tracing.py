"""Tracing with OpenTelemetry: one notification is one trace, from the API request through Kafka
into the senders, the provider call, the receipt, the projector and the callbacks.

W3C trace context (the ``traceparent`` header) travels in HTTP headers and in Kafka record headers.
The Kafka producer and the consumer runner (``notify_common.kafka``) call :func:`record_headers`
and :func:`consumed` for every record, so every service propagates it without code of its own.

Export is off unless configured by the standard environment variables (see
:func:`exporter_from_env`). Off, spans are never recorded (the sampler drops them) but their ids
are still made and propagated, so logs carry a trace id that ties lines of one notification
together across services; nothing is exported and no span data is kept.

Spans carry ids only (notification, service, template, job), the channel, the provider, topics and
route templates: never a recipient, personalisation, a message body or a full URL.
"""

from __future__ import annotations

import collections
import contextvars
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

T = TypeVar("T")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
_tracer: Tracer = trace.NoOpTracer()
_tracing = False  # whether there is a tracer at all (a bool: isinstance on the ABC costs more)
_exporting = False
_ids = RandomIdGenerator()

# The notification being handled by the code running now (for log lines that do not name it).
current_notification: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "notify_notification_id", default=None
)

# Notification id -> the context of the consumer span handling it now, so that a batch handler's
# per-notification work (provider calls, the events it publishes) joins that notification's trace.
_HANDLING_LIMIT = 100_000
_handling: collections.OrderedDict[str, Context] = collections.OrderedDict()

# Event fields that are safe as span attributes: ids and kinds, never recipients or content.
_EVENT_ATTRIBUTES = ("service_id", "template_id", "job_id", "provider", "key_type")


def exporter_from_env(environ: Mapping[str, str] = os.environ) -> SpanExporter | None:
    """The span exporter the standard OpenTelemetry variables ask for, or None (export off).

    ``OTEL_TRACES_EXPORTER=otlp`` (OTLP over HTTP/protobuf, to ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) or ``console`` (to stderr, beside the JSON logs on
    stdout); unset, OTLP when an endpoint is set and nothing otherwise; ``none`` or
    ``OTEL_SDK_DISABLED=true`` turn it off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names:
        endpoints = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
        names = ["otlp"] if any(environ.get(e) for e in endpoints) else []
    if not names or names == ["none"]:
        return None
    if names[0] == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if names[0] == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    raise ValueError(f"unsupported OTEL_TRACES_EXPORTER {names[0]!r}: use otlp, console or none")


def setup_tracing(service: str, environ: Mapping[str, str] = os.environ) -> TracerProvider:
    """Make this process's tracer for ``service``: exporting if configured (see
    :func:`exporter_from_env`; sampled as ``OTEL_TRACES_SAMPLER`` says, every trace by default),
    otherwise ids only."""
    global _exporting
    exporter = exporter_from_env(environ)
    resource = Resource.create({"service.name": service})
    if exporter is None:
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    else:
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    use(provider)
    _exporting = exporter is not None
    return provider


def use(provider: trace.TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (None: trace nothing, propagate nothing)."""
    global _tracer, _tracing, _exporting
    _tracer = provider.get_tracer("notify") if provider is not None else trace.NoOpTracer()
    _tracing = _exporting = provider is not None
    _handling.clear()


def tracer() -> Tracer:
    return _tracer


def exporting() -> bool:
    """Whether spans may be recorded and exported (worth looking up a stored trace context)."""
    return _exporting


# --- Kafka -----------------------------------------------------------------------------------


def _headers_carrier(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    for key, value in headers or ():
        if key == TRACEPARENT:
            return {TRACEPARENT: bytes(value).decode("ascii", "replace")}
    return {}


def context_of(notification_id: str | None) -> Context | None:
    """The context of the consumer span handling ``notification_id`` now, if any."""
    return _handling.get(notification_id) if notification_id is not None else None


def event_attributes(event: Any) -> dict[str, str]:
    """The span attributes of an event: its type, ids, channel and provider; never its content."""
    attributes = {"notify.event_type": type(event).__name__}
    if getattr(event, "notification_id", None) is not None:
        attributes["notify.notification_id"] = str(event.notification_id)
    for name in _EVENT_ATTRIBUTES:
        value = getattr(event, name, None)
        if value is not None:
            attributes[f"notify.{name}"] = str(value)
    channel = getattr(event, "channel", None)
    if channel is not None:
        attributes["notify.channel"] = str(channel)
    return attributes


def record_headers(topic: str, event: Any) -> list[tuple[str, bytes]]:
    """The trace headers of a record about to be produced: a producer span, child of the span
    handling the event's notification (or of the current span), ended at once."""
    if not _tracing:
        return []
    parent = context_of(getattr(event, "notification_id", None))
    if not _exporting:
        # Nothing is recorded: the record carries the parent's context on (a producer span would
        # never be seen), formatted here because the propagator costs more than the rest of it.
        carried = trace.get_current_span(parent).get_span_context()
        if not carried.is_valid:
            return []
        value = f"00-{carried.trace_id:032x}-{carried.span_id:016x}-{carried.trace_flags:02x}"
        return [(TRACEPARENT, value.encode())]
    span = _tracer.start_span(
        f"{topic} publish",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            **event_attributes(event),
        },
    )
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    span.end()
    return [(TRACEPARENT, value.encode()) for value in carrier.values()]


def consumed(
    topic: str,
    partition: int,
    offset: int,
    group: str,
    headers: Sequence[tuple[str, bytes]] | None,
    event: Any,
) -> Span | None:
    """Start the consumer span of one record, child of the producer span in its headers; while it
    lasts, work about its notification joins it (see :func:`handling`). End it with
    :func:`finish`."""
    if not _tracing:
        return None
    if not _exporting:
        span = _unrecorded_child(headers)
    else:
        span = _recorded_consumer_span(topic, partition, offset, group, headers, event)
    notification_id = getattr(event, "notification_id", None)
    if notification_id is not None:
        _handling[notification_id] = trace.set_span_in_context(span)
        _handling.move_to_end(notification_id)
        while len(_handling) > _HANDLING_LIMIT:
            _handling.popitem(last=False)
    return span


def _unrecorded_child(headers: Sequence[tuple[Any, bytes]] | None, key: str | bytes = TRACEPARENT) -> Span:
    """A span that is never recorded, in the trace of the ``traceparent`` among ``headers`` (named
    ``key``: a str in Kafka records, bytes in ASGI scopes; a new trace without one): only its ids,
    for the logs and the records it leads to."""
    parent = _parse_traceparent(headers, key)
    if parent is not None:
        trace_id, flags = parent
    else:
        trace_id, flags = _ids.generate_trace_id(), TraceFlags(TraceFlags.DEFAULT)
    return NonRecordingSpan(
        SpanContext(trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=flags)
    )


def _parse_traceparent(
    headers: Sequence[tuple[Any, bytes]] | None, key: str | bytes = TRACEPARENT
) -> tuple[int, TraceFlags] | None:
    """The trace id and flags of a version-00 ``traceparent`` header, or None (absent or
    malformed). The propagator's own parsing is the larger part of the cost of a record's context
    when nothing is recorded; with export on it is used instead."""
    for name, value in headers or ():
        if name != key:
            continue
        parts = bytes(value).split(b"-")
        if len(parts) != 4 or parts[0] != b"00" or len(parts[1]) != 32 or len(parts[2]) != 16:
            return None
        try:
            trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
        except ValueError:
            return None
        return (trace_id, TraceFlags(flags & 0xFF)) if trace_id and span_id else None
    return None


def _recorded_consumer_span(
    topic: str,
    partition: int,
    offset: int,
    group: str,
    headers: Sequence[tuple[str, bytes]] | None,
    event: Any,
) -> Span:
    parent = _propagator.extract(_headers_carrier(headers))
    return _tracer.start_span(
        f"{topic} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": group,
            "messaging.destination.partition.id": str(partition),
            "messaging.kafka.offset": offset,
            **event_attributes(event),
        },
    )


def finish(span: Span | None, notification_id: str | None) -> None:
    """End a consumer span (once) and forget it as its notification's context."""
    if span is None:
        return
    if notification_id is not None:
        ctx = _handling.get(notification_id)
        if ctx is not None and trace.get_current_span(ctx) is span:
            del _handling[notification_id]
    if span.is_recording():  # unsampled spans never record: nothing to end
        span.end()


# --- Scopes ----------------------------------------------------------------------------------


@contextmanager
def handling(notification_id: str | None, ctx: Context | None = None) -> Iterator[None]:
    """Run the block as part of ``notification_id``'s trace (the consumer span handling it, or
    ``ctx``), with log lines naming it."""
    ctx = ctx if ctx is not None else context_of(notification_id)
    token = otel_context.attach(ctx) if ctx is not None else None
    id_token = current_notification.set(notification_id)
    try:
        yield
    finally:
        current_notification.reset(id_token)
        if token is not None:
            otel_context.detach(token)


async def within(notification_id: str | None, work: Awaitable[T]) -> T:
    """Await ``work`` as part of ``notification_id``'s trace (see :func:`handling`)."""
    with handling(notification_id):
        return await work


@contextmanager
def linked_span(
    name: str, traceparent: str | None, attributes: Mapping[str, str] | None = None
) -> Iterator[None]:
    """A span in the trace ``traceparent`` names (a notification's, stored when it was sent),
    linked to the current span (the request that brought the news); without ``traceparent``, a
    child of the current span."""
    current = trace.get_current_span()
    parent = _propagator.extract({TRACEPARENT: traceparent}) if traceparent else None
    linked = parent is not None and current.get_span_context().is_valid
    links = [Link(current.get_span_context())] if linked else []
    with _tracer.start_as_current_span(name, context=parent, links=links, attributes=dict(attributes or {})):
        yield


def traceparent_of(notification_id: str) -> str | None:
    """The ``traceparent`` of the span handling ``notification_id`` now, to store with it (so a
    later request about it can join its trace); None unless that span is being recorded."""
    ctx = _handling.get(notification_id)
    if ctx is None or not trace.get_current_span(ctx).is_recording():
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=ctx)
    return carrier.get(TRACEPARENT)


# --- HTTP ------------------------------------------------------------------------------------


class ClientSpan:
    """An outgoing HTTP request's span: ``header`` is the ``traceparent`` line to send with it."""

    __slots__ = ("header", "span")

    def __init__(self, span: Span, header: bytes) -> None:
        self.span, self.header = span, header

    def answered(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 500:
            self.span.set_status(trace.StatusCode.ERROR)


class _CarriedContext:
    """With export off, the context around an outgoing request: no client span (it would never be
    seen), only the current span's ``traceparent`` line carried on, as a record carries it."""

    __slots__ = ("_call",)

    def __init__(self, header: bytes) -> None:
        self._call = ClientSpan(trace.INVALID_SPAN, header)

    def __enter__(self) -> ClientSpan:
        return self._call

    def __exit__(self, *exc: object) -> None:
        return None


def http_client_span(method: str, host: str, port: int, path: str) -> AbstractContextManager[ClientSpan]:
    """A client span around one outgoing request (the URL's path only: never its query)."""
    if not _exporting:
        carried = trace.get_current_span().get_span_context() if _tracing else trace.INVALID_SPAN_CONTEXT
        if not carried.is_valid:
            return _CarriedContext(b"")
        value = f"00-{carried.trace_id:032x}-{carried.span_id:016x}-{carried.trace_flags:02x}"
        return _CarriedContext(b"traceparent: %s\r\n" % value.encode())
    return _recorded_client_span(method, host, port, path)


@contextmanager
def _recorded_client_span(method: str, host: str, port: int, path: str) -> Iterator[ClientSpan]:
    span = _tracer.start_span(
        f"{method}",
        kind=SpanKind.CLIENT,
        attributes={
            "http.request.method": method,
            "server.address": host,
            "server.port": port,
            "url.path": path.split("?", 1)[0],
        },
    )
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    header = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in carrier.items())
    with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=True):
        yield ClientSpan(span, header)


def http_client_span_for(method: str, url: str) -> AbstractContextManager[ClientSpan]:
    """:func:`http_client_span` for a request to ``url``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return http_client_span(method, parts.hostname or "", port, parts.path or "/")


def _fixed_paths(app: Any) -> set[str]:
    """The paths without parameters that ``app`` or the apps it wraps (through their ``app``
    attributes) route: a framework app's ``routes`` list, or a fast path's ``routes`` mapping
    keyed by path."""
    found: set[str] = set()
    for _ in range(10):
        routes = getattr(app, "routes", None)
        paths = (
            routes.keys() if isinstance(routes, Mapping) else [getattr(r, "path", None) for r in routes or ()]
        )
        found |= {p for p in paths if isinstance(p, str) and "{" not in p}
        app = getattr(app, "app", None)
        if app is None:
            break
    return found


class TracingMiddleware:
    """ASGI middleware: a server span per HTTP request, child of the caller's ``traceparent``,
    named by the method and the route template (``other`` when no route matched). With export off
    the request runs in an unrecorded span that only holds the ids (as a consumed record does),
    made without the SDK's sampler and propagator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._fixed: set[str] | None = None

    def _route(self, scope: Scope) -> str:
        """The matched route's template; for a request a fast path answered without the
        framework's routing, its path if that is one of the app's routes without parameters."""
        matched = getattr(scope.get("route"), "path", None)
        if isinstance(matched, str):
            return matched
        if self._fixed is None:
            self._fixed = _fixed_paths(self.app)
        path = scope.get("path")
        return path if isinstance(path, str) and path in self._fixed else "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _tracing:
            await self.app(scope, receive, send)
            return
        if not _exporting:
            token = otel_context.attach(
                trace.set_span_in_context(_unrecorded_child(scope.get("headers"), b"traceparent"))
            )
            try:
                await self.app(scope, receive, send)
            finally:
                otel_context.detach(token)
            return
        carrier: dict[str, str] = {}
        for key, value in scope.get("headers", ()):
            if key == b"traceparent":
                carrier[TRACEPARENT] = value.decode("latin-1")
        method = str(scope.get("method", "GET"))
        span = _tracer.start_span(
            method,
            context=_propagator.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(trace.StatusCode.ERROR)
            await send(message)

        try:
            with trace.use_span(span, end_on_exit=False):
                await self.app(scope, receive, send_status)
        finally:
            route = self._route(scope)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.end()


# --- Logs ------------------------------------------------------------------------------------


def log_fields(notification_id: Any) -> dict[str, str]:
    """``trace_id``, ``span_id`` and ``notification_id`` for a log line: the current span's, or
    that of the consumer span handling the notification the line names."""
    fields: dict[str, str] = {}
    nid = notification_id if isinstance(notification_id, str) else current_notification.get()
    if nid is not None:
        fields["notification_id"] = nid
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid and nid is not None:
        ctx = _handling.get(nid)
        if ctx is not None:
            span_context = trace.get_current_span(ctx).get_span_context()
    if span_context.is_valid:
        fields["trace_id"] = format(span_context.trace_id, "032x")
        fields["span_id"] = format(span_context.span_id, "016x")
    return fields
