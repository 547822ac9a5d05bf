"""Event and notification ids are random UUID4s written as ``str(uuid.uuid4())`` writes them,
made without a ``UUID`` object, many from one ``os.urandom`` call."""

from __future__ import annotations

import os
import uuid

import pytest

from notify_common import events
from notify_common.events import new_event_id, random_uuid


def test_an_id_is_a_random_uuid4_in_its_canonical_form() -> None:
    made = [random_uuid() for _ in range(2000)]
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
    assert len(set(made)) == len(made)


@pytest.mark.parametrize("byte", range(256))
def test_every_random_byte_gives_the_version_and_variant_uuid4_would(
    byte: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    random = bytes([byte]) * 16
    monkeypatch.setattr(os, "urandom", lambda n: random * (n // 16))
    monkeypatch.setattr(events, "_ids", iter(()))  # the ids made before are drawn first
    assert random_uuid() == str(uuid.UUID(bytes=random, version=4))


def test_ids_are_drawn_from_urandom_in_order_sixteen_bytes_each(monkeypatch: pytest.MonkeyPatch) -> None:
    random = os.urandom(16 * events._IDS_AT_ONCE * 2)
    calls: list[int] = []

    def urandom(n: int) -> bytes:
        calls.append(n)
        return random[(len(calls) - 1) * n : len(calls) * n]

    monkeypatch.setattr(os, "urandom", urandom)
    monkeypatch.setattr(events, "_ids", iter(()))
    drawn = [random_uuid() for _ in range(events._IDS_AT_ONCE + 1)]
    assert calls == [16 * events._IDS_AT_ONCE] * 2
    assert drawn == [str(uuid.UUID(bytes=random[16 * i : 16 * i + 16], version=4)) for i in range(len(drawn))]


def test_a_forked_child_never_draws_the_ids_its_parent_holds() -> None:
    random_uuid()  # the parent now holds ids made but not drawn
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, to the parent
        os.write(write, random_uuid().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert uuid.UUID(child).version == 4
    assert child != random_uuid()


def test_event_ids_are_such_ids() -> None:
    assert uuid.UUID(new_event_id()).version == 4
