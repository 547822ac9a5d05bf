"""The application series of ``notify_common.metrics``: what each helper counts, and the pure parts
(provider call outcomes, receipt statuses, sent-to-delivered times from a projection's rows)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError

from notify_api_gateway.errors import over_daily_limit, over_limit, rate_limited, unavailable
from notify_common import metrics
from notify_common.errors import PermanentError, RetryableError, ThrottledError
from notify_common.events import FailureKind, NotificationDelivered, NotificationFailed, NotificationPending
from notify_common.ratelimit import annual_limit


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_accepted_sends_are_counted_by_channel_key_type_and_lane() -> None:
    before = sample("notify_notifications_accepted_total", channel="sms", key_type="team", lane="bulk")
    email = sample("notify_notifications_accepted_total", channel="email", key_type="team", lane="bulk")
    metrics.accepted(["sms", "sms", "email"], "team", bulk=True)
    assert (
        sample("notify_notifications_accepted_total", channel="sms", key_type="team", lane="bulk")
        == before + 2
    )
    assert (
        sample("notify_notifications_accepted_total", channel="email", key_type="team", lane="bulk")
        == email + 1
    )


def test_the_gateways_429s_are_counted_by_the_limit_refused() -> None:
    rate, daily = (
        sample("notify_limit_refusals_total", limit="rate"),
        sample("notify_limit_refusals_total", limit="daily"),
    )
    assert rate_limited("normal", 3000, 5).status_code == 429
    assert over_daily_limit("sms", 1000, 60).status_code == 429
    assert sample("notify_limit_refusals_total", limit="rate") == rate + 1
    assert sample("notify_limit_refusals_total", limit="daily") == daily + 1


def test_a_send_past_an_annual_limit_is_counted_as_annual_with_gc_notifys_words() -> None:
    before = sample("notify_limit_refusals_total", limit="annual")
    refused = over_limit(annual_limit("sms", 100_000), 3_600)
    assert refused.status_code == 429
    assert refused.body()["errors"] == [
        {"error": "TooManyRequestsError", "message": "Exceeded annual SMS sending limit of 100000 messages"}
    ]
    assert sample("notify_limit_refusals_total", limit="annual") == before + 1


@pytest.mark.parametrize(
    ("error", "dependency"),
    [(KafkaConnectionError(), "kafka"), (RedisConnectionError("refused"), "redis")],
)
def test_the_gateways_503s_are_counted_by_the_dependency_unavailable(
    error: Exception, dependency: str
) -> None:
    before = sample("notify_dependency_unavailable_total", dependency=dependency)
    answer = unavailable(error)
    assert answer is not None
    assert answer.status_code == 503
    assert sample("notify_dependency_unavailable_total", dependency=dependency) == before + 1


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, "accepted"),
        (PermanentError("invalid number"), "rejected"),
        (TimeoutError(), "timeout"),
        (type("ProviderTimeoutError", (RetryableError,), {})("slow"), "timeout"),
        (ThrottledError("slow down"), "error"),
        (RetryableError("502 from provider"), "error"),
    ],
)
def test_a_provider_calls_outcome(error: Exception | None, outcome: str) -> None:
    assert metrics.provider_outcome(error) == outcome


def test_a_provider_call_is_counted_and_timed_by_provider_channel_and_outcome() -> None:
    provider = f"fake-{uuid.uuid4().hex[:6]}"
    with metrics.provider_call(provider, "sms"):
        pass
    with pytest.raises(PermanentError), metrics.provider_call(provider, "sms"):
        raise PermanentError("refused")
    assert sample("notify_provider_calls_total", provider=provider, channel="sms", outcome="accepted") == 1
    assert sample("notify_provider_calls_total", provider=provider, channel="sms", outcome="rejected") == 1
    assert sample("notify_provider_call_duration_seconds_count", provider=provider, channel="sms") == 2


def test_created_to_sent_lands_in_the_ten_second_bucket_or_not() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    count = sample("notify_created_to_sent_seconds_count", channel="letter")
    within = sample("notify_created_to_sent_seconds_bucket", channel="letter", le="10.0")
    metrics.sent("letter", created, created + timedelta(seconds=3))
    metrics.sent("letter", created, created + timedelta(seconds=25))
    assert sample("notify_created_to_sent_seconds_count", channel="letter") == count + 2
    assert sample("notify_created_to_sent_seconds_bucket", channel="letter", le="10.0") == within + 1


def test_receipts_are_counted_by_the_provider_and_status_their_events_record() -> None:
    nid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    provider = f"fake-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    metrics.receipts(
        [
            NotificationDelivered(notification_id=nid, service_id=sid, provider=provider, delivered_at=now),
            NotificationPending(notification_id=nid, service_id=sid, provider=provider),
            NotificationFailed(
                notification_id=nid, service_id=sid, provider=provider,
                failure_kind=FailureKind.PERMANENT_FAILURE, failed_at=now,
            ),
        ]
    )  # fmt: skip
    for status in ("delivered", "pending", "permanent_failure"):
        assert sample("notify_receipts_total", provider=provider, status=status) == 1


def test_sent_to_delivered_is_taken_only_for_rows_that_became_delivered() -> None:
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    a, b, c, d = (str(uuid.uuid4()) for _ in range(4))
    before = [
        {"id": a, "status": "sending"},
        {"id": b, "status": "delivered"},
        {"id": c, "status": ""},
        {"id": d, "status": "sending"},
    ]
    after: list[dict[str, object]] = [
        {"id": a, "status": "delivered", "sent_at": sent, "notification_type": "sms"},
        {"id": b, "status": "delivered", "sent_at": sent, "notification_type": "sms"},  # replayed
        {"id": c, "status": "delivered", "sent_at": None, "notification_type": "email"},  # no sent time
        {"id": d, "status": "sending", "sent_at": sent, "notification_type": "sms"},
    ]
    delivered_at = {x: sent + timedelta(seconds=4) for x in (a, b, c)}
    assert metrics.delivered_durations(before, after, delivered_at) == [("sms", 4.0)]


def test_callback_attempts_are_counted_in_the_series_words() -> None:
    before = sample("notify_callbacks_total", callback_type="complaint", outcome="delivered")
    metrics.callback_attempted("complaint", "succeeded")
    assert sample("notify_callbacks_total", callback_type="complaint", outcome="delivered") == before + 1


def test_a_projected_batch_is_counted_by_size_and_event_type() -> None:
    batches = sample("notify_projector_batch_size_count")
    sent = sample("notify_projector_events_total", event="NotificationSentToProvider")
    metrics.projected(["NotificationSentToProvider", "NotificationSentToProvider", "NotificationDelivered"])
    assert sample("notify_projector_batch_size_count") == batches + 1
    assert sample("notify_projector_events_total", event="NotificationSentToProvider") == sent + 2
