"""The results records on ``notify.analytics.window-stats``: Avro single-object encoded with
``schemas/analytics/WindowStats.avsc``, the same framing as every event (docs/events.md)."""

from __future__ import annotations

import io
import json
from functools import cache
from typing import Any, cast

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from notify_analytics.windows import BUCKET_BOUNDS_MS, Durations, WindowKey, WindowStats
from notify_common.codec import MAGIC, find_schemas_dir, schema_fingerprint

SCHEMA_FILE = "analytics/WindowStats.avsc"


@cache
def _schema() -> tuple[bytes, Any]:
    raw = json.loads((find_schemas_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))
    return MAGIC + schema_fingerprint(raw), parse_schema(raw)


def result_key(cell: WindowKey, source: str, partition: int) -> bytes:
    return f"{cell.encode()}|{source}|{partition}".encode()


def _durations(d: Durations) -> dict[str, Any]:
    return {"count": d.count, "total_ms": d.total_ms, "buckets": d.buckets}


def encode_result(cell: WindowKey, stats: WindowStats, source: str, partition: int) -> bytes:
    header, schema = _schema()
    buffer = io.BytesIO()
    buffer.write(header)
    schemaless_writer(
        buffer,
        schema,
        {
            "granularity": cell.granularity,
            "window_start": cell.start_ms,
            "service_id": cell.service_id,
            "channel": cell.channel,
            "provider": cell.provider,
            "status": cell.status,
            "source": source,
            "partition": partition,
            "count": stats.count,
            "created_to_sent": _durations(stats.created_to_sent),
            "sent_to_delivered": _durations(stats.sent_to_delivered),
            "bucket_bounds_ms": list(BUCKET_BOUNDS_MS),
        },
    )
    return buffer.getvalue()


def decode_result(data: bytes) -> tuple[WindowKey, WindowStats]:
    """The cell and its statistics (of one source partition) in a results record."""
    header, schema = _schema()
    if data[: len(header)] != header:
        raise ValueError("not a WindowStats record of the current schema")
    record = cast(dict[str, Any], schemaless_reader(io.BytesIO(data[len(header) :]), schema, None))
    start = record["window_start"]
    cell = WindowKey(
        record["granularity"],
        start if isinstance(start, int) else int(start.timestamp() * 1000),
        record["service_id"],
        record["channel"],
        record["provider"],
        record["status"],
    )

    def durations(d: dict[str, Any]) -> Durations:
        return Durations(d["count"], d["total_ms"], list(d["buckets"]))

    return cell, WindowStats(
        record["count"], durations(record["created_to_sent"]), durations(record["sent_to_delivered"])
    )
