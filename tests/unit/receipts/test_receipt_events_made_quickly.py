"""What the receipt path makes by hand, for speed, equals what the library made before: an
``enriched`` event equals ``dataclasses.replace``'s copy for every event a receipt can become, and a
reference is valid exactly when ``uuid.UUID`` takes it."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notify_common.events import (
    NOTIFICATION_FACTS,
    ComplaintReceived,
    Event,
    FailureKind,
    InboundSmsReceived,
    NotificationFailed,
)
from notify_receipts import domain
from notify_receipts.app import _valid_id
from notify_receipts.domain import Known, enriched

SENT_AT = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)
FACTS = {
    "notification_type": "sms",
    "client_reference": "ref ünï",
    "recipient": "07700900123",
    "template_id": str(uuid.uuid4()),
    "template_version": 3,
    "created_at": SENT_AT - timedelta(seconds=2),
    "job_row_number": 7,
}


def known_for(event: Event, facts: dict[str, object] | None = None) -> Known:
    nid = str(event.notification_id)
    return Known(nid, str(uuid.uuid4()), "mmg", "provider-ref", SENT_AT, FACTS if facts is None else facts)


def receipts() -> list[Event]:
    nid = str(uuid.uuid4())
    made = [domain.receipt_event(nid, "mmg", outcome, "mmg status 3/2") for outcome in
            ("delivered", "pending", "permanent_failure", "temporary_failure", "technical_failure", "returned_letter")]  # fmt: skip
    made.append(domain.receipt_event(nid, "firetext", "delivered", None, provider_reference="p", at=SENT_AT))
    made.append(NotificationFailed(notification_id=nid, service_id=domain.UNKNOWN_SERVICE,
                                   failure_kind=FailureKind.PERMANENT_FAILURE, failed_at=SENT_AT, correlation_id="c"))  # fmt: skip
    made.append(ComplaintReceived(notification_id=nid, service_id=domain.UNKNOWN_SERVICE, complaint_id="c",
                                  complaint_type=None, complained_at=SENT_AT))  # fmt: skip
    return made


@pytest.mark.parametrize("event", receipts(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("facts", [FACTS, dict.fromkeys(NOTIFICATION_FACTS)], ids=["facts", "nones"])
def test_an_enriched_receipt_equals_the_replaced_one(event: Event, facts: dict[str, object]) -> None:
    known = known_for(event, facts)
    made = enriched(event, known)
    changes: dict[str, Any] = {**known.facts, "service_id": known.service_id, "notification_sent_at": SENT_AT}
    expected = dataclasses.replace(event, **changes)
    assert made == expected
    assert type(made) is type(expected)
    assert made is not event
    for field in dataclasses.fields(expected):  # every field set, none left unset on the copy
        assert getattr(made, field.name) == getattr(expected, field.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.service_id = "changed"  # type: ignore[misc]


def test_an_event_without_a_fact_field_is_refused_as_replace_refuses_it() -> None:
    inbound = InboundSmsReceived(
        notification_id=str(uuid.uuid4()), service_id=domain.UNKNOWN_SERVICE, inbound_sms_id="i",
        user_number="07700900123", notify_number="07700900000", content="hi", provider="mmg",
        received_at=SENT_AT,
    )  # fmt: skip
    known = known_for(inbound)
    with pytest.raises(TypeError):
        dataclasses.replace(inbound, **{**known.facts, "notification_sent_at": SENT_AT})
    with pytest.raises(TypeError):
        enriched(inbound, known)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Checked(Event):
    """An event whose ``__init__`` does more than set its fields: copied through it, not by hand."""

    notification_sent_at: datetime | None = None
    notification_type: str | None = None
    client_reference: str | None = None
    recipient: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    created_at: datetime | None = None
    job_row_number: int | None = None

    def __post_init__(self) -> None:
        if self.template_version is not None and self.template_version < 0:
            raise ValueError("negative version")


def test_an_event_class_with_a_post_init_is_copied_through_its_init() -> None:
    event = _Checked(notification_id=str(uuid.uuid4()), service_id=domain.UNKNOWN_SERVICE)
    known = known_for(event)
    changes: dict[str, Any] = {**FACTS, "service_id": known.service_id, "notification_sent_at": SENT_AT}
    assert enriched(event, known) == dataclasses.replace(event, **changes)
    with pytest.raises(ValueError, match="negative"):
        enriched(event, known_for(event, {**FACTS, "template_version": -1}))


def _uuid_takes(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "value",
    [str(uuid.uuid4()), str(uuid.UUID(int=0)), str(uuid.uuid4()).upper(), uuid.uuid4().hex,
     "{" + str(uuid.uuid4()) + "}", "urn:uuid:" + str(uuid.uuid4()), str(uuid.uuid4()) + "\n",
     " " + str(uuid.uuid4()), str(uuid.uuid4())[:-1], str(uuid.uuid4()) + "0", "", "not-a-uuid",
     "0b6f6a1e-7c1d-4d38-9f3b-2f5d8c1a9e0g", "0b6f6a1e7c1d-4d38-9f3b-2f5d-8c1a9e00", "٠" * 32],
)  # fmt: skip
def test_a_reference_is_valid_exactly_when_uuid_takes_it(value: str) -> None:
    assert _valid_id(value) is _uuid_takes(value)
