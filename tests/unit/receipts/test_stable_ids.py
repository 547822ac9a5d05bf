"""A receipt's event id is the version 5 UUID of its parts, exactly as ``uuid.uuid5`` makes it: ids
derived before and after must agree, or a receipt posted again would become a second event."""

from __future__ import annotations

import uuid

import pytest

from notify_receipts.domain import NAMESPACE, stable_id


@pytest.mark.parametrize(
    "parts",
    [
        ("receipt", "mmg", "0b6f6a1e-7c1d-4d38-9f3b-2f5d8c1a9e00", "delivered", "mmg status 3/2"),
        ("receipt", "firetext", str(uuid.UUID(int=0)), "pending", ""),
        ("complaint", "ses", "0100018c-abcdef", "ünïcode 📱"),
        ("",),
        (),
    ],
)
def test_stable_ids_are_uuid5_of_the_joined_parts(parts: tuple[str, ...]) -> None:
    assert stable_id(*parts) == str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def test_stable_ids_agree_with_uuid5_over_many_parts() -> None:
    for _ in range(2000):
        parts = ("receipt", "mmg", str(uuid.uuid4()), "delivered")
        made = stable_id(*parts)
        assert made == str(uuid.uuid5(NAMESPACE, ":".join(parts)))
        assert uuid.UUID(made).version == 5
