"""Event and notification ids are random UUID4s written as ``str(uuid.uuid4())`` writes them,
made without a ``UUID`` object."""

from __future__ import annotations

import os
import uuid

import pytest

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
    monkeypatch.setattr(os, "urandom", lambda n: random[:n])
    assert random_uuid() == str(uuid.UUID(bytes=random, version=4))


def test_event_ids_are_such_ids() -> None:
    assert uuid.UUID(new_event_id()).version == 4
