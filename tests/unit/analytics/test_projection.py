"""The projection reader against the codec's full decode, for every schema (current and archived)
of every event analytics counts: what analytics observes of a message is the same either way."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer

from notify_analytics.observe import REQUESTED_CHANNELS, Observation, observe
from notify_analytics.projection import COUNTED_EVENTS, ProjectionReader
from notify_common.codec import HEADER_LENGTH, MAGIC, default_codec, find_schemas_dir, schema_fingerprint

SCHEMAS = find_schemas_dir()


def counted_schemas() -> list[Path]:
    paths = [SCHEMAS / f"{name}.avsc" for name in sorted(COUNTED_EVENTS)]
    paths += sorted(p for p in (SCHEMAS / "history").glob("*.avsc") if p.name.split(".")[0] in COUNTED_EVENTS)
    return paths


def value(schema: Any, rng: random.Random, named: dict[str, Any]) -> Any:
    """A random value of ``schema``, with the null branch of a union one time in three."""
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        if "null" in schema and (not branches or rng.random() < 0.33):
            return None
        return value(rng.choice(branches), rng, named)
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "enum":
            named[schema["name"]] = schema
            return rng.choice(schema["symbols"])
        if kind == "array":
            return [value(schema["items"], rng, named) for _ in range(rng.randrange(4))]
        if schema.get("logicalType") == "timestamp-micros":
            return rng.randrange(1_700_000_000_000_000, 1_800_000_000_000_000)
        return value(kind, rng, named)
    if schema in named:
        return rng.choice(named[schema]["symbols"])
    if schema == "string":
        # Texts of every length class: empty, short ids, and past a one-byte length.
        return "".join(rng.choice("abcé-0123456789") for _ in range(rng.choice((0, 5, 36, 70, 300))))
    if schema in ("int", "long"):
        return rng.choice((0, 1, -1, 63, 64, -65, 10_000, 2**31 - 1))
    if schema == "boolean":
        return rng.random() < 0.5
    raise AssertionError(f"no generator for {schema}")


def message(path: Path, rng: random.Random) -> bytes:
    raw = json.loads(path.read_text())
    named: dict[str, Any] = {}
    record = {f["name"]: value(f["type"], rng, named) for f in raw["fields"]}
    if "key_type" in record and rng.random() < 0.3:
        record["key_type"] = "test"
    buffer = io.BytesIO()
    buffer.write(MAGIC + schema_fingerprint(raw))
    schemaless_writer(buffer, parse_schema(raw, named_schemas={}), record)
    return buffer.getvalue()


def observed_in_full(data: bytes) -> Observation | None:
    event_type, record = default_codec().decode_record(data, raw_timestamps=True)
    return observe(event_type.schema_name, record)


def projected(reader: ProjectionReader, data: bytes) -> Observation | None:
    found = reader.read(data)
    assert found is not None
    return observe(*found)


def comparable(obs: Observation | None) -> Observation | None:
    # A status event's creation time is not read: only a request's is counted.
    if obs is None or obs.event_type in REQUESTED_CHANNELS:
        return obs
    return obs._replace(created_ms=None)


@pytest.mark.parametrize("path", counted_schemas(), ids=lambda p: p.name)
def test_every_counted_schema_is_observed_as_in_full(path: Path) -> None:
    reader = ProjectionReader()
    raw = json.loads(path.read_text())
    assert schema_fingerprint(raw) in set(reader.fingerprints())
    rng = random.Random(path.name)
    for _ in range(200):
        data = message(path, rng)
        in_full = observed_in_full(data)
        assert in_full is not None
        assert projected(reader, data) == comparable(in_full)


def test_a_request_keeps_its_creation_time_and_test_key() -> None:
    reader = ProjectionReader()
    rng = random.Random(3)
    seen_test_key = False
    for _ in range(100):
        data = message(SCHEMAS / "SmsRequested.avsc", rng)
        obs = projected(reader, data)
        assert obs is not None
        assert obs.created_ms is not None
        seen_test_key |= obs.test_key
    assert seen_test_key


def test_an_archived_writer_lacking_a_counted_field_gets_the_current_default() -> None:
    path = SCHEMAS / "history" / "SmsRequested.v1.avsc"
    raw = json.loads(path.read_text())
    current = json.loads((SCHEMAS / "SmsRequested.avsc").read_text())
    lacking = {f["name"] for f in current["fields"]} - {f["name"] for f in raw["fields"]}
    reader = ProjectionReader()
    found = reader.read(message(path, random.Random(1)))
    assert found is not None
    for name, default in reader.plans[schema_fingerprint(raw)].defaults.items():
        assert name in lacking
        assert found[1][name] == default


def test_a_schema_analytics_does_not_count_is_left_to_the_codec() -> None:
    reader = ProjectionReader()
    raw = json.loads((SCHEMAS / "ComplaintReceived.avsc").read_text())
    data = message(SCHEMAS / "ComplaintReceived.avsc", random.Random(2))
    assert schema_fingerprint(raw) not in set(reader.fingerprints())
    assert reader.read(data) is None


@pytest.mark.parametrize("name", ["SmsRequested", "NotificationDelivered", "NotificationFailed"])
def test_bytes_cut_short_before_the_counted_fields_end_are_a_value_error(name: str) -> None:
    reader = ProjectionReader()
    data = message(SCHEMAS / f"{name}.avsc", random.Random(4))
    for end in range(HEADER_LENGTH, HEADER_LENGTH + 30):
        with pytest.raises(ValueError, match=f"message body is not a {name}"):
            reader.read(data[:end])


def test_bytes_that_are_no_message_are_a_value_error() -> None:
    reader = ProjectionReader()
    for data in (b"not avro at all", b"", None):
        with pytest.raises(ValueError, match=r"not an Avro single-object encoded message|no message body"):
            reader.read(data)
