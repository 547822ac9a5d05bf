"""One decoding and one encoding function per current schema, written out as Python source and
compiled once, as ``dataclasses`` and ``attrs`` write their ``__init__``s.

The codec's own readers and writers (``codec._compile``) take a field at a time through a tuple of
small functions: two calls and a tuple a field, and a status event has eighteen fields. Every
consumer decodes each record it reads, so a notification is decoded about five times and encoded
three times on its way; those calls were most of it. The functions written here read and write
the common fields (strings, numbers, booleans, timestamps and their nullable unions) in line, in
one frame, with the same bounds checks and the same errors, and call the codec's own step for
anything else (enums, arrays, a union's longer encoding of its branch). The codec's tests hold
both against fastavro, and ``tests/unit/common/test_codec_generated.py`` holds them against the
step readers for every byte changed or cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# The kinds written in line; anything else calls the codec's step for the field.
_STRING, _LONG, _BOOLEAN, _TIMESTAMP = "string", "long", "boolean", "timestamp"


def kind(schema: Any) -> tuple[bool, str | None]:
    """(nullable, kind) of a field's schema as read from its file; kind None: not written in line."""
    if isinstance(schema, list):
        if len(schema) == 2 and schema[0] == "null":
            nullable, inner = kind(schema[1])
            return (True, inner) if not nullable else (True, None)
        return False, None
    if isinstance(schema, dict):
        if schema.get("logicalType") == "timestamp-micros" and schema.get("type") == "long":
            return False, _TIMESTAMP
        if schema.get("logicalType") is None and schema.get("type") in ("string", "int", "long", "boolean"):
            return kind(schema["type"])
        return False, None
    if schema == "string":
        return False, _STRING
    if schema in ("int", "long"):
        return False, _LONG
    if schema == "boolean":
        return False, _BOOLEAN
    return False, None


def _indent(lines: list[str], depth: int) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]


def _read_lines(what: str, target: str) -> list[str]:
    """Reads a value of ``what`` at ``o`` into ``target``, moving ``o`` past it."""
    if what == _STRING:
        return [
            "n = data[o]",
            "if n < 0x80:",
            "    n = (n >> 1) ^ -(n & 1)",
            "    o += 1",
            "else:",
            "    n, o = _long(data, o)",
            "e = o + n",
            "if n < 0 or e > size:",
            "    raise ValueError('a string runs past the message')",
            f"{target} = data[o:e].decode()",
            "o = e",
        ]
    if what == _LONG:
        return [
            "if o < size and data[o] < 0x80:",
            "    n = data[o]",
            f"    {target} = (n >> 1) ^ -(n & 1)",
            "    o += 1",
            "else:",
            f"    {target}, o = _long(data, o)",
        ]
    if what == _BOOLEAN:
        return [
            "if o >= size:",
            "    raise ValueError('a boolean runs past the message')",
            f"{target} = data[o] != 0",
            "o += 1",
        ]
    assert what == _TIMESTAMP
    # codec._timestamp_micros in line: the eight bytes every instant from 1978 to 3111 takes,
    # closed up by shifts and masks; any other length is read by _long.
    return [
        "e = o + 8",
        "n = _from_bytes(data[o:e], 'little')",
        "if n & 0x8080808080808080 != 0x0080808080808080 or e > size:",
        "    n, o = _long(data, o)",
        "else:",
        "    o = e",
        "    n &= 0x7F7F7F7F7F7F7F7F",
        "    n = (n & 0x007F007F007F007F) | ((n >> 1) & 0x3F803F803F803F80)",
        "    n = (n & 0x00003FFF00003FFF) | ((n >> 2) & 0x0FFFC0000FFFC000)",
        "    n = (n & 0x0FFFFFFF) | ((n >> 4) & 0x00FFFFFFF0000000)",
        "    n = (n >> 1) ^ -(n & 1)",
        "if 0 <= n < _FLOAT_EXACT:",
        f"    {target} = _from_seconds(n / 1_000_000, UTC)",
        "else:",
        f"    {target} = _EPOCH + _timedelta(microseconds=n)",
    ]


def decoder(
    event_type: type,
    schema: dict[str, Any],
    steps: Sequence[Callable[[bytes, int], tuple[Any, int]]],
    conversions: dict[str, Callable[[Any], Any]],
    helpers: dict[str, Any],
    header_length: int,
) -> Callable[[bytes], Any]:
    """``bytes -> event`` for messages of ``schema``, the current schema of ``event_type``, whose
    fields are exactly the event's: what ``codec._event`` makes with ``steps`` (the codec's reader
    of each field) and ``conversions``, with the same errors."""
    name = event_type.schema_name  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {
        **helpers,
        "_new": object.__new__,
        "_type": event_type,
        "_from_bytes": int.from_bytes,
    }
    body: list[str] = []
    sets: list[str] = []
    for i, field in enumerate(schema["fields"]):
        nullable, what = kind(field["type"])
        value = f"v{i}"
        namespace[f"_step{i}"] = steps[i]
        if what is None:
            body.append(f"{value}, o = _step{i}(data, o)")
        elif nullable:
            # Branch 0 (null) and 2 (the value) as writers write them; a longer encoding of either
            # is read by the codec's own step for the union.
            if what != _STRING:  # as codec._read_nullable; its reader of strings indexes the byte
                body += ["if o >= size:", "    raise ValueError('a union runs past the message')"]
            body += [
                "b = data[o]",
                "if b == 0:",
                f"    {value} = None",
                "    o += 1",
                "elif b == 2:",
                "    o += 1",
            ]
            body += _indent(_read_lines(what, value), 1)
            body += ["else:", f"    {value}, o = _step{i}(data, o)"]
        else:
            body += _read_lines(what, value)
        convert = conversions.get(field["name"])
        if convert is not None:
            namespace[f"_convert{i}"] = convert
            body.append(f"{value} = _convert{i}({value})")
        namespace[f"_set{i}"] = getattr(event_type, field["name"]).__set__
        sets.append(f"_set{i}(event, {value})")
    return _defined(
        "decode",
        [
            "def decode(data):",
            "    if type(data) is not bytes:",
            "        data = bytes(data)",
            "    size = len(data)",
            f"    o = {header_length}",
            "    try:",
            *_indent(body, 2),
            "    except (ValueError, IndexError, OverflowError, TypeError) as exc:",
            f"        raise ValueError('message body is not a {name}: ' + type(exc).__name__) from exc",
            "    if o != size:",
            "        raise ValueError(f'{size - o} bytes left over after the message body')",
            "    event = _new(_type)",
            *_indent(sets, 1),
            "    return event",
        ],
        f"<codec decoder of {name}>",
        namespace,
    )


def _write_lines(what: str, value: str, i: int) -> list[str]:
    """Writes ``value`` of ``what`` onto ``out``."""
    if what == _STRING:
        return [
            f"b = {value}.encode()",
            "n = len(b)",
            "out += _ONE_BYTE[n + 64] if n < 64 else _zigzag(n)",
            "out += b",
        ]
    if what == _LONG:
        return [f"out += _ONE_BYTE[{value} + 64] if -64 <= {value} < 64 else _zigzag({value})"]
    if what == _BOOLEAN:
        return [f"out.append(1 if {value} else 0)"]
    assert what == _TIMESTAMP
    return [
        f"if {value}.__class__ is _datetime and {value}.tzinfo is not None:",
        f"    d = {value} - _EPOCH",
        "    out += _zigzag((d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds)",
        "else:",
        f"    _plain{i}(out, {value})",
    ]


def encoder(
    event_type: type,
    schema: dict[str, Any],
    puts: Sequence[Callable[[bytearray, Any], None]],
    helpers: dict[str, Any],
    header: bytes,
) -> Callable[[Any], bytes]:
    """``event -> bytes`` for ``event_type`` with ``schema``: the bytes ``puts`` (the codec's
    writer of each field) write after ``header``, with the same errors."""
    name = event_type.schema_name  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {**helpers, "_header": header}
    body: list[str] = []
    for i, field in enumerate(schema["fields"]):
        nullable, what = kind(field["type"])
        value = f"v{i}"
        namespace[f"_put{i}"] = puts[i]
        body.append(f"{value} = event.{field['name']}")
        if what is None:
            body.append(f"_put{i}(out, {value})")
            continue
        written = _write_lines(what, value, i)
        if what == _TIMESTAMP:
            # Any value but an aware datetime (a number of microseconds, or a naive datetime to
            # refuse) goes to the codec's own writer of a timestamp.
            namespace[f"_plain{i}"] = helpers["_put_timestamp"](name, field["name"])
        if nullable:
            body += [f"if {value} is None:", "    out.append(0)", "else:", "    out.append(2)"]
            body += _indent(written, 1)
        else:
            body += written
    return _defined(
        "encode",
        ["def encode(event):", "    out = bytearray(_header)", *_indent(body, 1), "    return bytes(out)"],
        f"<codec encoder of {name}>",
        namespace,
    )


def _defined(name: str, lines: list[str], label: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    """The function ``name`` that ``lines`` define, compiled under ``label`` (which tracebacks show)
    with ``namespace`` as its globals."""
    exec(compile("\n".join(lines), label, "exec"), namespace)  # noqa: S102 - our own source
    made: Callable[..., Any] = namespace[name]
    return made
