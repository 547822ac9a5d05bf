"""The rows the projector sends PostgreSQL for a batch's notifications (``json_to_recordset``
reads a missing key as null, so a row carries only the fields its patch knows)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from notify_common.events import Channel, NotificationDelivered, NotificationSentToProvider, SmsRequested
from notify_projector.evolve import fold, notification_patch
from notify_projector.projection import _notification_row
from notify_projector.sql import NOTIFICATION_COLS

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
NID, SID = "0a4c1f3e-2d7b-4e8a-b6c5-0f1e2d3c4b5a", "1b4c1f3e-2d7b-4e8a-b6c5-0f1e2d3c4b5a"


def requested() -> SmsRequested:
    return SmsRequested(
        notification_id=NID, service_id=SID, occurred_at=AT, template_id=SID, template_version=1,
        key_type="normal", api_key_id=None, job_id=None, job_row_number=None, client_reference=None,
        phone_number="447700900123", international=False, sender="GOVUK", body="Hello", fragment_count=1,
        rate_multiplier=1, created_at=AT,
    )  # fmt: skip


def row_of(*events: object) -> dict[str, object]:
    patches = fold([notification_patch(e) for e in events])  # type: ignore[arg-type]
    return _notification_row(patches[NID])


def test_a_delivery_row_carries_only_what_the_delivery_knows() -> None:
    delivered = NotificationDelivered(
        notification_id=NID, service_id=SID, occurred_at=AT, provider="mmg", provider_reference=NID,
        delivered_at=AT, detail=None,
    )  # fmt: skip
    row = row_of(delivered)
    assert set(row) == {
        "id", "service_id", "status", "status_at", "completed_at", "billable_units", "updated_at",
        "last_event_at",
    }  # fmt: skip
    assert None not in row.values()
    assert row["status"] == "delivered"


def test_a_request_row_keeps_every_known_column_and_its_false_and_zero_values() -> None:
    sent = NotificationSentToProvider(
        notification_id=NID, service_id=SID, occurred_at=AT, channel=Channel.SMS, provider="mmg",
        provider_reference=NID, sent_at=AT, billable_units=1, international=False,
    )  # fmt: skip
    row = row_of(requested(), sent)
    assert row["international"] is False
    assert (row["recipient"], row["body"], row["sent_by"], row["rate_multiplier"]) == (
        "447700900123", "Hello", "mmg", 1,
    )  # fmt: skip
    assert None not in row.values()
    assert "client_reference" not in row  # null: read back as null
    assert set(row) <= {name for name, _ in NOTIFICATION_COLS}
    orjson.dumps(row)  # the batch is sent as one JSON array
