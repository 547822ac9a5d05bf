"""SNS text-message delivery-status log records, read from CloudWatch Logs: parsing them, the
lifecycle event each becomes, and which of them a poll over overlapping windows has not handled yet.
No I/O here; the poller (``sns_sms_poller.py``) does the reading and publishing.

A record is AWS's documented JSON (``notification.messageId``/``timestamp``, ``status`` SUCCESS or
FAILURE, ``delivery.providerResponse``, dwell times). It also holds the destination phone number:
nothing here keeps or returns it, and errors never quote the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from notify_common.events import Event
from notify_receipts.codes import sns_sms_outcome
from notify_receipts.domain import receipt_event, stable_id

PROVIDER = "sns"


@dataclass(frozen=True)
class SnsSmsReceipt:
    """What we use of one delivery-status record. ``logged_ms`` is the log event's own time."""

    message_id: str  # SNS MessageId: the provider reference the sms-sender recorded
    status: str
    outcome: str
    provider_response: str | None
    happened_at: datetime
    logged_ms: int


def _published_at(value: Any) -> datetime | None:
    """SNS writes ``2016-06-28 00:40:34.558`` (UTC); accept ISO 8601 too."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dwell_ms(delivery: dict[str, Any]) -> int | None:
    for name in ("dwellTimeMsUntilDeviceAck", "dwellTimeMs"):
        value = delivery.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return int(value)
    return None


def parse_record(message: str, logged_ms: int) -> SnsSmsReceipt:
    """One log event's message. Raises ValueError (without quoting it) if it is not a record.

    The outcome happened when the phone acknowledged it (publish time plus
    ``dwellTimeMsUntilDeviceAck``, else plus ``dwellTimeMs``); without those, when it was logged.
    """
    try:
        record = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise ValueError("not JSON") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    notification, delivery = record.get("notification"), record.get("delivery") or {}
    status = record.get("status")
    if not isinstance(notification, dict) or not isinstance(delivery, dict) or not isinstance(status, str):
        raise ValueError("not an SNS delivery-status record")
    message_id = notification.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip():
        raise ValueError("delivery-status record without a messageId")
    response = delivery.get("providerResponse")
    response = response.strip() if isinstance(response, str) and response.strip() else None
    published, dwell = _published_at(notification.get("timestamp")), _dwell_ms(delivery)
    if published is not None and dwell is not None:
        happened = published + timedelta(milliseconds=dwell)
    else:
        happened = datetime.fromtimestamp(logged_ms / 1000, UTC)
    return SnsSmsReceipt(
        message_id=message_id.strip(),
        status=status.strip().upper(),
        outcome=sns_sms_outcome(status, response),
        provider_response=response,
        happened_at=happened,
        logged_ms=logged_ms,
    )


def receipt_to_event(receipt: SnsSmsReceipt, notification_id: str, service_id: str) -> Event:
    """The lifecycle event for a resolved record. Its id comes from SNS's message id and status, so
    reading the record again (overlapping windows, a restart, two replicas) yields the same event."""
    detail = f"sns {receipt.status.lower()}" + (
        f": {receipt.provider_response}" if receipt.provider_response else ""
    )
    return receipt_event(
        notification_id, PROVIDER, receipt.outcome, detail[:255], service_id=service_id,
        provider_reference=receipt.message_id, at=receipt.happened_at,
        event_id=stable_id("sns-sms", receipt.message_id, receipt.status),
    )  # fmt: skip


@dataclass
class PollWindows:
    """Which time range the next poll reads, and which message ids were already handled.

    Each poll reads from ``lookback`` before the end of the last *successful* poll (the first one
    from ``initial_lookback`` before now), so records that CloudWatch makes visible late are still
    caught, and a poll that failed widens the next one instead of leaving a gap. Handled ids are
    remembered while a window can still return them.
    """

    lookback_ms: int
    initial_lookback_ms: int
    last_end_ms: int | None = None
    first_start_ms: int | None = None  # where the first window began, until a poll succeeds
    handled: dict[str, int] = field(default_factory=dict)  # message id -> logged_ms

    def next_range(self, now_ms: int) -> tuple[int, int]:
        if self.last_end_ms is None:
            if self.first_start_ms is None:
                self.first_start_ms = now_ms - self.initial_lookback_ms
            return self.first_start_ms, now_ms
        return self.last_end_ms - self.lookback_ms, now_ms

    def unhandled(self, receipts: list[SnsSmsReceipt]) -> list[SnsSmsReceipt]:
        """The receipts not handled before, one per message id (the first read wins)."""
        out: dict[str, SnsSmsReceipt] = {}
        for r in receipts:
            if r.message_id not in self.handled:
                out.setdefault(r.message_id, r)
        return list(out.values())

    def mark_handled(self, receipts: list[SnsSmsReceipt]) -> None:
        for r in receipts:
            self.handled[r.message_id] = r.logged_ms

    def completed(self, end_ms: int) -> None:
        """A poll up to ``end_ms`` succeeded: forget ids no later window can return."""
        self.last_end_ms = end_ms
        horizon = end_ms - self.lookback_ms
        for message_id in [m for m, at in self.handled.items() if at < horizon]:
            del self.handled[message_id]

    def reset(self) -> None:
        """Start afresh (another replica may have polled meanwhile)."""
        self.last_end_ms = self.first_start_ms = None
        self.handled.clear()
