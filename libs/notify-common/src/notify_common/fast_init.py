"""A faster ``__init__`` for frozen dataclasses with slots, the shape of every event and of the
other values made for each record on the hot paths.

A frozen dataclass's own ``__init__`` sets each field through ``object.__setattr__`` (the class's
own refuses), a builtin looked up and called with the field's name, for every field of every
instance: an event of eighteen fields took 3.4 µs to make, most of it there, and each notification
has several made on its way. The ``__init__`` written here takes the same parameters (the same
names, order, keyword-only marks and defaults; a ``default_factory`` is called as the dataclass
calls it) and sets each slot through the slot's own descriptor, the step ``object.__setattr__``
ends in. ``tests/unit/common/test_fast_init.py`` holds it to the dataclass's own for every class it
is given.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


class _Factory:
    """The default of a parameter whose field has a ``default_factory`` (shown as dataclasses show it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
# Each class's own dataclass ``__init__``, kept for the tests that hold the two to each other.
DATACLASS_INITS: dict[type, Any] = {}


def fast_init(cls: T) -> T:
    """Gives ``cls`` (a frozen dataclass with ``__slots__``, every field set by ``__init__``, no
    ``__post_init__``) the faster ``__init__``; refuses any other class with a ``TypeError``."""
    params = cls.__dict__.get("__dataclass_params__")
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__")
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        raise TypeError(f"{cls.__name__} has a field its __init__ does not set")
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields):
        name = f.name
        namespace[f"_set{i}"] = getattr(cls, name).__set__
        if f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = f.default_factory
            parameter = f"{name}=_FACTORY"
            body.append(f"_set{i}(self, _factory{i}() if {name} is _FACTORY else {name})")
        else:
            if f.default is not dataclasses.MISSING:
                namespace[f"_default{i}"] = f.default
                parameter = f"{name}=_default{i}"
            else:
                parameter = name
            body.append(f"_set{i}(self, {name})")
        (keyword if f.kw_only else positional).append(parameter)
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = "\n".join([f"def __init__({parameters}):", *(f"    {line}" for line in body or ["pass"])])
    exec(compile(source, f"<fast __init__ of {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    init = namespace["__init__"]
    own = cls.__dict__["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = own.__doc__
    init.__annotations__ = {**own.__annotations__}
    DATACLASS_INITS[cls] = own
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses an assignment to __init__
    return cls
