"""``codec.decode`` makes each event by setting its slots directly (``_builder``) and turns enum
symbols into members by a dict lookup (``_enum_of``): the event is the one the dataclass's own
``__init__`` makes from the same decoded record, for every event type, for messages written with
every archived schema, and with the same errors."""

from __future__ import annotations

import dataclasses
import enum
import io
import json
from pathlib import Path
from typing import Any, get_type_hints

import fastavro
import pytest
from fastavro.schema import parse_schema

from notify_common import codec
from notify_common.codec import MAGIC, _builder, _enum_of, schema_fingerprint
from notify_common.events import FailureKind, NotificationDelivered
from tests.contract.test_event_schemas import ALL_SAMPLES, HISTORY, _records, _sample_id

Sample = Any


def _slow(data: bytes) -> Any:
    """What decode made before: the record's conversions, then the class called with keywords."""
    event_type, record = codec.decode_record(data)
    hints = get_type_hints(event_type)
    for f in dataclasses.fields(event_type):
        hint = hints[f.name]
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            record[f.name] = hint(record[f.name])
        elif getattr(hint, "__origin__", None) is tuple:
            record[f.name] = tuple(record[f.name])
    return event_type(**record)


def _same(fast: Any, slow: Any) -> None:
    assert fast == slow
    assert type(fast) is type(slow)
    for f in dataclasses.fields(slow):
        assert type(getattr(fast, f.name)) is type(getattr(slow, f.name)), f.name


@pytest.mark.parametrize("event", ALL_SAMPLES, ids=_sample_id)
def test_a_decoded_event_is_the_one_its_init_makes_from_the_same_record(event: Sample) -> None:
    data = codec.encode(event)

    _same(codec.decode(data), _slow(data))


def _archived_messages() -> list[tuple[str, bytes]]:
    messages = []
    for path in sorted(HISTORY.glob("*.avsc")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        parsed = parse_schema(raw, named_schemas={})
        for i, record in enumerate(_records(raw)):
            buffer = io.BytesIO()
            buffer.write(MAGIC + schema_fingerprint(raw))
            fastavro.schemaless_writer(buffer, parsed, record)
            messages.append((f"{path.stem}-{i}", buffer.getvalue()))
    return messages


@pytest.mark.parametrize(("name", "data"), _archived_messages(), ids=[n for n, _ in _archived_messages()])
def test_a_message_written_with_an_archived_schema_decodes_as_its_init_makes_it(
    name: str, data: bytes
) -> None:
    _same(codec.decode(data), _slow(data))


def test_an_event_whose_fields_are_not_the_schemas_is_made_by_its_init_with_its_errors() -> None:
    schema = json.loads((Path(codec.find_schemas_dir()) / "NotificationDelivered.avsc").read_text())
    fewer = {**schema, "fields": [f for f in schema["fields"] if f["name"] != "provider"]}
    build = _builder(NotificationDelivered, fewer)
    record: dict[str, Any] = {f["name"]: None for f in fewer["fields"]} | {"service_id": "s"}

    with pytest.raises(TypeError, match="provider"):
        build(record)
    made = build({**record, "provider": "mmg"})
    assert made == NotificationDelivered(**{**record, "provider": "mmg"})


def test_an_enum_symbol_becomes_the_same_member_and_anything_else_fails_as_the_enum_does() -> None:
    convert = _enum_of(FailureKind)
    for member in FailureKind:
        assert convert(member.value) is member
    bad: Any
    for bad in ("no_such_kind", 3, None):
        with pytest.raises(ValueError, match="is not a valid FailureKind") as expected:
            FailureKind(bad)
        with pytest.raises(ValueError, match="is not a valid FailureKind") as got:
            convert(bad)
        assert str(got.value) == str(expected.value)
