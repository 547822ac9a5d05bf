"""Tracing with OpenTelemetry: one notification is one trace, from the API request through Kafka
into the senders, the provider call, the receipt, the projector and the callbacks.

W3C trace context (the ``traceparent`` header) travels in HTTP headers and in Kafka record headers.
The Kafka producer and the consumer runner (``notify_common.kafka``) call :func:`record_headers`
and :func:`consumed` for every record, so every service propagates it without code of its own.

Export is off unless configured by the standard environment variables (see
:func:`exporter_from_env`). Off, no span is recorded, but logs still carry a trace id that ties
lines of one notification together across services: the trace a caller's ``traceparent`` named
(carried on in the records and requests that follow from it), or else the notification's own, whose
trace id is the notification id's 128 bits, so every service can name it without being told and
nothing is carried. It costs next to nothing then: a consumed record or a request only notes where
its ``traceparent`` is, if it has one (a :class:`Carried`, kept by notification id or in a context
variable of this module, never an OpenTelemetry context), and its span's ids are made only when
something asks for them (a log line, a record published or a request made about it).

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
# per-notification work (provider calls, the events it publishes) joins that notification's trace;
# with export off, the notification's Carried trace instead.
_HANDLING_LIMIT = 100_000
_handling: collections.OrderedDict[str, Context] = collections.OrderedDict()
_carrying: collections.OrderedDict[str, Carried] = collections.OrderedDict()

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
    _carrying.clear()


def tracer() -> Tracer:
    return _tracer


def exporting() -> bool:
    """Whether spans may be recorded and exported (worth looking up a stored trace context)."""
    return _exporting


# --- Export off: carried trace context --------------------------------------------------------


def trace_id_of(notification_id: Any) -> int | None:
    """With export off, the trace id of a notification whose trace no caller named: its id's 128
    bits (None for anything but a UUID's 36 characters). Read as one hexadecimal number rather
    than through ``uuid.UUID``, which costs several times as much for the same value."""
    if not isinstance(notification_id, str) or len(notification_id) != 36:
        return None
    try:
        value = int(notification_id.replace("-", ""), 16)
    except ValueError:
        return None
    return value if 0 < value < 1 << 128 else None


class Carried(NonRecordingSpan):
    """With export off, the span of a consumed record or a request: never recorded, in the trace
    of the ``traceparent`` among ``headers`` (named ``key``: a str in Kafka records, bytes in ASGI
    scopes); without one, or with a malformed one, in the trace of ``notification_id`` (see
    :func:`trace_id_of`) or a new one. Its ids are made the first time they are asked for, so a
    record or request whose trace nobody asks about costs one object."""

    _made: SpanContext | None = None
    _header: bytes | None = None
    _read = False
    _parent: tuple[int, TraceFlags] | None = None

    def __init__(
        self,
        headers: Sequence[tuple[Any, bytes]] | None,
        key: str | bytes = TRACEPARENT,
        notification_id: Any = None,
    ) -> None:
        self._headers, self._key, self._notification_id = headers, key, notification_id

    def named(self) -> bool:
        """Whether a valid ``traceparent`` named this span's trace (so it is carried on)."""
        if not self._read:
            self._parent, self._read = _parse_traceparent(self._headers, self._key), True
        return self._parent is not None

    def get_span_context(self) -> SpanContext:
        made = self._made
        if made is None:
            parent = self._parent if self.named() else None
            if parent is not None:
                trace_id, flags = parent
            else:
                trace_id = trace_id_of(self._notification_id) or _ids.generate_trace_id()
                flags = TraceFlags(TraceFlags.DEFAULT)
            made = self._made = self._context = SpanContext(
                trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=flags
            )
        return made

    def context_for(self, notification_id: Any) -> SpanContext:
        """This span's context as work about ``notification_id`` sees it: in that notification's
        trace unless a ``traceparent`` named this span's."""
        made = self.get_span_context()
        if notification_id is None or notification_id == self._notification_id or self.named():
            return made
        trace_id = trace_id_of(notification_id)
        if trace_id is None:
            return made
        return SpanContext(trace_id, made.span_id, is_remote=False, trace_flags=made.trace_flags)

    def traceparent(self) -> bytes:
        """The ``traceparent`` value naming this span as the parent."""
        header = self._header
        if header is None:
            header = self._header = _format_traceparent(self.get_span_context()).encode()
        return header

    def __repr__(self) -> str:
        return f"Carried({self._made!r})"


def _format_traceparent(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


# The span :func:`linked_span` opened in this task: what is published inside it is its child,
# even while this process's consumer is handling the same notification (a receipt woken by the send
# event it was waiting for).
_linked: contextvars.ContextVar[Context | None] = contextvars.ContextVar("notify_linked", default=None)

# With export off, the Carried span of the HTTP request being served (TracingMiddleware).
_serving: contextvars.ContextVar[Carried | None] = contextvars.ContextVar("notify_serving", default=None)


def _carried_now(notification_id: Any = None) -> Carried | SpanContext | None:
    """With export off, the trace that work done now belongs to: that of the record handling
    ``notification_id``, else that of the notification being handled now, else the request being
    served, else a valid span made through :func:`tracer` and current; None when there is none."""
    if _carrying:
        carried = _carrying.get(notification_id) if isinstance(notification_id, str) else None
        if carried is None:
            handled = current_notification.get()
            carried = _carrying.get(handled) if handled is not None else None
        if carried is not None:
            return carried
    serving = _serving.get()
    if serving is not None:
        return serving
    current = trace.get_current_span().get_span_context()
    return current if current.is_valid else None


def _carried_header(notification_id: Any = None) -> bytes | None:
    """With export off, the ``traceparent`` value that work done now carries on (see
    :func:`_carried_now`): none for work about a notification whose trace no caller named, since
    its id names it."""
    now = _carried_now(notification_id)
    if now is None:
        return None
    if isinstance(now, Carried):
        if now.named():
            return now.traceparent()
        about = notification_id if notification_id is not None else current_notification.get()
        return None if trace_id_of(about) is not None else now.traceparent()
    return _format_traceparent(now).encode()


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
    if not _exporting:
        # Nothing is recorded: the record carries the parent's context on (a producer span would
        # never be seen), formatted here because the propagator costs more than the rest of it.
        header = _carried_header(getattr(event, "notification_id", None))
        return [] if header is None else [(TRACEPARENT, header)]
    linked = _linked.get()
    parent = linked if linked is not None else context_of(getattr(event, "notification_id", None))
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
    notification_id = getattr(event, "notification_id", None)
    if not _exporting:
        carried = Carried(headers, TRACEPARENT, notification_id)
        if notification_id is not None:
            _remember(_carrying, notification_id, carried)
        return carried
    span = _recorded_consumer_span(topic, partition, offset, group, headers, event)
    if notification_id is not None:
        _remember(_handling, notification_id, trace.set_span_in_context(span))
    return span


def _remember(by_id: collections.OrderedDict[str, T], notification_id: str, value: T) -> None:
    by_id[notification_id] = value
    by_id.move_to_end(notification_id)
    if len(by_id) > _HANDLING_LIMIT:
        by_id.popitem(last=False)


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
    if not _exporting:
        if notification_id is not None and _carrying.get(notification_id) is span:
            del _carrying[notification_id]
        return
    if notification_id is not None:
        ctx = _handling.get(notification_id)
        if ctx is not None and trace.get_current_span(ctx) is span:
            del _handling[notification_id]
    if span.is_recording():  # unsampled spans never record: nothing to end
        span.end()


# --- Scopes ----------------------------------------------------------------------------------


class _Handling:
    """The block of :func:`handling`: with export off only the notification's id is set (the
    trace is found from it); with export on, its span's context is attached as well."""

    __slots__ = ("_ctx", "_id_token", "_notification_id", "_token")

    def __init__(self, notification_id: str | None, ctx: Context | None) -> None:
        self._notification_id, self._ctx = notification_id, ctx
        self._token: object = None

    def __enter__(self) -> None:
        if _exporting:
            ctx = self._ctx if self._ctx is not None else context_of(self._notification_id)
            if ctx is not None:
                self._token = otel_context.attach(ctx)
        self._id_token = current_notification.set(self._notification_id)

    def __exit__(self, *exc: object) -> None:
        current_notification.reset(self._id_token)
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]


def handling(notification_id: str | None, ctx: Context | None = None) -> AbstractContextManager[None]:
    """Run the block as part of ``notification_id``'s trace (the consumer span handling it, or
    ``ctx``), with log lines naming it."""
    return _Handling(notification_id, ctx)


async def within(notification_id: str | None, work: Awaitable[T]) -> T:
    """Await ``work`` as part of ``notification_id``'s trace (see :func:`handling`)."""
    with _Handling(notification_id, None):
        return await work


@contextmanager
def linked_span(
    name: str, traceparent: str | None, attributes: Mapping[str, str] | None = None
) -> Iterator[None]:
    """A span in the trace ``traceparent`` names (a notification's, stored when it was sent),
    linked to the current span (the request that brought the news); without ``traceparent``, a
    child of the current span. With export off, nothing is recorded: the block runs in the
    stored trace if there is one, otherwise as it is."""
    if not _exporting:
        if not traceparent:
            yield
            return
        token = _serving.set(Carried(((TRACEPARENT, traceparent.encode()),)))
        try:
            yield
        finally:
            _serving.reset(token)
        return
    current = trace.get_current_span()
    parent = _propagator.extract({TRACEPARENT: traceparent}) if traceparent else None
    linked = parent is not None and current.get_span_context().is_valid
    links = [Link(current.get_span_context())] if linked else []
    with _tracer.start_as_current_span(
        name, context=parent, links=links, attributes=dict(attributes or {})
    ) as span:
        opened = _linked.set(trace.set_span_in_context(span))
        try:
            yield
        finally:
            _linked.reset(opened)


def traceparent_of(notification_id: str) -> str | None:
    """The ``traceparent`` of the span handling ``notification_id`` now, to store with it (so a
    later request about it can join its trace); None unless that span is being recorded."""
    if not _exporting:
        return None
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
        value = _carried_header() if _tracing else None
        return _CarriedContext(b"" if value is None else b"traceparent: %s\r\n" % value)
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
    the request only notes where its ``traceparent`` is (a :class:`Carried` span, as a consumed
    record does; its ids are made if asked for), without the SDK's sampler and propagator and
    without attaching an OpenTelemetry context."""

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
            token = _serving.set(Carried(scope.get("headers"), b"traceparent"))
            try:
                await self.app(scope, receive, send)
            finally:
                _serving.reset(token)
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
    if not _tracing:
        return fields
    if not _exporting:
        now = _carried_now(nid)
        if now is not None:
            context = now.context_for(nid) if isinstance(now, Carried) else now
            fields["trace_id"] = format(context.trace_id, "032x")
            fields["span_id"] = format(context.span_id, "016x")
        return fields
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid and nid is not None:
        ctx = _handling.get(nid)
        if ctx is not None:
            span_context = trace.get_current_span(ctx).get_span_context()
    if span_context.is_valid:
        fields["trace_id"] = format(span_context.trace_id, "032x")
        fields["span_id"] = format(span_context.span_id, "016x")
    return fields
