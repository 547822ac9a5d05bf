"""Contract tests of the events: the Avro schemas, the Python classes, the codec and evolution.

The compatibility checks write sample data with one schema and read it with another, in both
directions (FULL_TRANSITIVE against every archived version). The samples cover both branches of
every nullable field and every symbol of every enum, so a new field without a default, a renamed
field or a new symbol in a closed enum makes them fail; tests below prove that they do.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
import struct
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_type_hints

import fastavro
import pytest
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from notify_common import codec
from notify_common.events import (
    EVENT_TYPES,
    CallbackAttempted,
    CallbackOutcome,
    CallbackType,
    CancelJob,
    Channel,
    ComplaintReceived,
    EmailRequested,
    Event,
    FailureKind,
    InboundSmsReceived,
    JobProgressed,
    JobRequested,
    JobStatus,
    JobStatusChanged,
    LetterRequested,
    NotificationDelivered,
    NotificationFailed,
    NotificationPending,
    NotificationSentToProvider,
    ServiceHistoryRecorded,
    SmsRequested,
    UnsubscribeRequested,
    new_event_id,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
HISTORY = SCHEMAS / "history"
CLOSED_ENUMS = {"Channel", "CallbackType", "CallbackOutcome"}

SERVICE = "6b4f8a2e-0d1c-4c55-9e0b-2f1b7c3d9a10"
NOTIFICATION = "f0c5e7a8-3b9d-4d2a-8c61-5a7e9b1d2c34"
TEMPLATE = "2d8e1f6a-9c3b-4e7d-a5f0-1b2c3d4e5f60"
JOB = "9a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9"
INBOUND = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
WHEN = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
LATER = WHEN + timedelta(seconds=4, microseconds=123)
REQUEST: dict[str, Any] = {
    "service_id": SERVICE,
    "notification_id": NOTIFICATION,
    "occurred_at": WHEN,
    "correlation_id": "req-7f3a",
    "template_id": TEMPLATE,
    "template_version": 4,
    "key_type": "normal",
    "api_key_id": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
    "job_id": JOB,
    "job_row_number": 41,
    "client_reference": "appointment-2025-03-14",
}
STATUS: dict[str, Any] = {
    "service_id": SERVICE,
    "notification_id": NOTIFICATION,
    "occurred_at": LATER,
    "correlation_id": "c-1",
}
JOB_ENVELOPE: dict[str, Any] = {"service_id": SERVICE, "occurred_at": WHEN, "correlation_id": "upload-1"}

FULL_SAMPLES: tuple[Event, ...] = (
    SmsRequested(
        **REQUEST,
        phone_number="447700900123",
        international=False,
        sender="GOVUK",
        body="Passport Office: your passport has been sent.",
        fragment_count=1,
        rate_multiplier=1,
        created_at=WHEN,
    ),
    EmailRequested(
        **REQUEST,
        email_address="someone@example.com",
        subject="Your appointment",
        body="Hello Ada,\n\n^ Bring your letter.\n\n* item one\n* item two",
        from_name="Passport Office",
        reply_to="replies@passport.example.gov.uk",
        one_click_unsubscribe_url="https://example.gov.uk/unsubscribe/abc",
        created_at=WHEN,
        email_from="passport.office",
        has_unsubscribe_link=True,
    ),
    LetterRequested(
        **REQUEST,
        address_lines=("Ada Lovelace", "1 Example Street", "London", "SW1A 1AA"),
        postage="second",
        subject="Your renewal",
        body="Dear Ada,\n\nYour renewal is due.",
        precompiled=True,
        pdf_key="letters/2025-03-14/f0c5e7a8.pdf",
        created_at=WHEN,
        contact_block="Passport Office\nPO Box 1\nSW1A 1AA",
    ),
    NotificationSentToProvider(
        **STATUS,
        channel=Channel.SMS,
        provider="firetext",
        provider_reference="FT-123456",
        sent_at=LATER,
        billable_units=2,
        international=True,
    ),
    NotificationPending(**STATUS, provider="firetext", detail="2"),
    NotificationDelivered(
        **STATUS, provider="mmg", provider_reference="MMG-9", delivered_at=LATER, detail="DELIVRD"
    ),
    NotificationFailed(
        **STATUS,
        failure_kind=FailureKind.TEMPORARY_FAILURE,
        provider="ses",
        reason="timeout",
        failed_at=LATER,
    ),
    ComplaintReceived(
        **STATUS,
        complaint_id="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        complaint_type="abuse",
        feedback_id="0100017a-feedback",
        complained_at=LATER,
    ),
    JobRequested(
        **JOB_ENVELOPE,
        job_id=JOB,
        template_id=TEMPLATE,
        template_version=4,
        channel=Channel.LETTER,
        key_type="normal",
        bucket="notify-csv-uploads",
        object_key=f"service-{SERVICE}-notify/{JOB}.csv",
        original_file_name="renewals march.csv",
        row_count=1_000_000,
        scheduled_for=WHEN + timedelta(hours=20),
        created_by="7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
    ),
    JobStatusChanged(
        **JOB_ENVELOPE, job_id=JOB, status=JobStatus.SENDING_LIMITS_EXCEEDED, reason="daily limit"
    ),
    JobProgressed(**JOB_ENVELOPE, job_id=JOB, rows_emitted=5_000, row_count=1_000_000),
    InboundSmsReceived(
        service_id=SERVICE,
        occurred_at=WHEN,
        correlation_id="inbound-1",
        inbound_sms_id=INBOUND,
        user_number="447700900456",
        notify_number="07700900001",
        content="STOP please – ünïcödé ✓",
        provider="mmg",
        provider_reference="MMG-IN-1",
        received_at=WHEN,
    ),
    CallbackAttempted(
        **STATUS,
        callback_type=CallbackType.DELIVERY_STATUS,
        attempt=3,
        outcome=CallbackOutcome.RETRYING,
        status_code=503,
        duration_ms=1_250,
        reason="HTTP 503",
        inbound_sms_id=INBOUND,
    ),
    CancelJob(**JOB_ENVELOPE, job_id=JOB, key_type="team"),
    UnsubscribeRequested(**STATUS, template_id=TEMPLATE, template_version=4, requested_at=LATER),
    ServiceHistoryRecorded(
        event_id="5b9e2c4a-8f1d-4e7b-a3c6-0d2f9e8b7a61",
        service_id=SERVICE,
        occurred_at=WHEN,
        correlation_id="req-42",
        kind="api_key.created",
        actor_type="user",
        actor_id="6f1e2d3c-4b5a-4968-8776-655443322110",
        subject_id="0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
        changes='[{"field": "secret", "before": null, "after": "changed"}]',
    ),
)


def _load(path: Path) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return raw


def _is_nullable(avro_type: Any) -> bool:
    return isinstance(avro_type, list) and "null" in avro_type


def _without_optionals(event: Event) -> Event:
    """The same event with every nullable field left at None."""
    schema = _load(SCHEMAS / f"{event.schema_name}.avsc")
    nulls: dict[str, Any] = {f["name"]: None for f in schema["fields"] if _is_nullable(f["type"])}
    return dataclasses.replace(event, **nulls)


ALL_SAMPLES = FULL_SAMPLES + tuple(_without_optionals(e) for e in FULL_SAMPLES)


def _sample_id(event: Event) -> str:
    return f"{event.schema_name}-{'full' if event.correlation_id else 'minimal'}"


# --- the events round-trip ------------------------------------------------------------------


def test_the_samples_cover_every_event_type() -> None:
    assert {type(e) for e in FULL_SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", ALL_SAMPLES, ids=_sample_id)
def test_every_event_round_trips_through_the_codec_equal_to_itself(event: Event) -> None:
    decoded = codec.decode(codec.encode(event))

    assert decoded == event
    assert type(decoded) is type(event)
    for f in dataclasses.fields(decoded):
        assert type(getattr(decoded, f.name)) is type(getattr(event, f.name)), f.name


def test_decoded_timestamps_are_timezone_aware_utc() -> None:
    decoded = codec.decode(codec.encode(FULL_SAMPLES[0]))

    assert decoded.occurred_at.utcoffset() == timedelta(0)


def test_an_event_with_a_naive_timestamp_is_refused() -> None:
    naive = dataclasses.replace(FULL_SAMPLES[0], occurred_at=datetime(2025, 1, 1, 12, 0))

    with pytest.raises(ValueError, match="timezone-aware"):
        codec.encode(naive)


@pytest.mark.parametrize(
    ("event", "key"),
    [(FULL_SAMPLES[0], NOTIFICATION), (FULL_SAMPLES[8], JOB), (FULL_SAMPLES[11], INBOUND)],
    ids=["notification", "job", "inbound-sms"],
)
def test_events_are_keyed_by_notification_job_or_inbound_message(event: Event, key: str) -> None:
    assert event.partition_key == key


# --- the schemas and the classes agree ------------------------------------------------------


def _current_schemas() -> dict[str, dict[str, Any]]:
    return {p.stem: _load(p) for p in sorted(SCHEMAS.glob("*.avsc"))}


def test_every_schema_file_has_an_event_class_and_every_event_class_a_schema_file() -> None:
    assert set(_current_schemas()) == {t.schema_name for t in EVENT_TYPES}


def _python_nullable(hint: Any) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in hint.__args__


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_the_schema_fields_match_the_class_fields_in_name_order_and_nullability(
    event_type: type[Event],
) -> None:
    schema = _load(SCHEMAS / f"{event_type.schema_name}.avsc")
    hints = get_type_hints(event_type)
    python_fields = dataclasses.fields(event_type)

    assert schema["name"] == event_type.__name__ == event_type.schema_name
    assert schema["namespace"] == "uk.notify.events"
    assert [f["name"] for f in schema["fields"]] == [f.name for f in python_fields]
    for avro_field, py_field in zip(schema["fields"], python_fields, strict=True):
        assert _is_nullable(avro_field["type"]) == _python_nullable(hints[py_field.name]), py_field.name
        if "default" in avro_field:
            assert py_field.default == avro_field["default"], py_field.name


def test_every_schema_starts_with_the_envelope() -> None:
    envelope = ["event_id", "notification_id", "service_id", "occurred_at", "correlation_id"]
    for name, schema in _current_schemas().items():
        assert [f["name"] for f in schema["fields"][:5]] == envelope, name


def test_every_nullable_field_puts_null_first_and_defaults_to_null() -> None:
    for schema in [*_current_schemas().values(), *map(_load, HISTORY.glob("*.avsc"))]:
        for f in schema["fields"]:
            if _is_nullable(f["type"]):
                assert f["type"][0] == "null", f"{schema['name']}.{f['name']}"
                assert "default" in f, f"{schema['name']}.{f['name']}"
                assert f["default"] is None, f"{schema['name']}.{f['name']}"


def _named_types(avro_type: Any) -> Iterator[dict[str, Any]]:
    if isinstance(avro_type, list):
        for branch in avro_type:
            yield from _named_types(branch)
    elif isinstance(avro_type, dict):
        if avro_type["type"] in ("enum", "record", "fixed"):
            yield avro_type
        for f in avro_type.get("fields", ()):
            yield from _named_types(f["type"])
        if "items" in avro_type:
            yield from _named_types(avro_type["items"])


def test_enums_that_may_grow_have_a_default_symbol_and_only_closed_enums_do_not() -> None:
    without_default = set()
    for schema in _current_schemas().values():
        for named in _named_types(schema):
            if named["type"] == "enum":
                if "default" in named:
                    assert named["default"] in named["symbols"]
                else:
                    without_default.add(named["name"])

    assert without_default == CLOSED_ENUMS


def test_a_named_type_declared_in_several_schemas_is_declared_identically() -> None:
    seen: dict[str, dict[str, Any]] = {}
    for schema in _current_schemas().values():
        for f in schema["fields"]:
            for named in _named_types(f["type"]):
                assert seen.setdefault(named["name"], named) == named, named["name"]


def test_python_enums_have_exactly_the_avro_symbols() -> None:
    python = {
        e.__name__: [m.value for m in e]
        for e in (Channel, FailureKind, JobStatus, CallbackType, CallbackOutcome)
    }
    avro = {
        named["name"]: named["symbols"]
        for schema in _current_schemas().values()
        for named in _named_types(schema)
        if named["type"] == "enum"
    }

    assert avro == python


# --- the wire format -----------------------------------------------------------------------

_CRC_EMPTY = 0xC15D213AA4D7A795


def _crc64_avro(data: bytes) -> int:
    """CRC-64-AVRO as the Avro specification defines it, independent of the codec."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_CRC_EMPTY & -(fp & 1))
        table.append(fp)
    fp = _CRC_EMPTY
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def test_the_reference_crc_matches_the_avro_specification_vector_for_null() -> None:
    assert _crc64_avro(b'"null"') == 0x63DD24E7CC258F8A


@pytest.mark.parametrize("event", FULL_SAMPLES, ids=_sample_id)
def test_encoded_bytes_start_with_c3_01_and_the_little_endian_fingerprint_of_the_schema(event: Event) -> None:
    canonical = to_parsing_canonical_form(_load(SCHEMAS / f"{event.schema_name}.avsc"))

    data = codec.encode(event)

    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == struct.pack("<Q", _crc64_avro(canonical.encode()))
    assert codec.event_type_name(data) == event.schema_name


def test_an_unknown_fingerprint_raises_unknown_schema_error() -> None:
    data = codec.encode(FULL_SAMPLES[0])
    forged = data[:2] + bytes(8) + data[10:]

    with pytest.raises(codec.UnknownSchemaError, match="fingerprint"):
        codec.decode(forged)
    with pytest.raises(codec.UnknownSchemaError):
        codec.event_type_name(forged)


@pytest.mark.parametrize("data", [b"", b"\xc3", b"\xc3\x01\x00", b"\x00\x01" + bytes(20), b'{"json": 1}'])
def test_bytes_without_the_single_object_header_raise_unknown_schema_error(data: bytes) -> None:
    with pytest.raises(codec.UnknownSchemaError):
        codec.decode(data)


def test_unknown_schema_error_is_a_value_error() -> None:
    assert issubclass(codec.UnknownSchemaError, ValueError)


def test_bytes_left_over_after_the_body_are_refused() -> None:
    with pytest.raises(ValueError, match="left over"):
        codec.decode(codec.encode(FULL_SAMPLES[4]) + b"\x00")


def test_the_schemas_directory_can_be_set_by_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(codec.SCHEMAS_DIR_ENV, str(tmp_path))
    assert codec.find_schemas_dir() == tmp_path
    monkeypatch.delenv(codec.SCHEMAS_DIR_ENV)
    assert codec.find_schemas_dir().resolve() == SCHEMAS.resolve()


# --- an outside consumer with only schemas/ and fastavro ------------------------------------


def _outside_consumer_decode(schemas_dir: Path, message: bytes) -> tuple[str, dict[str, Any]]:
    """What an analytics consumer writes: no notify_common, only the .avsc files and fastavro."""
    by_fingerprint: dict[bytes, Any] = {}
    for path in schemas_dir.glob("*.avsc"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        key = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
        by_fingerprint[key] = parse_schema(schema, named_schemas={})
    assert message[:2] == b"\xc3\x01"
    writer = by_fingerprint[message[2:10]]
    record: dict[str, Any] = fastavro.schemaless_reader(io.BytesIO(message[10:]), writer, None)  # type: ignore[assignment]
    return writer["name"], record


def test_an_outside_consumer_decodes_a_message_with_only_the_schema_files_and_fastavro() -> None:
    event = FULL_SAMPLES[1]

    name, record = _outside_consumer_decode(SCHEMAS, codec.encode(event))

    assert name == "uk.notify.events.EmailRequested"
    assert record["notification_id"] == NOTIFICATION
    assert record["email_address"] == "someone@example.com"
    assert record["occurred_at"] == WHEN
    assert record["one_click_unsubscribe_url"] == "https://example.gov.uk/unsubscribe/abc"


# --- evolution: every archived schema stays compatible --------------------------------------


def _archived() -> list[Path]:
    return sorted(HISTORY.glob("*.avsc"))


def _value(avro_type: Any, variant: int) -> Any:
    """A value of ``avro_type``; variants alternate union branches and walk every enum symbol."""
    if isinstance(avro_type, list):
        branches = [b for b in avro_type if b != "null"]
        return None if variant % 2 == 0 and "null" in avro_type else _value(branches[0], variant)
    if isinstance(avro_type, dict):
        if avro_type.get("logicalType") == "timestamp-micros":
            return WHEN + timedelta(days=variant, microseconds=variant)
        if avro_type["type"] == "enum":
            return avro_type["symbols"][variant % len(avro_type["symbols"])]
        if avro_type["type"] == "array":
            return [_value(avro_type["items"], variant + i) for i in range(variant % 3 + 1)]
        return _value(avro_type["type"], variant)
    primitives: dict[str, Any] = {
        "string": f"value-{variant}",
        "int": variant * 1_000 - 3,
        "long": variant * 10**12,
        "boolean": variant % 2 == 1,
    }
    return primitives[avro_type]


def _records(schema: dict[str, Any]) -> list[dict[str, Any]]:
    enum_sizes = [len(n["symbols"]) for n in _named_types(schema) if n["type"] == "enum"]
    count = max([2, *enum_sizes]) * 2
    return [{f["name"]: _value(f["type"], v) for f in schema["fields"]} for v in range(count)]


def _incompatibilities(writer: dict[str, Any], reader: dict[str, Any]) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty when it can)."""
    parsed_writer = parse_schema(copy.deepcopy(writer), named_schemas={})
    parsed_reader = parse_schema(copy.deepcopy(reader), named_schemas={})
    problems = []
    for record in _records(writer):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed_writer, record)
        buffer.seek(0)
        try:
            fastavro.schemaless_reader(buffer, parsed_writer, parsed_reader)
        except Exception as error:  # each resolution error is a finding
            problems.append(f"{type(error).__name__}: {error}")
    return problems


def _current_for(archived: dict[str, Any]) -> dict[str, Any]:
    return _load(SCHEMAS / f"{archived['name']}.avsc")


def test_history_file_names_carry_the_record_name_and_a_version() -> None:
    assert _archived(), "schemas/history/ must hold the archived versions"
    for path in _archived():
        match = re.fullmatch(r"(\w+)\.v(\d+)\.avsc", path.name)
        assert match, path.name
        assert _load(path)["name"] == match.group(1), path.name
        assert (SCHEMAS / f"{match.group(1)}.avsc").exists(), f"{path.name} archives no current event"


def _without_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k != "doc"}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def test_every_current_schema_is_archived_in_history() -> None:
    archived = [_without_docs(_load(p)) for p in _archived()]
    for name, schema in _current_schemas().items():
        assert _without_docs(schema) in archived, (
            f"copy schemas/{name}.avsc to schemas/history/{name}.vN.avsc"
        )


def test_history_holds_an_older_version_that_differs_from_the_current_one() -> None:
    older = [p for p in _archived() if _without_docs(_load(p)) != _without_docs(_current_for(_load(p)))]

    assert older, "the compatibility tests would only ever compare a schema with itself"


@pytest.mark.parametrize("path", _archived(), ids=lambda p: p.name)
def test_data_written_with_every_archived_schema_decodes_with_the_current_schemas(path: Path) -> None:
    archived = _load(path)
    current = _current_for(archived)
    current_fields = {f["name"]: f for f in current["fields"]}
    parsed = parse_schema(copy.deepcopy(archived), named_schemas={})
    header = b"\xc3\x01" + struct.pack("<Q", _crc64_avro(to_parsing_canonical_form(archived).encode()))

    for record in _records(archived):
        buffer = io.BytesIO(header)
        buffer.seek(len(header))
        fastavro.schemaless_writer(buffer, parsed, record)

        event = codec.decode(buffer.getvalue())

        assert event.schema_name == archived["name"]
        for name, written in record.items():
            if name not in current_fields:
                continue  # a field since removed (it had a default) is dropped by the reader
            decoded = getattr(event, name)
            avro_type = current_fields[name]["type"]
            if (
                isinstance(avro_type, dict)
                and avro_type["type"] == "enum"
                and written not in avro_type["symbols"]
            ):
                assert decoded == avro_type["default"], name
            elif isinstance(decoded, tuple):
                assert list(decoded) == written, name
            else:
                assert decoded == written, name
        for name, f in current_fields.items():
            if name not in record:
                assert getattr(event, name) == f["default"], name


@pytest.mark.parametrize("path", _archived(), ids=lambda p: p.name)
def test_current_schemas_read_archived_data_and_archived_schemas_read_current_data(path: Path) -> None:
    archived = _load(path)
    current = _current_for(archived)

    assert _incompatibilities(archived, current) == []
    assert _incompatibilities(current, archived) == []


def _with_field(schema: dict[str, Any], new_field: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(schema)
    changed["fields"].append(new_field)
    return changed


def test_the_check_fails_for_a_new_field_without_a_default() -> None:
    old = _load(HISTORY / "NotificationFailed.v1.avsc")
    new = _with_field(old, {"name": "retry_count", "type": "int"})

    assert _incompatibilities(old, new) != []


def test_the_check_fails_for_a_renamed_field() -> None:
    old = _load(HISTORY / "ComplaintReceived.v1.avsc")
    new = copy.deepcopy(old)
    next(f for f in new["fields"] if f["name"] == "complaint_id")["name"] = "complaint_uuid"

    assert _incompatibilities(old, new) != []


def test_the_check_fails_for_a_new_symbol_in_an_enum_without_a_default() -> None:
    old = _load(HISTORY / "CallbackAttempted.v1.avsc")
    new = copy.deepcopy(old)
    next(f for f in new["fields"] if f["name"] == "outcome")["type"]["symbols"].append("abandoned")

    assert _incompatibilities(old, new) == []  # new readers read old data ...
    assert _incompatibilities(new, old) != []  # ... but old readers cannot read new data


def test_the_check_accepts_a_new_nullable_field_with_a_default() -> None:
    old = _load(HISTORY / "NotificationFailed.v1.avsc")
    new = _with_field(old, {"name": "retry_count", "type": ["null", "int"], "default": None})

    assert _incompatibilities(old, new) == []
    assert _incompatibilities(new, old) == []


def test_the_codec_refuses_archived_data_its_current_schema_cannot_resolve(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    archived = _load(SCHEMAS / "NotificationPending.avsc")  # the version the data below is written with
    incompatible = _with_field(archived, {"name": "status_code", "type": "string"})
    (tmp_path / "NotificationPending.avsc").write_text(json.dumps(incompatible))
    (tmp_path / "history" / "NotificationPending.v9.avsc").write_text(json.dumps(archived))
    strict = codec.EventCodec(tmp_path, event_types=(NotificationPending,))
    data = codec.encode(NotificationPending(service_id=SERVICE, notification_id=NOTIFICATION, provider="mmg"))

    with pytest.raises(Exception, match="status_code"):
        strict.decode(data)


def test_event_ids_are_fresh_uuids() -> None:
    assert new_event_id() != new_event_id()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", new_event_id()
    )
