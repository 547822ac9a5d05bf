"""Reading the few fields analytics counts straight from a lifecycle event's Avro bytes.

The shared codec decodes every field of a record (a request's body, recipient and template
included), where analytics needs the envelope, a few times and the channel and provider. For
each schema of the events it counts, current and archived, the reader here walks the record in
its writer's field order, passing over the fields it does not count (a string's length is read,
not its text) and stopping after the last field it does count: what it returns is the record
``EventCodec.decode_record(..., raw_timestamps=True)`` would return, with only those fields.
Fields an archived writer lacks get the default the current schema gives them, as the codec's
schema resolution does. What follows the last counted field is not read, so a record damaged
only there is counted: its counted fields are intact. Bytes cut short or malformed before it are
a ``ValueError``, as the codec's. Messages of other schemas (events analytics does not count) go
to the codec as before.

Each schema's walk is generated as the source of one function (``_compile``), so that a field
passed over costs a few bytecodes rather than a call: read and observe 5.5 µs an event against
8.9 for the codec's full decode (bench/analytics/decode.py).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from notify_analytics.observe import FAILED, REQUESTED_CHANNELS, STATUS_OF_EVENT
from notify_common.codec import HEADER_LENGTH, MAGIC, UnknownSchemaError, find_schemas_dir, schema_fingerprint

COUNTED_EVENTS = frozenset({*STATUS_OF_EVENT, FAILED})
# The one logical type of the schemas, read as its number (microseconds), as the codec's
# ``raw_timestamps`` gives it.
TIMESTAMP = "timestamp-micros"
# What ``observe`` reads of a request, and of a status event. A status event's ``created_at`` is
# left out: only a request's creation time is counted (``PartitionState.apply``).
REQUEST_FIELDS = frozenset(
    {"event_id", "notification_id", "service_id", "occurred_at", "key_type", "created_at"}
)
STATUS_FIELDS = frozenset(
    {
        "event_id",
        "notification_id",
        "service_id",
        "occurred_at",
        "key_type",
        "channel",
        "notification_type",
        "provider",
        "sent_at",
        "delivered_at",
        "failure_kind",
    }
)

# Reads a value at an offset: the value and the offset after it. A pass only returns the offset.
_Read = Callable[[bytes, int], tuple[Any, int]]
_Pass = Callable[[bytes, int], int]


class _Unsupported(Exception):
    """A type the projection does not walk: such a schema's messages go to the codec."""


def _long(data: bytes, offset: int) -> tuple[int, int]:
    """An Avro ``int`` or ``long`` (zig-zag, variable length) and the offset after it."""
    byte = data[offset]
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), offset + 1
    value = byte & 0x7F
    shift = 7
    offset += 1
    while True:
        if shift > 63:
            raise ValueError("a number runs past ten bytes")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (value >> 1) ^ -(value & 1), offset
        shift += 7


def _micros(data: bytes, offset: int) -> tuple[int, int]:
    """``_long`` for a timestamp. Every instant from 1978 to 3111 takes 8 bytes in microseconds:
    read as one little-endian integer, its 7-bit groups are closed up by masks and shifts (three
    steps, each halving the gaps) instead of a loop over the bytes."""
    end = offset + 8
    number = int.from_bytes(data[offset:end], "little")
    if number & 0x8080808080808080 != 0x0080808080808080 or end > len(data):
        return _long(data, offset)
    number &= 0x7F7F7F7F7F7F7F7F
    number = (number & 0x007F007F007F007F) | ((number >> 1) & 0x3F803F803F803F80)
    number = (number & 0x00003FFF00003FFF) | ((number >> 2) & 0x0FFFC0000FFFC000)
    number = (number & 0x0FFFFFFF) | ((number >> 4) & 0x00FFFFFFF0000000)
    return (number >> 1) ^ -(number & 1), end


def _pass_long(data: bytes, offset: int) -> int:
    if data[offset] < 0x80:
        return offset + 1
    return _long(data, offset)[1]


def _pass_string(data: bytes, offset: int) -> int:
    length = data[offset]
    if length < 0x80:
        end = offset + 1 + ((length >> 1) ^ -(length & 1))
    else:
        length, offset = _long(data, offset)
        end = offset + length
    if end < offset or end > len(data):
        raise ValueError("a string runs past the message")
    return end


def _pass_boolean(data: bytes, offset: int) -> int:
    data[offset]
    return offset + 1


def _pass_null(data: bytes, offset: int) -> int:
    return offset


def _read_string(data: bytes, offset: int) -> tuple[Any, int]:
    length = data[offset]
    if length < 0x80:  # one byte: every id's length
        length = (length >> 1) ^ -(length & 1)
        offset += 1
    else:
        length, offset = _long(data, offset)
    end = offset + length
    if length < 0 or end > len(data):
        raise ValueError("a string runs past the message")
    return data[offset:end].decode(), end


def _read_nullable_string(data: bytes, offset: int) -> tuple[Any, int]:
    # The union ["null", "string"] in one call: the commonest counted field.
    branch = data[offset]
    if branch == 0:
        return None, offset + 1
    if branch == 2:
        return _read_string(data, offset + 1)
    return _NULLABLE_STRING(data, offset)  # a longer encoding of the same two numbers, or neither


def _read_long(data: bytes, offset: int) -> tuple[Any, int]:
    return _long(data, offset)


def _read_boolean(data: bytes, offset: int) -> tuple[Any, int]:
    return data[offset] != 0, offset + 1


def _read_null(data: bytes, offset: int) -> tuple[Any, int]:
    return None, offset


def _read_enum(symbols: list[str]) -> _Read:
    def read(data: bytes, offset: int) -> tuple[Any, int]:
        index, offset = _long(data, offset)
        if not 0 <= index < len(symbols):
            raise ValueError("an enum index out of range")
        return symbols[index], offset

    return read


def _pass_enum(symbols: list[str]) -> _Pass:
    def passed(data: bytes, offset: int) -> int:
        index, offset = _long(data, offset)
        if not 0 <= index < len(symbols):
            raise ValueError("an enum index out of range")
        return offset

    return passed


def _pass_fixed(size: int) -> _Pass:
    def passed(data: bytes, offset: int) -> int:
        if offset + size > len(data):
            raise ValueError("a number runs past the message")
        return offset + size

    return passed


def _pass_array(items: _Pass) -> _Pass:
    def passed(data: bytes, offset: int) -> int:
        while True:
            count, offset = _long(data, offset)
            if count == 0:
                return offset
            if count < 0:  # a block that gives its size in bytes too
                count = -count
                offset = _long(data, offset)[1]
            if count > len(data) - offset:  # every item takes a byte at least
                raise ValueError("an array runs past the message")
            for _ in range(count):
                offset = items(data, offset)

    return passed


def _read_union(branches: tuple[_Read, ...]) -> _Read:
    def read(data: bytes, offset: int) -> tuple[Any, int]:
        branch, offset = _long(data, offset)
        if not 0 <= branch < len(branches):
            raise ValueError("a union branch out of range")
        return branches[branch](data, offset)

    return read


def _pass_union(branches: tuple[_Pass, ...]) -> _Pass:
    def passed(data: bytes, offset: int) -> int:
        branch, offset = _long(data, offset)
        if not 0 <= branch < len(branches):
            raise ValueError("a union branch out of range")
        return branches[branch](data, offset)

    return passed


_NULLABLE_STRING = _read_union((_read_null, _read_string))
_PRIMITIVE_READS: dict[str, _Read] = {
    "string": _read_string,
    "int": _read_long,
    "long": _read_long,
    "boolean": _read_boolean,
    "null": _read_null,
}
_PRIMITIVE_PASSES: dict[str, _Pass] = {
    "string": _pass_string,
    "bytes": _pass_string,
    "int": _pass_long,
    "long": _pass_long,
    "boolean": _pass_boolean,
    "null": _pass_null,
    "float": _pass_fixed(4),
    "double": _pass_fixed(8),
}


def _reader(schema: Any, enums: dict[str, list[str]]) -> _Read:
    """How to read a counted field's value as the codec gives it (a timestamp as its microseconds,
    an enum as its symbol)."""
    if schema == ["null", "string"]:
        return _read_nullable_string
    if isinstance(schema, list):
        return _read_union(tuple(_reader(branch, enums) for branch in schema))
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "enum":
            enums[schema["name"]] = schema["symbols"]
            return _read_enum(schema["symbols"])
        if schema.get("logicalType", TIMESTAMP) != TIMESTAMP:
            raise _Unsupported(schema["logicalType"])
        if isinstance(kind, str) and kind in _PRIMITIVE_READS and kind != "null":
            return _PRIMITIVE_READS[kind]
        raise _Unsupported(str(kind))
    if schema in _PRIMITIVE_READS:
        return _PRIMITIVE_READS[schema]
    if schema in enums:
        return _read_enum(enums[schema])
    raise _Unsupported(str(schema))


def _passer(schema: Any, enums: dict[str, list[str]]) -> _Pass:
    if isinstance(schema, list):
        return _pass_union(tuple(_passer(branch, enums) for branch in schema))
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "enum":
            enums[schema["name"]] = schema["symbols"]
            return _pass_enum(schema["symbols"])
        if kind == "array":
            return _pass_array(_passer(schema["items"], enums))
        if schema.get("logicalType", TIMESTAMP) != TIMESTAMP:
            raise _Unsupported(schema["logicalType"])
        if isinstance(kind, str) and kind in _PRIMITIVE_PASSES:
            return _PRIMITIVE_PASSES[kind]
        raise _Unsupported(str(kind))
    if schema in _PRIMITIVE_PASSES:
        return _PRIMITIVE_PASSES[schema]
    if schema in enums:
        return _pass_enum(enums[schema])
    raise _Unsupported(str(schema))


# The source of a plan's reader is generated, one block of statements per field, so that a field
# passed over costs a few bytecodes instead of a call: ``data`` the message, ``o`` the offset,
# ``r`` the record, ``L`` the message's length.
_LENGTH = """b = data[o]
if b < 128:
    n = (b >> 1) ^ -(b & 1)
    o += 1
else:
    n, o = _long(data, o)
e = o + n
if n < 0 or e > L:
    raise ValueError("a string runs past the message")"""
_NUMBER = """b = data[o]
if b < 128:
    {target} = (b >> 1) ^ -(b & 1)
    o += 1
else:
    {target}, o = _long(data, o)"""
_PASSED_NUMBER = """if data[o] < 128:
    o += 1
else:
    o = _long(data, o)[1]"""


def _is_timestamp(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("logicalType") == TIMESTAMP and schema["type"] == "long"


def _block(schema: Any, target: str | None, step: str) -> str:
    """The statements reading one field into ``target`` (``None``: passing over it); ``step`` names
    the field's reader or passer, called for any type not written out here."""
    if schema == "string":
        return _LENGTH + ("\no = e" if target is None else f"\n{target} = data[o:e].decode()\no = e")
    if schema == ["null", "string"]:
        null = "o += 1" if target is None else f"o += 1\n{target} = None"
        text = _indent(_block("string", target, step))
        other = f"o = {step}(data, o)" if target is None else f"{target}, o = {step}(data, o)"
        return "\n".join(
            (
                "b = data[o]",
                "if b == 0:",
                _indent(null),
                "elif b == 2:",
                "    o += 1",
                text,
                "else:",
                _indent(other),
            )
        )
    if _is_timestamp(schema):
        return "o = _micros(data, o)[1]" if target is None else f"{target}, o = _micros(data, o)"
    if schema in ("int", "long"):
        return _PASSED_NUMBER if target is None else _NUMBER.format(target=target)
    if schema == "boolean":
        if target is None:
            return "if o >= L:\n    raise ValueError('a boolean runs past the message')\no += 1"
        return f"{target} = data[o] != 0\no += 1"
    return f"o = {step}(data, o)" if target is None else f"{target}, o = {step}(data, o)"


def _indent(block: str) -> str:
    return "\n".join("    " + line for line in block.splitlines())


def _compile(
    fields: list[dict[str, Any]], steps: list[tuple[str | None, _Read | _Pass]], defaults: dict[str, Any]
) -> Callable[[bytes], dict[str, Any]]:
    namespace: dict[str, Any] = {"_long": _long, "_micros": _micros, "DEFAULTS": defaults}
    lines = ["def read(data):", "    L = len(data)", f"    o = {HEADER_LENGTH}", "    r = dict(DEFAULTS)"]
    for index, (field, (name, step)) in enumerate(zip(fields, steps, strict=False)):
        namespace[f"S{index}"] = step
        lines.append(_indent(_block(field["type"], None if name is None else f"r[{name!r}]", f"S{index}")))
    lines.append("    return r")
    exec("\n".join(lines), namespace)  # noqa: S102 - the source is made above from the schema files' types
    read: Callable[[bytes], dict[str, Any]] = namespace["read"]
    return read


class Plan(NamedTuple):
    """How to read one writer schema's counted fields."""

    event_type: str
    # Per field up to the last counted one: its name and reader, or None and how to pass it over.
    steps: tuple[tuple[str | None, _Read | _Pass], ...]
    # The counted fields the writer lacks, with the current schema's defaults.
    defaults: dict[str, Any]
    # ``steps`` made one function: the record of the counted fields (``_compile``).
    read: Callable[[bytes], dict[str, Any]]


def plan(writer: dict[str, Any], current: dict[str, Any]) -> Plan:
    """The plan of ``writer`` (a schema as read from its file), ``current`` being its event's
    current schema (which gives the defaults of fields added since)."""
    event_type = current["name"].rsplit(".", 1)[-1]
    wanted = REQUEST_FIELDS if event_type in REQUESTED_CHANNELS else STATUS_FIELDS
    enums: dict[str, list[str]] = {}
    steps: list[tuple[str | None, _Read | _Pass]] = []
    last = 0
    for field in writer["fields"]:
        if field["name"] in wanted:
            steps.append((field["name"], _reader(field["type"], enums)))
            last = len(steps)
        else:
            steps.append((None, _passer(field["type"], enums)))
    present = {f["name"] for f in writer["fields"]}
    defaults = {
        f["name"]: f["default"]
        for f in current["fields"]
        if f["name"] in wanted and f["name"] not in present and "default" in f
    }
    return Plan(event_type, tuple(steps[:last]), defaults, _compile(writer["fields"], steps[:last], defaults))


class ProjectionReader:
    """The counted fields of the lifecycle events of every schema in ``schemas_dir``."""

    def __init__(self, schemas_dir: Path | None = None) -> None:
        directory = schemas_dir or find_schemas_dir()
        self.plans: dict[bytes, Plan] = {}
        current = {
            name: _load(directory / f"{name}.avsc")
            for name in COUNTED_EVENTS
            if (directory / f"{name}.avsc").is_file()
        }
        history = directory / "history"
        archived = sorted(history.glob("*.avsc")) if history.is_dir() else []
        for name, schema in current.items():
            for writer in (schema, *(_load(p) for p in archived if p.name.split(".", 1)[0] == name)):
                with contextlib.suppress(_Unsupported):  # such a schema's messages are the codec's
                    self.plans[schema_fingerprint(writer)] = plan(writer, schema)

    def fingerprints(self) -> Iterable[bytes]:
        return self.plans.keys()

    def read(self, data: bytes | None) -> tuple[str, dict[str, Any]] | None:
        """The event type and counted fields of ``data``, or ``None`` for a message of a schema
        this reader has no plan for (read it with the codec). Bytes that are no message, or cut
        short before the last counted field, are a ``ValueError``."""
        if data is None:
            raise UnknownSchemaError("no message body (a tombstone)")
        if type(data) is not bytes:  # slices are looked up and decoded as bytes
            data = bytes(data)
        if data[:2] != MAGIC:
            raise UnknownSchemaError("not an Avro single-object encoded message")
        found = self.plans.get(data[2:HEADER_LENGTH])
        if found is None:
            return None
        try:
            record = found.read(data)
        except (ValueError, IndexError, OverflowError) as exc:
            raise ValueError(f"message body is not a {found.event_type}: {exc}") from exc
        return found.event_type, record


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded
