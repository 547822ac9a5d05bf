"""A message cut short or with its body's bytes changed is refused by ``codec.decode`` and
``codec.decode_record`` with a ``ValueError``, the one error the consumers send to the dead-letter
topic, never with another exception that would stop the consumer."""

from __future__ import annotations

import contextlib
import random
import uuid
from datetime import UTC, datetime

import pytest

from notify_common import codec
from notify_common.codec import HEADER_LENGTH
from notify_common.events import NotificationDelivered, SmsRequested

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MESSAGES = {
    "delivered": codec.encode(
        NotificationDelivered(
            notification_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), provider="mmg", delivered_at=NOW
        )
    ),
    "requested": codec.encode(
        SmsRequested(
            notification_id=str(uuid.uuid4()),
            service_id=str(uuid.uuid4()),
            template_id="t",
            template_version=1,
            key_type="normal",
            phone_number="447700900123",
            international=False,
            sender="GOVUK",
            body="hi",
            fragment_count=1,
            created_at=NOW,
        )
    ),
}


def _refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="message body"):
        codec.decode(data)
    with pytest.raises(ValueError, match="message body"):
        codec.decode_record(data)


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_a_message_cut_short_anywhere_in_its_body_is_a_value_error(name: str) -> None:
    message = MESSAGES[name]
    for length in range(HEADER_LENGTH, len(message)):
        _refused(message[:length])


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_a_body_with_changed_bytes_decodes_or_is_a_value_error(name: str) -> None:
    message = MESSAGES[name]
    rng = random.Random(20261205)
    for _ in range(500):
        body = bytearray(message)
        for _ in range(rng.randint(1, 4)):
            body[rng.randrange(HEADER_LENGTH, len(body))] = rng.randrange(256)
        for decode in (codec.decode, codec.decode_record):
            with contextlib.suppress(ValueError):
                decode(bytes(body))
