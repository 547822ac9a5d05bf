"""``notify_common.fast_init``: the ``__init__`` it writes takes exactly the parameters of the
dataclass's own and makes the same instance, calling each ``default_factory`` as the dataclass
does, and is refused to any class it cannot stand in for."""

from __future__ import annotations

import dataclasses
import inspect
import random
from typing import Any

import pytest

from notify_common import fast_init as fast
from notify_common.events import EVENT_TYPES, Event, NotificationSentToProvider, SmsRequested
from notify_common.fast_init import DATACLASS_INITS, fast_init
from tests.unit.common.test_codec_compiled import _event, _fastavro_message, _fastavro_record, _raw, _value

SHAPES: list[type] = [*DATACLASS_INITS]


def _same_parameters(cls: type) -> None:
    ours = inspect.signature(cls.__dict__["__init__"]).parameters
    theirs = inspect.signature(DATACLASS_INITS[cls]).parameters
    assert list(ours) == list(theirs)
    for name, parameter in ours.items():
        other = theirs[name]
        assert parameter.kind == other.kind, name
        assert repr(parameter.default) == repr(other.default), name


def _made_by_dataclass(cls: type, *args: Any, **kwargs: Any) -> Any:
    made: Any = object.__new__(cls)
    DATACLASS_INITS[cls](made, *args, **kwargs)
    return made


def _fields(made: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(made, f.name)) for f in dataclasses.fields(made)]


def test_every_event_class_is_given_the_faster_init() -> None:
    for event_type in (Event, *EVENT_TYPES):
        assert event_type in DATACLASS_INITS
        assert event_type.__dict__["__init__"] is not DATACLASS_INITS[event_type]


@pytest.mark.parametrize("cls", SHAPES, ids=lambda c: c.__qualname__)
def test_the_parameters_are_the_dataclasses_own(cls: type) -> None:
    _same_parameters(cls)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.schema_name)
def test_an_event_is_made_as_its_dataclass_makes_it_from_the_same_values(event_type: type[Event]) -> None:
    raw = _raw(event_type)
    rng = random.Random(f"fast-init-{event_type.schema_name}")
    for _ in range(50):
        record = {f["name"]: _value(f["type"], {}, rng) for f in raw["fields"]}
        event = _event(event_type, _fastavro_record(raw, _fastavro_message(raw, record)))
        values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event_type)}
        ours, theirs = event_type(**values), _made_by_dataclass(event_type, **values)

        assert ours == theirs
        assert [(n, type(v)) for n, v in _fields(ours)] == [(n, type(v)) for n, v in _fields(theirs)]


def test_each_default_factory_is_called_for_each_instance_and_plain_defaults_are_kept() -> None:
    first = NotificationSentToProvider(service_id="s", channel="sms", provider="mmg", sent_at=None)  # type: ignore[arg-type]
    second = NotificationSentToProvider(service_id="s", channel="sms", provider="mmg", sent_at=None)  # type: ignore[arg-type]

    assert first.event_id != second.event_id
    assert first.occurred_at is not None
    assert first.occurred_at.tzinfo is not None
    assert (first.billable_units, first.international, first.notification_id) == (0, False, None)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),  # required fields missing
        (("s",), {}),  # keyword-only given by position
        ((), {"service_id": "s", "no_such_field": 1}),
    ],
)
def test_wrong_arguments_are_refused_as_the_dataclass_refuses_them(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        SmsRequested(*args, **kwargs)
    with pytest.raises(TypeError):
        _made_by_dataclass(SmsRequested, *args, **kwargs)


def test_positional_and_keyword_only_fields_keep_their_order_and_defaults() -> None:
    @fast_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Mixed:
        a: int
        b: str = "b"
        c: list[int] = dataclasses.field(default_factory=list)
        d: int = dataclasses.field(default=4, kw_only=True)
        e: str = dataclasses.field(kw_only=True, default="e")

    _same_parameters(Mixed)
    assert Mixed(1) == _made_by_dataclass(Mixed, 1)
    assert Mixed(1, "x", [2], d=5, e="y") == _made_by_dataclass(Mixed, 1, "x", [2], d=5, e="y")
    assert Mixed(1).c is not Mixed(1).c
    with pytest.raises(dataclasses.FrozenInstanceError):
        Mixed(1).a = 2  # type: ignore[misc]


def test_a_class_it_cannot_stand_in_for_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (NoSlots, NotFrozen, Checked, Derived, int):
        with pytest.raises(TypeError):
            fast.fast_init(cls)
