"""The codec's own encoders and decoders of the current schemas (``codec._compile``) write the
bytes fastavro writes and read back what fastavro reads, for generated records of every schema:
nulls and values in every nullable field, every enum symbol, unicode beyond the BMP, empty and
long strings and arrays, the extremes of ``int`` and ``long`` and timestamps far from now. A
message that fastavro wrote, current or archived, decodes to the event its ``__init__`` makes."""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_type_hints

import fastavro
import pytest
from fastavro.schema import parse_schema

from notify_common import codec
from notify_common.codec import MAGIC, schema_fingerprint
from notify_common.events import EVENT_TYPES, Event, SmsRequested

SCHEMAS = Path(codec.find_schemas_dir())
TEXTS = ("", "a", "é", "日本語", "😀 emoji", "x" * 63, "y" * 64, "z" * 5_000, "\u0000nul", "ü" * 300)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The micros of datetime's first and last instants: fastavro and the codec read and write both.
FIRST_MICROS = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
LAST_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


def _value(schema: Any, enums: dict[str, list[str]], rng: random.Random) -> Any:
    """A random value of ``schema`` (as read from its file), as fastavro writes it."""
    if isinstance(schema, list):
        return None if rng.random() < 0.4 else _value(schema[1], enums, rng)
    if isinstance(schema, dict):
        if schema.get("logicalType") == "timestamp-micros":
            micros = rng.choice([0, -1, 1, FIRST_MICROS, LAST_MICROS, rng.randint(FIRST_MICROS, LAST_MICROS)])
            return EPOCH + timedelta(microseconds=micros)
        if schema["type"] == "enum":
            enums[schema["name"]] = schema["symbols"]
            return rng.choice(schema["symbols"])
        if schema["type"] == "array":
            return [_value(schema["items"], enums, rng) for _ in range(rng.choice([0, 1, 2, 70]))]
        return _value(schema["type"], enums, rng)
    if schema == "string":
        return rng.choice(TEXTS) + str(rng.randint(0, 10**6))
    if schema == "int":
        return rng.choice([0, -1, 63, 64, -64, -65, 2**31 - 1, -(2**31), rng.randint(-(2**31), 2**31 - 1)])
    if schema == "long":
        return rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randint(-(2**63), 2**63 - 1)])
    if schema == "boolean":
        return rng.random() < 0.5
    return rng.choice(enums[schema.rsplit(".", 1)[-1]])


def _fastavro_message(raw: dict[str, Any], record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    buffer.write(MAGIC + schema_fingerprint(raw))
    fastavro.schemaless_writer(buffer, parse_schema(raw, named_schemas={}), record)
    return buffer.getvalue()


def _fastavro_record(raw: dict[str, Any], data: bytes, *, raw_timestamps: bool = False) -> dict[str, Any]:
    schema = codec._without_timestamps(raw) if raw_timestamps else raw
    buffer = io.BytesIO(data[codec.HEADER_LENGTH :])
    return dict(fastavro.schemaless_reader(buffer, parse_schema(schema, named_schemas={}), None))  # type: ignore[arg-type]


def _event(event_type: type[Event], record: dict[str, Any]) -> Event:
    hints = get_type_hints(event_type)
    values = dict(record)
    for f in dataclasses.fields(event_type):
        hint = hints[f.name]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            values[f.name] = hint(values[f.name])
        elif getattr(hint, "__origin__", None) is tuple:
            values[f.name] = tuple(values[f.name])
    return event_type(**values)


def _same(got: Event, expected: Event) -> None:
    assert got == expected
    assert type(got) is type(expected)
    for f in dataclasses.fields(expected):
        assert type(getattr(got, f.name)) is type(getattr(expected, f.name)), f.name


def _raw(event_type: type[Event]) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((SCHEMAS / f"{event_type.schema_name}.avsc").read_text(encoding="utf-8"))
    return raw


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_every_current_schema_has_its_own_encoder_and_decoder(event_type: type[Event]) -> None:
    default = codec.default_codec()
    fingerprint = default.fingerprint_of(event_type)

    assert default._writers[event_type].fields is not None
    assert default._readers[fingerprint].fields is not None
    assert default._readers[fingerprint].slots is not None


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_the_codec_writes_and_reads_what_fastavro_does_for_generated_records(event_type: type[Event]) -> None:
    raw = _raw(event_type)
    rng = random.Random(f"20261205-{event_type.schema_name}")
    for _ in range(300):
        enums: dict[str, list[str]] = {}
        record = {f["name"]: _value(f["type"], enums, rng) for f in raw["fields"]}
        expected = _fastavro_message(raw, record)
        event = _event(event_type, _fastavro_record(raw, expected))

        assert codec.encode(event) == expected
        _same(codec.decode(expected), event)
        assert codec.decode_record(expected) == (event_type, _fastavro_record(raw, expected))
        assert codec.decode_record(expected, raw_timestamps=True) == (
            event_type,
            _fastavro_record(raw, expected, raw_timestamps=True),
        )


def test_a_union_index_or_length_in_a_longer_encoding_reads_as_fastavro_reads_it() -> None:
    """Avro writers use the shortest encoding, but a longer one of the same number is still the
    number: 0x82 0x00 is 1, as 0x02 is."""
    raw = _raw(SmsRequested)
    record = {f["name"]: _value(f["type"], {}, random.Random(1)) for f in raw["fields"]}
    record["notification_id"] = "n"
    data = _fastavro_message(raw, record)
    event_id_end = codec.HEADER_LENGTH + 1 + len(record["event_id"].encode())
    assert data[event_id_end : event_id_end + 3] == b"\x02\x02n"
    longer = data[:event_id_end] + b"\x82\x00\x82\x00n" + data[event_id_end + 3 :]

    assert codec.decode_record(longer)[1] == _fastavro_record(raw, longer)
    _same(codec.decode(longer), codec.decode(data))


@pytest.mark.parametrize("branch", [b"\x04", b"\x01", b"\x84\x00"])
def test_a_union_branch_out_of_range_is_refused(branch: bytes) -> None:
    raw = _raw(SmsRequested)
    record = {f["name"]: _value(f["type"], {}, random.Random(2)) for f in raw["fields"]}
    record["notification_id"] = "n"
    data = _fastavro_message(raw, record)
    event_id_end = codec.HEADER_LENGTH + 1 + len(record["event_id"].encode())
    bad = data[:event_id_end] + branch + data[event_id_end + 1 :]

    for decode in (codec.decode, codec.decode_record):
        with pytest.raises(ValueError, match="message body is not a SmsRequested"):
            decode(bad)


def test_a_memoryview_or_bytearray_decodes_as_bytes_do() -> None:
    raw = _raw(SmsRequested)
    record = {f["name"]: _value(f["type"], {}, random.Random(3)) for f in raw["fields"]}
    data = _fastavro_message(raw, record)

    for view in (memoryview(data), bytearray(data)):
        _same(codec.decode(view), codec.decode(data))  # type: ignore[arg-type]
        assert codec.decode_record(view) == codec.decode_record(data)  # type: ignore[arg-type]


def test_a_long_beyond_64_bits_is_refused_as_fastavro_refuses_it() -> None:
    raw = _raw(SmsRequested)
    record = {f["name"]: _value(f["type"], {}, random.Random(4)) for f in raw["fields"]}
    event = _event(SmsRequested, _fastavro_record(raw, _fastavro_message(raw, record)))
    assert isinstance(event, SmsRequested)
    codec.encode(dataclasses.replace(event, template_version=2**63 - 1))

    with pytest.raises(OverflowError):
        codec.encode(dataclasses.replace(event, template_version=2**63))


def test_a_timestamp_of_eight_bytes_or_any_other_length_is_the_number_long_reads() -> None:
    rng = random.Random(20261205)
    numbers = [0, -1, 1, 2**55 - 1, -(2**55), 2**55, -(2**55) - 1, 2**63 - 1, -(2**63)]
    numbers += [rng.randint(-(2**63), 2**63 - 1) >> rng.randint(0, 63) for _ in range(50_000)]
    for number in numbers:
        written = codec._zigzag(number)
        for data in (written, b"ab" + written + b"\x05", b"ab" + written + b"\x85"):
            start = 0 if data is written else 2
            assert (
                codec._timestamp_micros(data, start)
                == codec._long(data, start)
                == (number, start + len(written))
            )
    for data in (b"\xff" * 7, b"\xff" * 7 + b"\x7f", b"\x80" * 7 + b"\x00", b"\xff" * 11):
        expected: object
        try:
            expected = codec._long(data, 0)
        except ValueError:
            expected = ValueError
        try:
            got: object = codec._timestamp_micros(data, 0)
        except ValueError:
            got = ValueError
        assert got == expected, data


def test_a_timestamp_reads_as_the_epoch_plus_its_microseconds_on_both_sides_of_the_float_bound() -> None:
    rng = random.Random(20261206)
    bound = codec._FLOAT_EXACT_MICROS
    micros = [0, 1, 999_999, 1_000_000, 1_000_001, bound - 1, bound, bound + 1, -1, FIRST_MICROS, LAST_MICROS]
    micros += [rng.randrange(0, bound) for _ in range(100_000)]
    # the ends and the halves of a few seconds, where a rounding would show first
    ends = (0, 1, 2, 499_999, 500_000, 500_001, 999_998, 999_999)
    micros += [second * 1_000_000 + us for second in (1, 1_764_990_000, 3_999_999_999) for us in ends]
    micros += [rng.randint(FIRST_MICROS, LAST_MICROS) for _ in range(10_000)]
    for number in micros:
        written = b"ab" + codec._zigzag(number)
        value, end = codec._read_timestamp(written, 2)
        assert (value, end) == (EPOCH + timedelta(microseconds=number), len(written)), number
        assert value.tzinfo is UTC
