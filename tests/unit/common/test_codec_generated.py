"""The codec's generated functions (``codec_generated``) decode and encode exactly as the codec's
step readers and writers do: the same event, the same bytes, and for bytes changed or cut short
anywhere the same outcome (the same event, or a ``ValueError`` with the same message)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notify_common import codec
from notify_common.events import EVENT_TYPES, Event, NotificationDelivered
from tests.unit.common.test_codec_compiled import _event, _fastavro_message, _fastavro_record, _raw, _value


def _records(event_type: type[Event], count: int) -> list[bytes]:
    raw = _raw(event_type)
    rng = random.Random(f"20261206-{event_type.schema_name}")
    messages = []
    for _ in range(count):
        record = {f["name"]: _value(f["type"], {}, rng) for f in raw["fields"]}
        messages.append(_fastavro_message(raw, record))
    return messages


def _by_steps(data: bytes) -> Any:
    """What the step readers make of ``data``: the event, or the message of their ValueError."""
    reader = codec.default_codec()._reader(data)
    assert reader.slots is not None
    try:
        return codec._event(data, reader, reader.slots)
    except ValueError as exc:
        return str(exc)


def _by_generated(data: bytes) -> Any:
    reader = codec.default_codec()._reader(data)
    assert reader.generated is not None
    try:
        return reader.generated(data)
    except ValueError as exc:
        return str(exc)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_every_current_schema_is_decoded_and_encoded_by_its_generated_functions(
    event_type: type[Event],
) -> None:
    default = codec.default_codec()

    assert default._writers[event_type].generated is not None
    assert default._readers[default.fingerprint_of(event_type)].generated is not None


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_a_generated_decoder_makes_what_the_steps_make_of_every_message_and_every_damaged_one(
    event_type: type[Event],
) -> None:
    rng = random.Random(f"damage-{event_type.schema_name}")
    for message in _records(event_type, 40):
        assert _by_generated(message) == _by_steps(message)
        for length in range(codec.HEADER_LENGTH, len(message), max(1, len(message) // 60)):
            assert _by_generated(message[:length]) == _by_steps(message[:length])
        for _ in range(40):
            body = bytearray(message)
            for _ in range(rng.randint(1, 3)):
                body[rng.randrange(codec.HEADER_LENGTH, len(body))] = rng.randrange(256)
            assert _by_generated(bytes(body)) == _by_steps(bytes(body))


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_a_generated_encoder_writes_the_bytes_the_steps_write(event_type: type[Event]) -> None:
    writer = codec.default_codec()._writers[event_type]
    assert writer.fields is not None
    assert writer.generated is not None
    raw = _raw(event_type)
    for message in _records(event_type, 100):
        event = _event(event_type, _fastavro_record(raw, message))
        by_steps = bytearray(writer.header)
        for put, value in zip(writer.fields, writer.values(event), strict=True):
            put(by_steps, value)

        assert writer.generated(event) == bytes(by_steps) == message


def test_a_naive_timestamp_is_refused_by_the_generated_encoder_as_by_the_steps() -> None:
    naive = NotificationDelivered(
        notification_id="n", service_id="s", provider="mmg", delivered_at=datetime(2026, 12, 6, 12, 0)
    )

    with pytest.raises(ValueError, match=r"NotificationDelivered\.delivered_at must be timezone-aware"):
        codec.encode(naive)


def test_a_timestamp_given_as_microseconds_is_written_as_the_steps_write_it() -> None:
    micros = 1_765_000_000_123_456
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    same: dict[str, Any] = {
        "event_id": "e", "occurred_at": at, "notification_id": "n", "service_id": "s", "provider": "mmg",
    }  # fmt: skip
    as_number = NotificationDelivered(**same, delivered_at=micros)  # type: ignore[arg-type]
    as_datetime = NotificationDelivered(**same, delivered_at=at)

    assert codec.encode(as_number) == codec.encode(as_datetime)
