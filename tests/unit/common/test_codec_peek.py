"""``codec.peek``: a message's event type and service id from its header and envelope alone, for
messages written with current and archived schemas, and a clear error for anything else."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

import pytest
from fastavro import parse_schema, schemaless_writer

from notify_common import codec
from notify_common.events import InboundSmsReceived, NotificationDelivered, SmsRequested

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_the_type_and_service_of_a_message_with_and_without_a_notification_id() -> None:
    service = str(uuid.uuid4())
    status = NotificationDelivered(
        notification_id=str(uuid.uuid4()), service_id=service, provider="mmg", delivered_at=NOW
    )
    inbound = InboundSmsReceived(
        service_id=service, inbound_sms_id="i", user_number="1", notify_number="2", content="x" * 300,
        provider="mmg", received_at=NOW,
    )  # fmt: skip
    request = SmsRequested(
        notification_id="n", service_id="a service id longer than sixty-three characters: its length takes two bytes",
        template_id="t", template_version=1, key_type="normal", phone_number="447700900123",
        international=False, sender="GOVUK", body="hi", fragment_count=1, created_at=NOW,
    )  # fmt: skip
    assert codec.peek(codec.encode(status)) == (NotificationDelivered, service)
    assert codec.peek(codec.encode(inbound)) == (InboundSmsReceived, service)
    assert codec.peek(codec.encode(request)) == (SmsRequested, request.service_id)


def test_a_message_written_with_an_archived_schema_is_peeked_as_its_current_type() -> None:
    raw = json.loads((codec.find_schemas_dir() / "history" / "NotificationDelivered.v1.avsc").read_text())
    body = io.BytesIO()
    record: dict[str, object] = {name: None for name in (f["name"] for f in raw["fields"])}
    record |= {"event_id": "e", "notification_id": "n", "service_id": "s", "occurred_at": NOW}
    record |= {"provider": "mmg", "delivered_at": NOW}
    schemaless_writer(body, parse_schema(raw), record)
    message = codec.MAGIC + codec.schema_fingerprint(raw) + body.getvalue()
    assert codec.decode(message).service_id == "s"
    assert codec.peek(message) == (NotificationDelivered, "s")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not avro",
        codec.MAGIC + b"\x00" * 8 + b"\x02ab",  # an unknown fingerprint
    ],
)
def test_bytes_that_are_no_known_message_are_refused(data: bytes) -> None:
    with pytest.raises(codec.UnknownSchemaError):
        codec.peek(data)


def test_a_body_cut_short_within_the_envelope_is_refused() -> None:
    message = codec.encode(
        NotificationDelivered(notification_id="n" * 36, service_id="s" * 36, provider="mmg", delivered_at=NOW)
    )
    service_starts = codec.HEADER_LENGTH + 1 + 36 + 1 + 1 + 36 + 1
    for cut in range(codec.HEADER_LENGTH, service_starts + 36):
        with pytest.raises(ValueError, match="runs past the message"):
            codec.peek(message[:cut])
    assert codec.peek(message[: service_starts + 36]) == (NotificationDelivered, "s" * 36)
