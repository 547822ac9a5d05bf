"""``codec.peek_field``: the value of one field near the start of a message, read by skipping the
fields before it instead of decoding the whole body; the same value ``decode`` gives, for messages
written with current and archived schemas, and a ``ValueError`` for anything it cannot read."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

import pytest
from fastavro import parse_schema, schemaless_writer

from notify_common import codec
from notify_common.events import Channel, NotificationDelivered, NotificationSentToProvider, SmsRequested

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def sent(**changes: object) -> NotificationSentToProvider:
    fields: dict[str, object] = {
        "notification_id": str(uuid.uuid4()), "service_id": str(uuid.uuid4()), "channel": Channel.SMS,
        "provider": "mmg", "provider_reference": "r" * 70, "sent_at": NOW, "billable_units": 3,
        "international": True, "correlation_id": None, "recipient": "07700900123",
    }  # fmt: skip
    return NotificationSentToProvider(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event",
    [
        sent(),
        sent(international=False, provider_reference=None, correlation_id="c" * 200, billable_units=-70),
        sent(channel=Channel.EMAIL, notification_id=None, provider="ses"),
    ],
)
@pytest.mark.parametrize(
    "name",
    ["event_id", "notification_id", "service_id", "correlation_id", "provider", "provider_reference",
     "billable_units", "international"],
)  # fmt: skip
def test_a_field_reads_as_the_decoded_event_has_it(event: NotificationSentToProvider, name: str) -> None:
    message = codec.encode(event)
    assert codec.peek_field(message, name) == getattr(codec.decode(message), name)


def test_the_fields_of_another_event_type_read_as_decoded_too() -> None:
    request = SmsRequested(
        notification_id="n", service_id="s", template_id="t", template_version=7, key_type="normal",
        phone_number="447700900123", international=True, sender="GOVUK", body="hi", fragment_count=2,
        created_at=NOW,
    )  # fmt: skip
    message = codec.encode(request)
    for name in ("template_id", "template_version", "key_type", "international"):
        assert codec.peek_field(message, name) == getattr(request, name), name


def archived_sent(international: bool) -> bytes:
    """A ``NotificationSentToProvider`` written with its first schema, which ends with
    ``international``: the field is the message's last byte."""
    raw = json.loads(
        (codec.find_schemas_dir() / "history" / "NotificationSentToProvider.v1.avsc").read_text()
    )
    body = io.BytesIO()
    record = {
        "event_id": "e", "notification_id": "n", "service_id": "s", "occurred_at": NOW,
        "correlation_id": None, "channel": "sms", "provider": "firetext", "provider_reference": None,
        "sent_at": NOW, "billable_units": 1, "international": international,
    }  # fmt: skip
    schemaless_writer(body, parse_schema(raw), record)
    return codec.MAGIC + codec.schema_fingerprint(raw) + body.getvalue()


def test_a_message_written_with_an_archived_schema_reads_its_own_fields() -> None:
    for international in (True, False):
        message = archived_sent(international)
        assert codec.decode(message).international is international  # type: ignore[attr-defined]
        assert codec.peek_field(message, "international") is international
        assert codec.peek_field(message, "provider") == "firetext"


def test_a_field_behind_one_it_cannot_skip_or_missing_from_the_schema_is_refused() -> None:
    message = codec.encode(sent())
    with pytest.raises(ValueError, match="no field"):
        codec.peek_field(message, "no_such_field")
    # occurred_at (a timestamp) is skipped on the way, but not read: only strings, numbers and
    # booleans are.
    with pytest.raises(ValueError, match="cannot be read"):
        codec.peek_field(message, "sent_at")


def test_a_body_cut_short_before_the_field_is_refused() -> None:
    message = archived_sent(True)
    for cut in range(codec.HEADER_LENGTH, len(message)):
        with pytest.raises(ValueError, match="runs past the message"):
            codec.peek_field(message[:cut], "international")


@pytest.mark.parametrize("data", [b"", b"not avro", codec.MAGIC + b"\x00" * 8 + b"\x02ab"])
def test_bytes_that_are_no_known_message_are_refused(data: bytes) -> None:
    with pytest.raises(codec.UnknownSchemaError):
        codec.peek_field(data, "international")


def test_a_message_of_a_type_without_the_field_is_refused() -> None:
    delivered = NotificationDelivered(notification_id="n", service_id="s", provider="mmg", delivered_at=NOW)
    with pytest.raises(ValueError, match="no field"):
        codec.peek_field(codec.encode(delivered), "international")
