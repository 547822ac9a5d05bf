"""What the simulator does with a message, decided by its recipient (``07700900002`` and
``perm-fail@simulator.notify`` fail for good, ``07700900003`` and ``temp-fail@simulator.notify``
for now, anything else is delivered; docs/senders.md), and the receipts it sends back in each
provider's dialect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

DELIVERED = "delivered"
PERMANENT_FAILURE = "permanent-failure"
TEMPORARY_FAILURE = "temporary-failure"

# Recipients that simulate failures, in the forms they arrive in (normalised and national).
_OUTCOME_BY_RECIPIENT = {
    "447700900002": PERMANENT_FAILURE,
    "07700900002": PERMANENT_FAILURE,
    "447700900003": TEMPORARY_FAILURE,
    "07700900003": TEMPORARY_FAILURE,
    "perm-fail@simulator.notify": PERMANENT_FAILURE,
    "temp-fail@simulator.notify": TEMPORARY_FAILURE,
}

# Provider status codes for each outcome (the inverse of the receipts service's tables).
MMG_RECEIPT = {DELIVERED: ("3", "2"), PERMANENT_FAILURE: ("5", "2"), TEMPORARY_FAILURE: ("4", "6")}
FIRETEXT_RECEIPT = {DELIVERED: ("0", "000"), PERMANENT_FAILURE: ("1", "101"), TEMPORARY_FAILURE: ("1", "102")}


def outcome_for(recipient: str) -> str:
    return _OUTCOME_BY_RECIPIENT.get(recipient.strip().lower().lstrip("+"), DELIVERED)


@dataclass
class SimulatedMessage:
    provider: str
    reference: str
    recipient: str
    content: str
    sender: str
    outcome: str
    received_at: datetime
    receipt_sent_at: datetime | None = None
    receipt_status: int | None = None
    duplicates: int = 0  # hand-overs of this reference after the first


def now() -> datetime:
    return datetime.now(UTC)
