"""SNS text-message delivery-status log records become Notify statuses, and the poller reads them
over overlapping windows exactly once each, with fakes for CloudWatch Logs, the reference lookup and
Kafka."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from notify_common.errors import RetryableError
from notify_common.events import (
    NOTIFICATION_FACTS,
    Event,
    FailureKind,
    NotificationDelivered,
    NotificationFailed,
)
from notify_receipts.domain import Known
from notify_receipts.settings import ReceiptsSettings
from notify_receipts.sns_sms_logs import PollWindows, parse_record, receipt_to_event
from notify_receipts.sns_sms_poller import SnsSmsReceiptPoller, log_groups

PHONE = "+447700900123"
LOGGED_MS = 1_700_000_000_000


def record(message_id: str, status: str = "SUCCESS", response: str | None = None, **extra: Any) -> str:
    """A delivery-status record in AWS's documented shape."""
    delivery: dict[str, Any] = {
        "mnc": 270, "numberOfMessageParts": 1, "destination": PHONE, "priceInUSD": 0.00645,
        "smsType": "Transactional", "mcc": 310, "dwellTimeMs": 599, "dwellTimeMsUntilDeviceAck": 1344,
        "providerResponse": response or ("Message has been accepted by phone carrier"
                                         if status == "SUCCESS" else "Unknown error attempting to reach phone"),
    }  # fmt: skip
    delivery.update(extra)
    body = {
        "notification": {"messageId": message_id, "timestamp": "2016-06-28 00:40:34.558"},
        "delivery": delivery,
        "status": status,
    }
    return orjson.dumps(body).decode()


def test_a_success_record_is_delivered_when_the_phone_acknowledged_it() -> None:
    receipt = parse_record(record("34d9b400-c6dd-5444-820d-fbeb0f1f54cf"), LOGGED_MS)
    assert receipt.message_id == "34d9b400-c6dd-5444-820d-fbeb0f1f54cf"
    assert (receipt.status, receipt.outcome) == ("SUCCESS", "delivered")
    assert receipt.provider_response == "Message has been accepted by phone carrier"
    assert receipt.happened_at == datetime(2016, 6, 28, 0, 40, 35, 902_000, tzinfo=UTC)
    assert receipt.logged_ms == LOGGED_MS


@pytest.mark.parametrize(
    ("response", "outcome"),
    [
        ("Invalid phone number", "permanent_failure"),
        ("Phone number is opted out", "permanent_failure"),
        ("Phone has blocked SMS", "permanent_failure"),
        ("Phone is on a blocked list", "permanent_failure"),
        ("Destination is on a blocked list", "permanent_failure"),
        ("Phone is currently unreachable/unavailable", "temporary_failure"),
        ("Phone carrier is currently unreachable/unavailable", "temporary_failure"),
        ("Unknown error attempting to reach phone", "temporary_failure"),
        ("Blocked as spam by phone carrier", "technical_failure"),
        ("Phone carrier has blocked this message", "technical_failure"),
        ("Message body is invalid", "technical_failure"),
        ("This delivery would exceed max price", "technical_failure"),
        ("invalid phone number.", "permanent_failure"),
        ("Something AWS adds one day", "temporary_failure"),
    ],
)
def test_a_failure_record_is_permanent_temporary_or_technical_by_its_provider_response(
    response: str, outcome: str
) -> None:
    assert parse_record(record("m-1", "FAILURE", response), LOGGED_MS).outcome == outcome


def test_an_unknown_status_is_a_technical_failure_as_in_notify() -> None:
    assert parse_record(record("m-1", "PENDING"), LOGGED_MS).outcome == "technical_failure"


def test_without_publish_time_or_dwell_time_the_outcome_happened_when_it_was_logged() -> None:
    body = orjson.dumps({"notification": {"messageId": "m-2"}, "status": "SUCCESS"}).decode()
    receipt = parse_record(body, LOGGED_MS)
    assert receipt.happened_at == datetime.fromtimestamp(LOGGED_MS / 1000, UTC)
    assert receipt.provider_response is None


@pytest.mark.parametrize(
    "message",
    [
        f"not json {PHONE}",
        orjson.dumps([PHONE]).decode(),
        orjson.dumps({"delivery": {"destination": PHONE}, "status": "SUCCESS"}).decode(),
        orjson.dumps({"notification": {"messageId": ""}, "status": "SUCCESS"}).decode(),
        orjson.dumps({"notification": {"messageId": "m"}, "delivery": {"destination": PHONE}}).decode(),
    ],
)
def test_a_record_that_is_not_a_delivery_status_is_refused_without_quoting_it(message: str) -> None:
    with pytest.raises(ValueError, match=r"JSON|record|messageId") as caught:
        parse_record(message, LOGGED_MS)
    assert PHONE not in str(caught.value)


def test_a_delivered_record_becomes_notification_delivered_with_an_id_stable_across_reads() -> None:
    receipt = parse_record(record("msg-1"), LOGGED_MS)
    first = receipt_to_event(receipt, "nid-1", "sid-1")
    again = receipt_to_event(parse_record(record("msg-1"), LOGGED_MS + 5), "nid-1", "sid-1")
    assert isinstance(first, NotificationDelivered)
    assert (first.notification_id, first.service_id, first.provider) == ("nid-1", "sid-1", "sns")
    assert first.provider_reference == "msg-1"
    assert first.delivered_at == receipt.happened_at
    assert first.detail == "sns success: Message has been accepted by phone carrier"
    assert first.event_id == again.event_id


def test_a_failed_record_becomes_notification_failed_with_the_reason_and_no_phone_number() -> None:
    event = receipt_to_event(parse_record(record("msg-2", "FAILURE", "Invalid phone number"), 1), "n", "s")
    assert isinstance(event, NotificationFailed)
    assert event.failure_kind is FailureKind.PERMANENT_FAILURE
    assert event.reason == "sns failure: Invalid phone number"
    assert PHONE not in repr(event)


def test_receipts_are_on_only_when_configured_or_when_the_sms_providers_include_sns() -> None:
    assert not ReceiptsSettings().sns_receipts_active()
    assert not ReceiptsSettings(sms_provider_weights="mmg:51,firetext:49").sns_receipts_active()
    assert ReceiptsSettings(sms_provider_weights="mmg:45,firetext:45,sns:10").sns_receipts_active()
    assert not ReceiptsSettings(
        sms_provider_weights="sns:10", sns_receipts_enabled=False
    ).sns_receipts_active()
    assert ReceiptsSettings(sns_receipts_enabled=True).sns_receipts_active()


def test_the_log_groups_default_to_the_ones_sns_writes_for_the_region_and_account() -> None:
    settings = ReceiptsSettings(aws_region="eu-west-2")
    assert settings.sns_sms_log_groups("123456789012") == [
        "sns/eu-west-2/123456789012/DirectPublishToPhoneNumber",
        "sns/eu-west-2/123456789012/DirectPublishToPhoneNumber/Failure",
    ]
    custom = ReceiptsSettings(sns_receipts_log_groups="a, b/Failure")
    assert custom.sns_sms_log_groups("ignored") == ["a", "b/Failure"]


# ---- windows ----------------------------------------------------------------------------------


def test_each_window_reaches_the_lookback_past_the_last_successful_poll() -> None:
    windows = PollWindows(lookback_ms=180_000, initial_lookback_ms=900_000)
    assert windows.next_range(1_000_000) == (100_000, 1_000_000)
    windows.completed(1_000_000)
    assert windows.next_range(1_060_000) == (820_000, 1_060_000)
    # a failed poll does not complete: the next one still starts from the last success
    assert windows.next_range(1_180_000) == (820_000, 1_180_000)


def test_handled_ids_are_forgotten_once_no_window_can_return_them() -> None:
    windows = PollWindows(lookback_ms=180_000, initial_lookback_ms=180_000)
    old, recent = parse_record(record("old"), 700_000), parse_record(record("recent"), 950_000)
    windows.mark_handled([old, recent])
    assert windows.unhandled([old, recent, parse_record(record("new"), 990_000)])[0].message_id == "new"
    windows.completed(1_000_000)
    assert set(windows.handled) == {"recent"}


# ---- the poller, with fakes ---------------------------------------------------------------------


class FakeLogs:
    """``filter_log_events`` over in-memory groups, two events a page; can fail on demand."""

    def __init__(self) -> None:
        self.groups: dict[str, list[dict[str, Any]]] = {}
        self.failures: list[Exception] = []
        self.calls: list[tuple[str, int, int]] = []

    def put(self, group: str, message: str, timestamp: int) -> None:
        self.groups.setdefault(group, []).append({"message": message, "timestamp": timestamp})

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if self.failures:
            raise self.failures.pop(0)
        group, start, end = kwargs["logGroupName"], kwargs["startTime"], kwargs["endTime"]
        self.calls.append((group, start, end))
        if group not in self.groups:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "FilterLogEvents")
        matching = [e for e in self.groups[group] if start <= e["timestamp"] <= end]
        offset = int(kwargs.get("nextToken") or 0)
        page: dict[str, Any] = {"events": matching[offset : offset + 2]}
        if offset + 2 < len(matching):
            page["nextToken"] = str(offset + 2)
        return page


class FakeLookups:
    def __init__(self, known: dict[str, tuple[str, str]]) -> None:
        self.known = known
        self.queries: list[list[str]] = []

    async def references(self, references: list[str], provider: str) -> dict[str, Known]:
        assert provider == "sns"
        self.queries.append(list(references))
        return {
            r: Known(*self.known[r], provider, r, datetime.now(UTC), dict.fromkeys(NOTIFICATION_FACTS))
            for r in references
            if r in self.known
        }


class FakeProducer:
    def __init__(self) -> None:
        self.published: list[tuple[str, Event]] = []
        self.calls = 0
        self.fail_next = False

    async def publish_many(self, items: Sequence[tuple[str, Event]]) -> None:
        self.calls += 1
        if self.fail_next:
            self.fail_next = False
            raise RetryableError("kafka unavailable")
        self.published.extend(items)


class Leader:
    async def acquire(self) -> bool:
        return True


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> float:
        return self.ms / 1000


OK, FAILED = (
    "sns/eu-west-2/1/DirectPublishToPhoneNumber",
    "sns/eu-west-2/1/DirectPublishToPhoneNumber/Failure",
)
NOW = 1_800_000_000_000


def poller(
    logs: FakeLogs,
    lookups: FakeLookups,
    producer: FakeProducer,
    clock: Clock,
    mono: Clock | None = None,
    **kw: Any,
) -> SnsSmsReceiptPoller:
    return SnsSmsReceiptPoller(
        logs, [OK, FAILED], lookups, producer, Leader(), interval_s=60, lookback_s=180,
        initial_lookback_s=900, clock=clock, monotonic=mono or Clock(0), **kw,
    )  # fmt: skip


def ids(producer: FakeProducer) -> list[str | None]:
    return [event.notification_id for _, event in producer.published]


async def test_two_polls_over_overlapping_windows_publish_each_receipt_once_in_batches() -> None:
    logs, clock = FakeLogs(), Clock(NOW)
    for n in range(5):
        logs.put(OK, record(f"ok-{n}"), NOW - 10_000 + n)
    logs.put(FAILED, record("bad", "FAILURE", "Invalid phone number"), NOW - 5_000)
    known = {f"ok-{n}": (f"n-{n}", "s") for n in range(5)} | {"bad": ("n-bad", "s")}
    lookups, producer = FakeLookups(known), FakeProducer()
    p = poller(logs, lookups, producer, clock, batch_size=4)

    assert await p.poll_once() == 6
    clock.ms += 60_000
    logs.put(OK, record("ok-5"), NOW + 30_000)
    known["ok-5"] = ("n-5", "s")
    assert await p.poll_once() == 1

    assert sorted(str(i) for i in ids(producer)) == sorted([f"n-{n}" for n in range(6)] + ["n-bad"])
    assert [len(q) for q in lookups.queries] == [4, 2, 1]  # batched lookups, each id once
    failed = [e for _, e in producer.published if isinstance(e, NotificationFailed)]
    assert [(e.notification_id, e.failure_kind) for e in failed] == [("n-bad", FailureKind.PERMANENT_FAILURE)]
    assert all(topic == "notify.notification.status" for topic, _ in producer.published)
    assert logs.calls[-1][1] == NOW - 180_000  # the second window overlapped the first by 3 minutes


async def test_a_cloudwatch_error_publishes_nothing_backs_off_and_the_next_poll_catches_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logs, clock = FakeLogs(), Clock(NOW)
    logs.put(OK, record("m-1"), NOW - 1_000)
    logs.put(FAILED, f"garbage for {PHONE}", NOW - 1_000)
    producer = FakeProducer()
    p = poller(logs, FakeLookups({"m-1": ("n-1", "s")}), producer, clock)
    logs.failures.append(ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate"}}, "Filter"))

    with pytest.raises(RetryableError, match="ThrottlingException"):
        await p.poll_once()
    assert producer.published == []
    assert [p.delay(0), p.delay(1), p.delay(2), p.delay(20)] == [60, 120, 240, 600]

    clock.ms += 600_000  # ten minutes later: the window still starts where the failed one did
    with caplog.at_level(logging.INFO):
        assert await p.poll_once() == 1
    assert logs.calls[0][1] == NOW - 900_000
    assert ids(producer) == ["n-1"]
    assert PHONE not in caplog.text
    assert "not understood" in caplog.text


async def test_a_kafka_failure_leaves_receipts_unhandled_for_the_next_poll() -> None:
    logs, clock = FakeLogs(), Clock(NOW)
    logs.put(OK, record("m-1"), NOW - 1_000)
    producer = FakeProducer()
    producer.fail_next = True
    p = poller(logs, FakeLookups({"m-1": ("n-1", "s")}), producer, clock)
    with pytest.raises(RetryableError):
        await p.poll_once()
    clock.ms += 60_000
    assert await p.poll_once() == 1
    assert ids(producer) == ["n-1"]


async def test_missing_log_groups_are_not_an_error() -> None:
    producer = FakeProducer()
    p = poller(FakeLogs(), FakeLookups({}), producer, Clock(NOW))
    assert await p.poll_once() == 0
    assert producer.published == []


async def test_an_unknown_reference_is_retried_until_projected_then_given_up_after_the_max_age(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logs, clock, mono = FakeLogs(), Clock(NOW), Clock(0)
    logs.put(OK, record("late"), NOW - 1_000)
    logs.put(OK, record("not-ours"), NOW - 1_000)
    lookups, producer = FakeLookups({}), FakeProducer()
    p = poller(logs, lookups, producer, clock, mono, resolve_max_age_s=300)

    assert await p.poll_once() == 0
    assert p.pending == 2
    clock.ms, mono.ms = NOW + 200_000, 60_000
    assert await p.poll_once() == 0  # read again, still unknown
    lookups.known["late"] = ("n-late", "s")  # the projector caught up
    clock.ms, mono.ms = NOW + 400_000, 120_000  # past the lookback: only the pending list has them
    assert await p.poll_once() == 1
    assert logs.calls[-1][1] > NOW
    assert ids(producer) == ["n-late"]
    mono.ms = 400_000
    with caplog.at_level(logging.WARNING):
        assert await p.poll_once() == 0
    assert p.pending == 0
    assert "given up" in caplog.text
    clock.ms += 60_000
    assert await p.poll_once() == 0
    assert ids(producer) == ["n-late"]


class FakeSts:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get_caller_identity(self) -> dict[str, str]:
        if self.error:
            raise self.error
        return {"Account": "210987654321"}


async def test_without_an_account_id_the_log_groups_are_named_after_the_account_sts_reports() -> None:
    groups = await log_groups(ReceiptsSettings(aws_region="eu-west-1"), FakeSts())
    assert groups[0] == "sns/eu-west-1/210987654321/DirectPublishToPhoneNumber"
    configured = ReceiptsSettings(sns_receipts_account_id="1", aws_region="eu-west-1")
    assert (await log_groups(configured, FakeSts(RuntimeError("not asked"))))[1].endswith(
        "/1/DirectPublishToPhoneNumber/Failure"
    )
    with pytest.raises(RetryableError, match="sts: ExpiredToken"):
        await log_groups(ReceiptsSettings(), FakeSts(ClientError({"Error": {"Code": "ExpiredToken"}}, "Get")))
