"""The analytics results schema (schemas/analytics/WindowStats.avsc): every version is archived,
and a results record reads with the schema file and fastavro alone, as another team reads it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from notify_analytics.results import encode_result
from notify_analytics.windows import WindowKey, WindowStats

ANALYTICS = Path(__file__).resolve().parents[2] / "schemas" / "analytics"


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_the_current_results_schema_is_archived_in_history() -> None:
    current = to_parsing_canonical_form(_load(ANALYTICS / "WindowStats.avsc"))
    archived = [to_parsing_canonical_form(_load(p)) for p in sorted((ANALYTICS / "history").glob("*.avsc"))]
    assert current in archived, "copy schemas/analytics/WindowStats.avsc to history/WindowStats.vN.avsc"


def test_a_results_record_reads_with_the_schema_file_and_fastavro_alone() -> None:
    cell = WindowKey("minute", 1_764_900_000_000, "s1", "sms", "mmg", "sending")
    stats = WindowStats(count=3)
    stats.created_to_sent.add(4_000)
    message = encode_result(cell, stats, "lifecycle", 2)

    raw = _load(ANALYTICS / "WindowStats.avsc")
    assert message[:2] == b"\xc3\x01"
    assert message[2:10] == bytes.fromhex(fingerprint(to_parsing_canonical_form(raw), "CRC-64-AVRO"))
    record: dict[str, Any] = fastavro.schemaless_reader(io.BytesIO(message[10:]), parse_schema(raw), None)  # type: ignore[assignment]
    assert record["status"] == "sending"
    assert record["partition"] == 2
    assert record["count"] == 3
    assert record["created_to_sent"]["total_ms"] == 4_000
    assert record["window_start"].timestamp() == 1_764_900_000
