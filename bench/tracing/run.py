"""Benchmark: what tracing adds to each Kafka record on one core, with tracing absent (the code
before tracing: the record's other header only), export off (the default: trace context carried,
ids made only when asked for, nothing recorded) and export on (spans recorded and handed to a batch
processor whose exporter drops them, so the network is not measured). For scale, the Avro encode
and decode every record already pays.

Per record: the producer side (``record_headers``: a producer span and its ``traceparent``) and
the consumer side (``consumed`` + ``finish``: the consumer span, child of the header's context);
then a record handled, one published about its notification while it is (as a sender does) and
that one handled by the next service, with the bytes of trace headers the published record
carries.
Reports the fastest and the median of ``--repeats`` runs in microseconds of this process's CPU
per record; the machine may be busy, so the spread is printed too.

Run: ``.venv/bin/python bench/tracing/run.py [--records N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from notify_common import codec, topics, tracing
from notify_common.events import SmsRequested, now
from notify_common.kafka import H_EVENT_TYPE


class Dropping(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def sample(n: int) -> list[SmsRequested]:
    return [
        SmsRequested(
            notification_id=str(uuid.uuid4()),
            service_id=str(uuid.uuid4()),
            template_id=str(uuid.uuid4()),
            template_version=3,
            key_type="normal",
            phone_number="+447700900123",
            international=False,
            sender="GOVUK",
            body="Hello, this is a message of about the usual length for a text message.",
            fragment_count=1,
            created_at=now(),
        )
        for _ in range(n)
    ]


def per_record(work: Callable[[], None], records: int, repeats: int) -> tuple[float, float, float]:
    """Fastest, median and slowest microseconds per record over ``repeats`` runs."""
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        work()
        runs.append((time.process_time() - started) / records * 1e6)
    return min(runs), statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    events = sample(args.records)
    topic = topics.SMS_REQUESTED

    def produce_and_consume() -> None:
        for event in events:
            headers = [(H_EVENT_TYPE, type(event).__name__.encode()), *tracing.record_headers(topic, event)]
            span = tracing.consumed(topic, 0, 0, "sms-sender", headers, event)
            tracing.finish(span, event.notification_id)

    def handle_and_publish() -> None:
        # A record consumed and handled, one record published about its notification while it is
        # (as a sender does), and that record consumed and handled in turn by the next service.
        for event in events:
            first = tracing.consumed(topic, 0, 0, "sms-sender", [(H_EVENT_TYPE, b"SmsRequested")], event)
            with tracing.handling(event.notification_id):
                headers = [(H_EVENT_TYPE, b"SmsRequested"), *tracing.record_headers(topic, event)]
            tracing.finish(first, event.notification_id)
            second = tracing.consumed(topic, 0, 0, "projector", headers, event)
            with tracing.handling(event.notification_id):
                pass
            tracing.finish(second, event.notification_id)

    def trace_header_bytes() -> int:
        """Bytes of trace headers on the record published in ``handle_and_publish``."""
        event = events[0]
        span = tracing.consumed(topic, 0, 0, "sms-sender", [], event)
        with tracing.handling(event.notification_id):
            headers = tracing.record_headers(topic, event)
        tracing.finish(span, event.notification_id)
        return sum(len(key) + len(value) for key, value in headers)

    def codec_round_trip() -> None:
        for event in events:
            codec.decode(codec.encode(event))

    exporting = TracerProvider()
    exporting.add_span_processor(BatchSpanProcessor(Dropping(), max_queue_size=1_000_000))
    modes: list[tuple[str, Callable[[], object]]] = [
        ("absent (before tracing)", lambda: tracing.use(None)),
        ("export off (default)", lambda: tracing.setup_tracing("bench", environ={})),
        ("export on", lambda: tracing.use(exporting)),
    ]
    print(
        f"{args.records} records, {args.repeats} runs each; "
        "microseconds per record: fastest / median / slowest"
    )
    low, mid, high = per_record(codec_round_trip, args.records, args.repeats)
    print(f"  {'Avro encode + decode (for scale)':52} {low:7.1f} / {mid:7.1f} / {high:7.1f}")
    for name, enter in modes:
        enter()
        low, mid, high = per_record(produce_and_consume, args.records, args.repeats)
        print(f"  {'headers + spans, ' + name:52} {low:7.1f} / {mid:7.1f} / {high:7.1f}")
        low, mid, high = per_record(handle_and_publish, args.records, args.repeats)
        print(
            f"  {'handled, published, handled, ' + name:52} {low:7.1f} / {mid:7.1f} / {high:7.1f}"
            f"  (trace headers {trace_header_bytes()} bytes a record)"
        )
    tracing.use(None)
    exporting.shutdown()


if __name__ == "__main__":
    main()
