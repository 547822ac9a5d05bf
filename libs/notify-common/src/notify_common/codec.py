"""The wire format of every event: Avro single-object encoding, with the schemas of ``schemas/``.

A message is ``C3 01``, then the 8-byte little-endian CRC-64-AVRO fingerprint of the writer
schema's Parsing Canonical Form, then the Avro binary body (see docs/events.md). The decoder knows
every current schema and every archived one in ``schemas/history/`` by fingerprint, and resolves
an archived writer schema to the current one, so old messages on a topic still decode after a
compatible schema change.

Schemas are found in ``$NOTIFY_SCHEMAS_DIR`` if set, else in the ``schemas/`` directory of the
nearest ancestor of this file (the repository root in a checkout), else of the working directory.
They are parsed once, on first use.
"""

from __future__ import annotations

import enum
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any, cast, get_type_hints

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from notify_common import codec_generated
from notify_common.events import EVENT_TYPES, Event

MAGIC = b"\xc3\x01"
HEADER_LENGTH = len(MAGIC) + 8
SCHEMAS_DIR_ENV = "NOTIFY_SCHEMAS_DIR"


class UnknownSchemaError(ValueError):
    """The bytes are not single-object encoded, or their writer schema is not one we know."""


def schema_fingerprint(schema: dict[str, Any]) -> bytes:
    """The 8-byte little-endian CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form."""
    # fastavro prints the 64-bit CRC as hex of its little-endian bytes, the order the spec wants.
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def find_schemas_dir() -> Path:
    """Where the ``.avsc`` files are: ``$NOTIFY_SCHEMAS_DIR``, or ``schemas/`` of an ancestor."""
    configured = os.environ.get(SCHEMAS_DIR_ENV)
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise FileNotFoundError(f"{SCHEMAS_DIR_ENV}={configured} is not a directory")
        return path
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for directory in (start, *start.parents):
            candidate = directory / "schemas"
            if candidate.is_dir() and any(candidate.glob("*.avsc")):
                return candidate
    raise FileNotFoundError(f"no schemas/ directory found; set {SCHEMAS_DIR_ENV} to the event schemas")


@dataclass(frozen=True, slots=True)
class _Writer:
    """How to turn one event type into bytes."""

    header: bytes
    schema: dict[str, Any]
    names: tuple[str, ...]
    values: Callable[[Event], Any]
    timestamps: tuple[str, ...]
    # The schema's own encoder (see _compile), or None where fastavro writes the body.
    fields: tuple[_Put, ...] | None
    # The same encoder as one function (codec_generated), or None where there is no such encoder.
    generated: Callable[[Event], bytes] | None = None


@dataclass(frozen=True, slots=True)
class _Reader:
    """How to turn the body written with one known writer schema into an event."""

    event_type: type[Event]
    writer_schema: dict[str, Any]
    reader_schema: dict[str, Any] | None  # None when the writer schema is the current one
    conversions: tuple[tuple[str, Callable[[Any], Any]], ...]
    build: Callable[[dict[str, Any]], Event]
    # The schema's own decoder (see _compile), or None where fastavro reads the body.
    fields: tuple[tuple[str, _Step], ...] | None = None
    # How decode sets each slot of the event from the schema's own decoder, field by field in the
    # schema's order (see _slots), or None where it builds the event from the decoded record.
    slots: tuple[tuple[Callable[[Any, Any], None], _Step], ...] | None = None
    # What decode makes with the slots, as one function (codec_generated), or None without slots.
    generated: Callable[[bytes], Event] | None = None


def _conversions(event_type: type[Event]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Fields whose decoded Avro value needs turning into its Python type (enums, arrays)."""
    hints = get_type_hints(event_type)
    result: list[tuple[str, Callable[[Any], Any]]] = []
    for f in fields(event_type):
        hint = hints[f.name]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            result.append((f.name, _enum_of(hint)))
        elif getattr(hint, "__origin__", None) is tuple:
            result.append((f.name, tuple))
    return tuple(result)


def _enum_of(enum_type: type[enum.Enum]) -> Callable[[Any], Any]:
    """``enum_type(value)``, by a dict lookup for the members' own values (calling an enum class
    costs about ten times as much); any other value goes to the class as before."""
    members = {member.value: member for member in enum_type}

    def convert(value: Any) -> Any:
        member = members.get(value) if isinstance(value, str) else None
        return member if member is not None else enum_type(value)

    return convert


def _builder(event_type: type[Event], schema: dict[str, Any]) -> Callable[[dict[str, Any]], Event]:
    """Makes the event from a decoded record of ``schema`` (the current schema of its type).

    When the record's fields are exactly the event's, the event is made by setting its slots
    directly: what the frozen dataclass's ``__init__`` does with keyword arguments that are all
    given, at half the cost (the record always holds every field of the schema, so no default is
    needed). Otherwise the ``__init__`` is called, and its ``TypeError`` is the caller's."""
    names = tuple(f.name for f in fields(event_type))
    if set(names) != {f["name"] for f in schema["fields"]} or hasattr(event_type, "__post_init__"):
        return lambda record: event_type(**record)
    setters = tuple(getattr(event_type, name).__set__ for name in names)
    new = object.__new__

    def build(record: dict[str, Any]) -> Event:
        event = new(event_type)
        for name, set_ in zip(names, setters, strict=True):
            set_(event, record[name])
        return event

    return build


def _timestamps(event_type: type[Event]) -> tuple[str, ...]:
    hints = get_type_hints(event_type)
    return tuple(f.name for f in fields(event_type) if datetime in (hints[f.name], *_args(hints[f.name])))


def _args(hint: Any) -> tuple[Any, ...]:
    return tuple(getattr(hint, "__args__", ()))


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        raw: dict[str, Any] = json.load(file)
    return raw


def _parse(raw: dict[str, Any]) -> dict[str, Any]:
    # Each file gets its own names: Channel is declared (identically) in more than one schema.
    return cast(dict[str, Any], parse_schema(raw, named_schemas={}))


def _short_name(raw: dict[str, Any]) -> str:
    return str(raw["name"]).rsplit(".", 1)[-1]


def _without_timestamps(schema: Any) -> Any:
    """``schema`` with every ``timestamp-micros`` read as the plain ``long`` it is written as."""
    if isinstance(schema, dict):
        if schema.get("logicalType") == "timestamp-micros":
            return "long"
        return {key: _without_timestamps(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_without_timestamps(item) for item in schema]
    return schema


class EventCodec:
    """Encodes and decodes events with the schemas of one directory."""

    def __init__(self, schemas_dir: Path, event_types: Iterable[type[Event]] = EVENT_TYPES) -> None:
        self.schemas_dir = schemas_dir
        self._writers: dict[type[Event], _Writer] = {}
        self._readers: dict[bytes, _Reader] = {}
        # For decode_record(raw_timestamps=True): the schemas as read from disk, and readers of
        # them with timestamps left as longs (built on first use).
        self._raw_schemas: dict[bytes, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self._micros_readers: dict[bytes, _Reader] = {}
        # For peek_field: by (fingerprint, field name), how to reach the field (built on first use).
        self._field_plans: dict[tuple[bytes, str], _FieldPlan | str] = {}
        current: dict[str, tuple[type[Event], dict[str, Any]]] = {}
        current_raw: dict[str, dict[str, Any]] = {}
        helpers = _generated_helpers()
        for event_type in event_types:
            raw = _load(schemas_dir / f"{event_type.schema_name}.avsc")
            schema = _parse(raw)
            names = tuple(f.name for f in fields(event_type))
            header = MAGIC + schema_fingerprint(raw)
            compiled = _compile(raw, event_type.__name__)
            self._writers[event_type] = _Writer(
                header,
                schema,
                names,
                attrgetter(*names),
                _timestamps(event_type),
                None if compiled is None else compiled[0],
                # Generated where the event's fields are the schema's, in its order: what the step
                # writers, given the event's fields in order, write (else they stay in use).
                None
                if compiled is None or names != tuple(f["name"] for f in raw["fields"])
                else codec_generated.encoder(event_type, raw, compiled[0], helpers, header),
            )
            conversions = _conversions(event_type)
            slots = None if compiled is None else _slots(event_type, compiled[1], conversions)
            self._readers[header[2:]] = _Reader(
                event_type,
                schema,
                None,
                conversions,
                _builder(event_type, schema),
                None if compiled is None else compiled[1],
                slots,
                None
                if compiled is None or slots is None
                else codec_generated.decoder(
                    event_type,
                    raw,
                    [read for _, read in compiled[1]],
                    dict(conversions),
                    helpers,
                    HEADER_LENGTH,
                ),
            )
            self._raw_schemas[header[2:]] = (raw, None)
            current[_short_name(raw)] = (event_type, schema)
            current_raw[_short_name(raw)] = raw
        history = schemas_dir / "history"
        for path in sorted(history.glob("*.avsc")) if history.is_dir() else ():
            raw = _load(path)
            key = schema_fingerprint(raw)
            if key in self._readers:
                continue  # the archived copy of a current schema
            if _short_name(raw) not in current:
                raise ValueError(f"{path} archives {raw['name']}, which is no current event")
            event_type, reader_schema = current[_short_name(raw)]
            conversions, build = _conversions(event_type), _builder(event_type, reader_schema)
            self._readers[key] = _Reader(event_type, _parse(raw), reader_schema, conversions, build)
            self._raw_schemas[key] = (raw, current_raw[_short_name(raw)])

    def fingerprint_of(self, event_type: type[Event]) -> bytes:
        """The fingerprint the current schema of ``event_type`` is written with."""
        return self._writers[event_type].header[2:]

    def encode(self, event: Event) -> bytes:
        writer = self._writers.get(type(event))
        if writer is None:
            raise TypeError(f"{type(event).__name__} is not an event type of this codec")
        if writer.generated is not None:
            return writer.generated(event)
        if writer.fields is not None:
            out = bytearray(writer.header)
            for put, value in zip(writer.fields, writer.values(event), strict=True):
                put(out, value)
            return bytes(out)
        for name in writer.timestamps:
            value = getattr(event, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{type(event).__name__}.{name} must be timezone-aware")
        buffer = io.BytesIO()
        buffer.write(writer.header)
        schemaless_writer(buffer, writer.schema, dict(zip(writer.names, writer.values(event), strict=True)))
        return buffer.getvalue()

    def _reader(self, data: bytes) -> _Reader:
        if data[:2] != MAGIC or len(data) < HEADER_LENGTH:
            raise UnknownSchemaError("not an Avro single-object encoded message")
        reader = self._readers.get(bytes(data[2:HEADER_LENGTH]))
        if reader is None:
            raise UnknownSchemaError(f"unknown schema fingerprint {bytes(data[2:HEADER_LENGTH]).hex()}")
        return reader

    def decode(self, data: bytes) -> Event:
        reader = self._reader(data)
        if reader.generated is not None:
            return reader.generated(data)
        if reader.slots is not None:
            return _event(data, reader, reader.slots)
        record = _body(data, reader)
        try:
            for name, convert in reader.conversions:
                record[name] = convert(record[name])
            return reader.build(record)
        except (TypeError, OverflowError) as exc:
            raise ValueError(f"message body does not make a {reader.event_type.schema_name}") from exc

    def decode_record(
        self, data: bytes, *, raw_timestamps: bool = False
    ) -> tuple[type[Event], dict[str, Any]]:
        """A fast path for bulk readers: the event type and its field values, without building the
        event. Values are as Avro decodes them: timestamps are aware datetimes (with
        ``raw_timestamps``, microseconds since the Unix epoch as ``int``, which is about twice as
        fast), enums are their symbols (``str``) and arrays are lists. Raises like ``decode``."""
        reader = self._micros_reader(data) if raw_timestamps else self._reader(data)
        return reader.event_type, _body(data, reader)

    def _micros_reader(self, data: bytes) -> _Reader:
        known = self._micros_readers.get(bytes(data[2:HEADER_LENGTH]))
        if known is not None and data[:2] == MAGIC:
            return known
        reader = self._reader(data)
        key = bytes(data[2:HEADER_LENGTH])
        writer, current = self._raw_schemas[key]
        compiled = (
            None if current is not None else _compile(writer, reader.event_type.__name__, raw_timestamps=True)
        )
        self._micros_readers[key] = _Reader(
            reader.event_type,
            _parse(_without_timestamps(writer)),
            None if current is None else _parse(_without_timestamps(current)),
            reader.conversions,
            reader.build,
            None if compiled is None else compiled[1],
        )
        return self._micros_readers[key]

    def event_type_name(self, data: bytes) -> str:
        return self._reader(data).event_type.schema_name

    def peek(self, data: bytes) -> tuple[type[Event], str]:
        """The event type and service id of a message, read from its header and the start of its
        body without decoding the rest: every schema, current or archived, starts with the
        envelope (``event_id`` string, ``notification_id`` null or string, ``service_id``
        string), so a consumer can pass over a record by these two alone. Raises like ``decode``
        (``ValueError``) for bytes that are no message of a known schema."""
        event_type = self._reader(data).event_type
        offset = _skip_string(data, HEADER_LENGTH)
        branch, offset = _long(data, offset)
        if branch == 1:
            offset = _skip_string(data, offset)
        elif branch != 0:
            raise ValueError("notification_id is neither null nor a string")
        length, offset = _long(data, offset)
        end = offset + length
        if length < 0 or end > len(data):
            raise ValueError("service_id runs past the message")
        return event_type, bytes(data[offset:end]).decode()

    def peek_field(self, data: bytes, name: str) -> Any:
        """The value of the field ``name`` of a message, read by passing over the fields before it
        instead of decoding the whole body: for a consumer that can tell from one field near the
        start (a status's ``international``, say) that a record asks nothing of it. The value is
        the one ``decode`` gives the field, read with the message's own writer schema, current or
        archived. Only a string, a number, a boolean or a null union of these is read, and only
        behind fields of such types, enums and timestamps; anything else, a message of a schema
        without the field, or bytes that are no message, is a ``ValueError``."""
        self._reader(data)
        key = (bytes(data[2:HEADER_LENGTH]), name)
        plan = self._field_plans.get(key)
        if plan is None:
            plan = self._field_plans[key] = _field_plan(self._raw_schemas[key[0]][0], name)
        if isinstance(plan, str):
            raise ValueError(plan)
        offset = HEADER_LENGTH
        for step in plan.before:
            offset = step(data, offset)[1]
        return plan.read(data, offset)[0]


# How peek_field lays out a value: a primitive's name ("int" and "long" alike), "enum", "timestamp"
# (a long with a logical type, passed over but not read) or the branches of a union.
_Kind = str | tuple[Any, ...]
_READABLE = frozenset({"null", "boolean", "int", "long", "string"})
_SKIPPABLE = _READABLE | {"float", "double", "bytes", "enum", "timestamp"}
# Reads (or passes over) one value at an offset: its value (None where it is not read) and the
# offset after it.
_Step = Callable[[bytes, int], tuple[Any, int]]
# The last byte of a variable-length number is the first without its high bit.
_NUMBER_END = re.compile(rb"[\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    before: tuple[_Step, ...]
    read: _Step


def _field_plan(schema: dict[str, Any], name: str) -> _FieldPlan | str:
    """How to reach field ``name`` of a record ``schema`` (as read from its file), or why not."""
    enums: set[str] = set()
    before: list[_Step] = []
    for field_ in schema["fields"]:
        kind = _kind(field_["type"], enums)
        if field_["name"] == name:
            if kind is None or not _readable(kind):
                return f"field {name} of {schema['name']} cannot be read without decoding"
            return _FieldPlan(tuple(before), _step(kind, _READ))
        if kind is None:
            return f"field {name} of {schema['name']} lies behind one that cannot be passed over"
        before.append(_step(kind, _PASS))
    return f"{schema['name']} has no field {name}"


def _kind(schema: Any, enums: set[str]) -> _Kind | None:
    if isinstance(schema, list):
        branches = tuple(_kind(branch, enums) for branch in schema)
        return None if None in branches else branches
    if isinstance(schema, dict):
        if schema.get("type") == "enum":
            enums.update({schema["name"], f"{schema.get('namespace')}.{schema['name']}"})
            return "enum"
        if schema.get("logicalType") is not None:
            return "timestamp" if schema.get("type") in ("int", "long") else None
        return _kind(schema.get("type"), enums)
    if schema in _SKIPPABLE:
        return str(schema)
    return "enum" if schema in enums else None


def _readable(kind: _Kind) -> bool:
    return all(_readable(k) for k in kind) if isinstance(kind, tuple) else kind in _READABLE


def _step(kind: _Kind, steps: dict[str, _Step]) -> _Step:
    if isinstance(kind, tuple):
        branches = tuple(_step(k, steps) for k in kind)

        def union(data: bytes, offset: int) -> tuple[Any, int]:
            branch, offset = _long(data, offset)
            if not 0 <= branch < len(branches):
                raise ValueError("a union branch out of range")
            return branches[branch](data, offset)

        return union
    return steps[kind]


def _number(data: bytes, offset: int) -> tuple[Any, int]:
    return _long(data, offset)


def _passed_number(data: bytes, offset: int) -> tuple[Any, int]:
    found = _NUMBER_END.search(data, offset, offset + 10)
    if found is None:
        raise ValueError("a number runs past the message")
    return None, found.end()


def _text(data: bytes, offset: int) -> tuple[Any, int]:
    length, offset = _long(data, offset)
    end = offset + length
    if length < 0 or end > len(data):
        raise ValueError("a string runs past the message")
    return bytes(data[offset:end]).decode(), end


def _passed_text(data: bytes, offset: int) -> tuple[Any, int]:
    return None, _skip_string(data, offset)


def _boolean(data: bytes, offset: int) -> tuple[Any, int]:
    if offset >= len(data):
        raise ValueError("a boolean runs past the message")
    return data[offset] != 0, offset + 1


def _fixed(size: int) -> _Step:
    def passed(data: bytes, offset: int) -> tuple[Any, int]:
        if offset + size > len(data):
            raise ValueError("a number runs past the message")
        return None, offset + size

    return passed


def _null(data: bytes, offset: int) -> tuple[Any, int]:
    return None, offset


# Reading the field asked for, and passing over the fields before it.
_READ: dict[str, _Step] = {
    "null": _null, "boolean": _boolean, "int": _number, "long": _number, "string": _text,
}  # fmt: skip
_PASS: dict[str, _Step] = {
    "null": _null, "boolean": _boolean, "int": _passed_number, "long": _passed_number,
    "string": _passed_text, "bytes": _passed_text, "enum": _passed_number, "timestamp": _passed_number,
    "float": _fixed(4), "double": _fixed(8),
}  # fmt: skip


def _long(data: bytes, offset: int) -> tuple[int, int]:
    """An Avro ``int`` or ``long`` (zig-zag variable-length) at ``offset``, and the offset after it."""
    if offset < len(data) and data[offset] < 0x80:  # one byte: every length of an id
        byte = data[offset]
        return (byte >> 1) ^ -(byte & 1), offset + 1
    value = shift = 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("a number runs past the message")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (value >> 1) ^ -(value & 1), offset
        shift += 7


def _skip_string(data: bytes, offset: int) -> int:
    length, offset = _long(data, offset)
    if length < 0 or offset + length > len(data):
        raise ValueError("a string runs past the message")
    return offset + length


def _slots(
    event_type: type[Event],
    reads: tuple[tuple[str, _Step], ...],
    conversions: tuple[tuple[str, Callable[[Any], Any]], ...],
) -> tuple[tuple[Callable[[Any, Any], None], _Step], ...] | None:
    """For each field of the schema, the event's slot and how to read its value, converted as
    decode converts it; None where _builder would call the ``__init__`` instead."""
    names = {f.name for f in fields(event_type)}
    if names != {name for name, _ in reads} or hasattr(event_type, "__post_init__"):
        return None
    converters = dict(conversions)
    return tuple(
        (
            getattr(event_type, name).__set__,
            _converted(read, converters[name]) if name in converters else read,
        )
        for name, read in reads
    )


def _converted(read: _Step, convert: Callable[[Any], Any]) -> _Step:
    def converted(data: bytes, offset: int) -> tuple[Any, int]:
        value, offset = read(data, offset)
        return convert(value), offset

    return converted


def _event(
    data: bytes, reader: _Reader, slots: tuple[tuple[Callable[[Any, Any], None], _Step], ...]
) -> Event:
    """decode with the schema's own decoder: the event made as _builder makes it from the record
    _body reads, without the record, and refused with the same errors."""
    if type(data) is not bytes:
        data = bytes(data)
    event = object.__new__(reader.event_type)
    offset = HEADER_LENGTH
    try:
        for set_, read in slots:
            value, offset = read(data, offset)
            set_(event, value)
    except (ValueError, IndexError, OverflowError, TypeError) as exc:
        name, error = reader.event_type.schema_name, type(exc).__name__
        raise ValueError(f"message body is not a {name}: {error}") from exc
    if offset != len(data):
        raise ValueError(f"{len(data) - offset} bytes left over after the message body")
    return event


def _body(data: bytes, reader: _Reader) -> dict[str, Any]:
    """The Avro body of a message as a dict; bytes that are no body of its schema (cut short, an
    index out of range, bytes left over) are a ``ValueError``, the error consumers dead-letter."""
    if reader.fields is not None:
        if type(data) is not bytes:  # the readers slice and decode bytes
            data = bytes(data)
        record = {}
        offset = HEADER_LENGTH
        try:
            for name, read in reader.fields:
                record[name], offset = read(data, offset)
        except (ValueError, IndexError, OverflowError, TypeError) as exc:
            name, error = reader.event_type.schema_name, type(exc).__name__
            raise ValueError(f"message body is not a {name}: {error}") from exc
        if offset != len(data):
            raise ValueError(f"{len(data) - offset} bytes left over after the message body")
        return record
    buffer = io.BytesIO(data)
    buffer.seek(HEADER_LENGTH)
    try:
        record = cast(dict[str, Any], schemaless_reader(buffer, reader.writer_schema, reader.reader_schema))
    except (EOFError, IndexError, OverflowError, TypeError) as exc:
        name, error = reader.event_type.schema_name, type(exc).__name__
        raise ValueError(f"message body is not a {name}: {error}") from exc
    if buffer.tell() != len(data):
        raise ValueError(f"{len(data) - buffer.tell()} bytes left over after the message body")
    return record


@cache
def default_codec() -> EventCodec:
    """The codec over the platform's schemas, built on first use."""
    return EventCodec(find_schemas_dir())


def encode(event: Event) -> bytes:
    """The single-object encoding of ``event`` with its current schema."""
    return default_codec().encode(event)


def decode(data: bytes) -> Event:
    """The event in ``data``, written with a current or an archived schema."""
    return default_codec().decode(data)


def decode_record(data: bytes, *, raw_timestamps: bool = False) -> tuple[type[Event], dict[str, Any]]:
    """The event type and field values of ``data`` without building the event (see
    ``EventCodec.decode_record``): for bulk readers such as the projector's rebuild."""
    return default_codec().decode_record(data, raw_timestamps=raw_timestamps)


def event_type_name(data: bytes) -> str:
    """The event type (e.g. ``"SmsRequested"``) of a message, from its fingerprint alone."""
    return default_codec().event_type_name(data)


def peek(data: bytes) -> tuple[type[Event], str]:
    """The event type and service id of a message without decoding its body (``EventCodec.peek``)."""
    return default_codec().peek(data)


def peek_field(data: bytes, name: str) -> Any:
    """One field of a message near the start of its body, without decoding the rest
    (``EventCodec.peek_field``)."""
    return default_codec().peek_field(data, name)


# The schemas' own encoders and decoders. fastavro walks a parsed schema for every message, which
# costs more than the body itself for records of strings, numbers and nullable fields; these are
# built once per schema from the few Avro types the events use, and write and read the bytes
# fastavro does (tests compare them over every schema). A schema with any other type, and every
# archived schema (read by resolving it to the current one), is left to fastavro.

# Writes one value onto the message.
_Put = Callable[[bytearray, Any], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
# The zig-zag encodings of the numbers that fit in one byte, by number + 64.
_ONE_BYTE = tuple(bytes(((n << 1) ^ (n >> 63),)) for n in range(-64, 64))


def _zigzag(value: int) -> bytes:
    """An Avro ``long``: zig-zag, then 7 bits a byte, low first."""
    if -64 <= value < 64:
        return _ONE_BYTE[value + 64]
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise OverflowError(f"{value} does not fit in an Avro long")
    number = (value << 1) ^ (value >> 63)
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _put_long(out: bytearray, value: Any) -> None:
    out += _zigzag(value)


def _put_string(out: bytearray, value: Any) -> None:
    data = value.encode()
    out += _zigzag(len(data))
    out += data


def _put_boolean(out: bytearray, value: Any) -> None:
    out.append(1 if value else 0)


def _put_timestamp(event_name: str, field_name: str) -> _Put:
    def put(out: bytearray, value: Any) -> None:
        if not isinstance(value, datetime):
            out += _zigzag(value)
            return
        if value.tzinfo is None:
            raise ValueError(f"{event_name}.{field_name} must be timezone-aware")
        delta = value - _EPOCH
        out += _zigzag((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)

    return put


def _put_enum(symbols: list[str]) -> _Put:
    index = {symbol: _zigzag(i) for i, symbol in enumerate(symbols)}

    def put(out: bytearray, value: Any) -> None:
        found = index.get(value)
        if found is None:
            raise ValueError(f"{value!r} is not a symbol of {symbols}")
        out += found

    return put


def _put_array(items: _Put) -> _Put:
    def put(out: bytearray, value: Any) -> None:
        if value:
            out += _zigzag(len(value))
            for item in value:
                items(out, item)
        out.append(0)

    return put


def _put_nullable(put: _Put) -> _Put:
    """A union of null (first) and one other type."""

    def nullable(out: bytearray, value: Any) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(2)
            put(out, value)

    return nullable


def _timestamp_micros(data: bytes, offset: int) -> tuple[int, int]:
    """``_long`` for a timestamp: the microseconds of every instant from late 1978 to 3111 are written
    in 8 bytes, which are read here as one integer whose 7-bit groups are then closed up by
    shifts and masks, at half the cost of a loop over the bytes; any other length is ``_long``'s."""
    end = offset + 8
    number = int.from_bytes(data[offset:end], "little")
    if number & 0x8080808080808080 != 0x0080808080808080 or end > len(data):
        return _long(data, offset)
    number &= 0x7F7F7F7F7F7F7F7F
    number = (number & 0x007F007F007F007F) | ((number >> 1) & 0x3F803F803F803F80)
    number = (number & 0x00003FFF00003FFF) | ((number >> 2) & 0x0FFFC0000FFFC000)
    number = (number & 0x0FFFFFFF) | ((number >> 4) & 0x00FFFFFFF0000000)
    return (number >> 1) ^ -(number & 1), end


# Below 2**32 seconds after the epoch (to 2106; the bound leaves a margin) the seconds as a float,
# ``micros / 1_000_000`` (correctly rounded), are within half a microsecond of the instant, so
# ``fromtimestamp``, which rounds to the microsecond, makes exactly the instant ``_EPOCH + timedelta``
# makes, in one call at under half its cost; every other instant takes the exact way.
_FLOAT_EXACT_MICROS = 4_000_000_000_000_000
_from_seconds = datetime.fromtimestamp


def _read_timestamp(data: bytes, offset: int) -> tuple[Any, int]:
    micros, offset = _timestamp_micros(data, offset)
    if 0 <= micros < _FLOAT_EXACT_MICROS:
        return _from_seconds(micros / 1_000_000, UTC), offset
    return _EPOCH + timedelta(microseconds=micros), offset


def _read_enum(symbols: list[str]) -> _Step:
    def read(data: bytes, offset: int) -> tuple[Any, int]:
        index, offset = _long(data, offset)
        if not 0 <= index < len(symbols):
            raise ValueError("an enum index out of range")
        return symbols[index], offset

    return read


def _read_array(items: _Step) -> _Step:
    def read(data: bytes, offset: int) -> tuple[Any, int]:
        result: list[Any] = []
        while True:
            count, offset = _long(data, offset)
            if count == 0:
                return result, offset
            if count < 0:  # a block that gives its size in bytes too
                count = -count
                offset = _long(data, offset)[1]
            if count > len(data) - offset:  # every item takes a byte at least
                raise ValueError("an array runs past the message")
            for _ in range(count):
                item, offset = items(data, offset)
                result.append(item)

    return read


def _read_nullable(read: _Step) -> _Step:
    def nullable(data: bytes, offset: int) -> tuple[Any, int]:
        if offset >= len(data):
            raise ValueError("a union runs past the message")
        branch = data[offset]
        if branch == 0:
            return None, offset + 1
        if branch == 2:
            return read(data, offset + 1)
        branch, offset = _long(data, offset)  # a longer encoding of the same two numbers
        if branch == 0:
            return None, offset
        if branch == 1:
            return read(data, offset)
        raise ValueError("a union branch out of range")

    return nullable


def _read_string(data: bytes, offset: int) -> tuple[Any, int]:
    # _text with the one-byte length of every id and most texts read here, not by a call.
    length = data[offset]
    if length < 0x80:
        length = (length >> 1) ^ -(length & 1)
        offset += 1
    else:
        length, offset = _long(data, offset)
    end = offset + length
    if length < 0 or end > len(data):
        raise ValueError("a string runs past the message")
    return data[offset:end].decode(), end


def _read_nullable_string(data: bytes, offset: int) -> tuple[Any, int]:
    # _read_nullable(_read_string) in one call: the most common field of all.
    branch = data[offset]
    if branch == 0:
        return None, offset + 1
    if branch != 2:
        return _read_nullable(_read_string)(data, offset)
    length = data[offset + 1]
    if length < 0x80:
        length = (length >> 1) ^ -(length & 1)
        offset += 2
    else:
        length, offset = _long(data, offset + 1)
    end = offset + length
    if length < 0 or end > len(data):
        raise ValueError("a string runs past the message")
    return data[offset:end].decode(), end


def _read_boolean(data: bytes, offset: int) -> tuple[Any, int]:
    # fastavro reads any byte but 0 as true.
    if offset >= len(data):
        raise ValueError("a boolean runs past the message")
    return data[offset] != 0, offset + 1


def _read_raw_timestamp(data: bytes, offset: int) -> tuple[Any, int]:
    return _timestamp_micros(data, offset)


def _generated_helpers() -> dict[str, Any]:
    """What the functions of codec_generated call: the codec's own pieces."""
    return {
        "_long": _long, "_micros": _timestamp_micros, "_from_seconds": _from_seconds, "UTC": UTC,
        "_FLOAT_EXACT": _FLOAT_EXACT_MICROS, "_EPOCH": _EPOCH, "_timedelta": timedelta,
        "_zigzag": _zigzag, "_ONE_BYTE": _ONE_BYTE, "_datetime": datetime, "_put_timestamp": _put_timestamp,
    }  # fmt: skip


class _Unsupported(Exception):
    """A type the schema's own encoder and decoder do not handle: fastavro does."""


def _compiled(
    schema: Any, enums: dict[str, list[str]], event_name: str, field_name: str, raw_timestamps: bool
) -> tuple[_Put, _Step]:
    """How to write and read one value of ``schema`` (as read from its file)."""
    if isinstance(schema, list):
        if len(schema) != 2 or schema[0] != "null" or schema[1] == "null":
            raise _Unsupported(f"union {schema}")
        put, read = _compiled(schema[1], enums, event_name, field_name, raw_timestamps)
        return _put_nullable(put), _read_nullable_string if read is _read_string else _read_nullable(read)
    if isinstance(schema, dict):
        kind, logical = schema.get("type"), schema.get("logicalType")
        if logical == "timestamp-micros" and kind == "long":
            read = _read_raw_timestamp if raw_timestamps else _read_timestamp
            return _put_timestamp(event_name, field_name), read
        if logical is not None:
            raise _Unsupported(f"logical type {logical}")
        if kind == "enum":
            symbols = list(schema["symbols"])
            namespace = schema.get("namespace")
            enums[schema["name"]] = symbols
            if namespace:
                enums[f"{namespace}.{schema['name']}"] = symbols
            return _put_enum(symbols), _read_enum(symbols)
        if kind == "array":
            put, read = _compiled(schema["items"], enums, event_name, field_name, raw_timestamps)
            return _put_array(put), _read_array(read)
        if isinstance(kind, str) and kind not in ("record", "map", "fixed", "error"):
            return _compiled(kind, enums, event_name, field_name, raw_timestamps)
        raise _Unsupported(f"type {kind}")
    if schema in ("int", "long"):
        return _put_long, _number
    if schema == "string":
        return _put_string, _read_string
    if schema == "boolean":
        return _put_boolean, _read_boolean
    if isinstance(schema, str) and schema in enums:
        return _put_enum(enums[schema]), _read_enum(enums[schema])
    raise _Unsupported(f"type {schema}")


def _compile(
    schema: dict[str, Any], event_name: str, *, raw_timestamps: bool = False
) -> tuple[tuple[_Put, ...], tuple[tuple[str, _Step], ...]] | None:
    """The encoder and decoder of each field of a record ``schema`` (as read from its file), or
    None if a type in it is one they do not handle."""
    enums: dict[str, list[str]] = {}
    puts: list[_Put] = []
    reads: list[tuple[str, _Step]] = []
    try:
        for field_ in schema["fields"]:
            put, read = _compiled(field_["type"], enums, event_name, field_["name"], raw_timestamps)
            puts.append(put)
            reads.append((field_["name"], read))
    except _Unsupported:
        return None
    return tuple(puts), tuple(reads)
